// Max pooling in one pass that records each window's argmax: out[k] = x[argmax[k]], dx[argmax[k]] += dout[k].
// 2×2 windows with stride 2 tiling H and W (ThreeLayerConvNet's pool) take an unrolled path, SIMD
// kernels for float32; anything else takes the general window loop.
// NaN propagates as in numpy: a window holding a NaN outputs NaN, and its argmax is the first NaN.
import { allocate, maxPool2x2BackwardF32, maxPool2x2F32, Tensor, ValueError } from '@backprop/tensor';
import { checkPoolArgs, checkPoolCache, checkPoolDout, type PoolGeometry, type PoolParam } from './naive';

/**
 * Fast max-pooling forward pass; equals `maxPoolForwardNaive` (same output size rule, same argmax).
 * @param x - input, shape [N, C, H, W]
 * @param poolParam - `{ poolHeight, poolWidth, stride }`
 * @returns out, shape [N, C, H', W'] with H' = 1 + ⌊(H − poolHeight) / stride⌋, and the cache for `maxPoolBackward`
 */
export function maxPoolForward(x: Tensor, poolParam: PoolParam): { out: Tensor; cache: MaxPoolCache } {
  const g = checkPoolArgs('maxPoolForward', x, poolParam);
  const { N, C, outHeight, outWidth } = g;
  const out = allocate(x.dtype, N * C * outHeight * outWidth);
  const argmax = new Int32Array(out.length);
  if (tiles2x2(g)) {
    // float32 runs the WebAssembly SIMD kernel where there is one (the same comparisons, four windows
    // at a time and without branches: on activations after a ReLU the JavaScript branches mispredict).
    const simd =
      x.data instanceof Float32Array && maxPool2x2F32(x.data, out as Float32Array, argmax, N * C, g.H, g.W);
    if (!simd) pool2x2(x.data, g, out, argmax);
  } else poolWindows(x.data, g, out, argmax);
  return {
    out: new Tensor(out, [N, C, outHeight, outWidth]),
    cache: { x, poolParam: { poolHeight: g.poolHeight, poolWidth: g.poolWidth, stride: g.stride }, argmax },
  };
}

/**
 * Fast max-pooling backward pass: each dout entry goes to its window's argmax recorded by the forward
 * pass (the first maximum in row-major window order on ties, as `maxPoolBackwardNaive`; CS231n's
 * reshape path splits it among ties instead). Overlapping windows add up.
 * @param dout - upstream gradient, shape [N, C, H', W']
 * @param cache - from `maxPoolForward` (not modified)
 * @returns dx, shape [N, C, H, W]
 */
export function maxPoolBackward(dout: Tensor, cache: MaxPoolCache): { dx: Tensor } {
  const fn = 'maxPoolBackward';
  checkPoolCache(fn, cache);
  const { x, argmax } = cache;
  const g = checkPoolArgs(fn, x, cache.poolParam, 'cache.');
  checkPoolDout(fn, dout, x, [g.N, g.C, g.outHeight, g.outWidth]);
  if (!(argmax instanceof Int32Array) || argmax.length !== dout.size) {
    throw new ValueError(
      fn,
      'cache',
      'must be the cache returned by maxPoolForward (it holds no argmax of the right size)',
    );
  }
  const dx = allocate(x.dtype, x.size);
  // float32 2×2 windows: the SIMD kernel writes every window whole (no scatter); the same values.
  const simd =
    tiles2x2(g) &&
    dout.data instanceof Float32Array &&
    maxPool2x2BackwardF32(dout.data, argmax, dx as Float32Array, g.N * g.C, g.H, g.W);
  if (!simd) scatterAdd(dx, argmax, dout.data);
  return { dx: new Tensor(dx, x.shape) };
}

/**
 * dx[argmax[k]] += dout[k]. A function of its own so V8 optimizes it whole: inlined in
 * `maxPoolBackward`, the loop was compiled on-stack alone and deoptimized at the code after it on
 * every call (5.7 against 1.8 ms on the convnet's 50×32×28×28 input).
 */
function scatterAdd(
  dx: Float32Array | Float64Array,
  argmax: Int32Array,
  dout: Float32Array | Float64Array,
): void {
  for (let k = 0; k < dout.length; k++) dx[argmax[k]] += dout[k];
}

/** 2×2 windows with stride 2 that tile H and W: the case both passes run unrolled or in SIMD. */
function tiles2x2(g: PoolGeometry): boolean {
  return g.poolHeight === 2 && g.poolWidth === 2 && g.stride === 2 && g.H % 2 === 0 && g.W % 2 === 0;
}

/** What `maxPoolForward` keeps for the backward pass. */
export interface MaxPoolCache {
  x: Tensor;
  poolParam: PoolParam;
  /** For each output entry, the flat index into x.data of its window's maximum. */
  argmax: Int32Array;
}

function pool2x2(
  x: Float32Array | Float64Array,
  g: PoolGeometry,
  out: Float32Array | Float64Array,
  argmax: Int32Array,
): void {
  const { N, C, H, W, outHeight: Ho, outWidth: Wo } = g;
  let k = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const r0 = base + 2 * oh * W;
      for (let ow = 0; ow < Wo; ow++, k++) {
        // Row-major order within the window; '!(v <= best)' so the first maximum wins ties and a NaN
        // wins against numbers, '!isNaN(best)' so the first NaN, once taken, stays (numpy propagates NaN).
        let at = r0 + 2 * ow;
        let best = x[at];
        let v = x[at + 1];
        if (!(v <= best) && !Number.isNaN(best)) best = x[(at = r0 + 2 * ow + 1)];
        v = x[r0 + W + 2 * ow];
        if (!(v <= best) && !Number.isNaN(best)) best = x[(at = r0 + W + 2 * ow)];
        v = x[r0 + W + 2 * ow + 1];
        if (!(v <= best) && !Number.isNaN(best)) best = x[(at = r0 + W + 2 * ow + 1)];
        out[k] = best;
        argmax[k] = at;
      }
    }
  }
}

function poolWindows(
  x: Float32Array | Float64Array,
  g: PoolGeometry,
  out: Float32Array | Float64Array,
  argmax: Int32Array,
): void {
  const { N, C, H, W, poolHeight: ph, poolWidth: pw, stride, outHeight: Ho, outWidth: Wo } = g;
  let k = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const top = base + oh * stride * W;
      for (let ow = 0; ow < Wo; ow++, k++) {
        const corner = top + ow * stride;
        let at = corner;
        let best = x[corner];
        for (let i = 0; i < ph; i++) {
          const row = corner + i * W;
          for (let j = 0; j < pw; j++) {
            if (!(x[row + j] <= best) && !Number.isNaN(best)) best = x[(at = row + j)];
          }
        }
        out[k] = best;
        argmax[k] = at;
      }
    }
  }
}
