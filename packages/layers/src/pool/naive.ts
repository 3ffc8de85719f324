// Max pooling, the readable definition: out[n,c,oh,ow] = max_{i<ph, j<pw} x[n,c,oh·s+i,ow·s+j]
// dx routes each dout[n,c,oh,ow] to the window's argmax (the first maximum in row-major window order on ties).
// NaN propagates as in numpy: a window holding a NaN outputs NaN, and its argmax is the first NaN.
import {
  allocate,
  checkNumber,
  checkRank,
  checkSameDType,
  checkShape,
  describe,
  Tensor,
  ValueError,
} from '@backprop/tensor';

/** Pooling window, as CS231n's pool_param. */
export interface PoolParam {
  /** Window height, an integer >= 1. */
  poolHeight: number;
  /** Window width, an integer >= 1. */
  poolWidth: number;
  /** Step between windows, an integer >= 1. */
  stride: number;
}

/** Validated sizes of a pooling layer. @internal */
export interface PoolGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  poolHeight: number;
  poolWidth: number;
  stride: number;
  /** H' = 1 + ⌊(H − poolHeight) / stride⌋ */
  outHeight: number;
  /** W' = 1 + ⌊(W − poolWidth) / stride⌋ */
  outWidth: number;
}

/**
 * Naive max-pooling forward pass (no padding). H' = 1 + ⌊(H − poolHeight) / stride⌋ and likewise W', as
 * CS231n computes it: when the windows do not tile x, the last rows/columns no window reaches are ignored
 * (and get zero gradient).
 * @param x - input, shape [N, C, H, W]
 * @param poolParam - `{ poolHeight, poolWidth, stride }`; the window must fit inside H×W
 * @returns out, shape [N, C, H', W'], and the cache for `maxPoolBackwardNaive`
 */
export function maxPoolForwardNaive(
  x: Tensor,
  poolParam: PoolParam,
): { out: Tensor; cache: MaxPoolNaiveCache } {
  const g = checkPoolArgs('maxPoolForwardNaive', x, poolParam);
  const { N, C, H, W, poolHeight: ph, poolWidth: pw, stride, outHeight: Ho, outWidth: Wo } = g;
  const xd = x.data;
  const out = allocate(x.dtype, N * C * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = (n * C + c) * H * W;
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          // Start from the window's first value; a NaN anywhere wins and stays (numpy's max propagates NaN).
          let best = xd[plane + oh * stride * W + ow * stride];
          for (let i = 0; i < ph; i++) {
            for (let j = 0; j < pw; j++) {
              const v = xd[plane + (oh * stride + i) * W + ow * stride + j];
              if (!(v <= best) && !Number.isNaN(best)) best = v;
            }
          }
          out[((n * C + c) * Ho + oh) * Wo + ow] = best;
        }
      }
    }
  }
  return {
    out: new Tensor(out, [N, C, Ho, Wo]),
    cache: { x, poolParam: { poolHeight: ph, poolWidth: pw, stride } },
  };
}

/**
 * Naive max-pooling backward pass: each dout entry goes to the position of its window's maximum; on a
 * tie, to the first maximum in row-major order within the window. Overlapping windows add up.
 * @param dout - upstream gradient, shape [N, C, H', W']
 * @param cache - from `maxPoolForwardNaive` (not modified)
 * @returns dx, shape [N, C, H, W]
 */
export function maxPoolBackwardNaive(dout: Tensor, cache: MaxPoolNaiveCache): { dx: Tensor } {
  const fn = 'maxPoolBackwardNaive';
  checkPoolCache(fn, cache);
  const { x } = cache;
  const g = checkPoolArgs(fn, x, cache.poolParam, 'cache.');
  const { N, C, H, W, poolHeight: ph, poolWidth: pw, stride, outHeight: Ho, outWidth: Wo } = g;
  checkPoolDout(fn, dout, x, [N, C, Ho, Wo]);
  const xd = x.data;
  const dd = dout.data;
  const dx = allocate(x.dtype, x.size);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = (n * C + c) * H * W;
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          let at = plane + oh * stride * W + ow * stride;
          let best = xd[at];
          for (let i = 0; i < ph; i++) {
            for (let j = 0; j < pw; j++) {
              const k = plane + (oh * stride + i) * W + ow * stride + j;
              if (!(xd[k] <= best) && !Number.isNaN(best)) {
                best = xd[k];
                at = k;
              }
            }
          }
          dx[at] += dd[((n * C + c) * Ho + oh) * Wo + ow];
        }
      }
    }
  }
  return { dx: new Tensor(dx, x.shape) };
}

/** What `maxPoolForwardNaive` keeps for the backward pass (CS231n's `(x, pool_param)`). */
export interface MaxPoolNaiveCache {
  x: Tensor;
  poolParam: PoolParam;
}

/** Checks a pooling layer's arguments (shared by the naive and fast versions); backward passes name them with prefix 'cache.'. @internal */
export function checkPoolArgs(fn: string, x: Tensor, poolParam: PoolParam, prefix = ''): PoolGeometry {
  checkRank(fn, `${prefix}x`, x, 4, '[N, C, H, W]');
  const [N, C, H, W] = x.shape;
  if (poolParam === null || typeof poolParam !== 'object') {
    throw new ValueError(
      fn,
      `${prefix}poolParam`,
      `must be an object { poolHeight, poolWidth, stride }, got ${describe(poolParam)}`,
    );
  }
  const ph = checkNumber(fn, `${prefix}poolParam.poolHeight`, poolParam.poolHeight, {
    integer: true,
    min: 1,
  });
  const pw = checkNumber(fn, `${prefix}poolParam.poolWidth`, poolParam.poolWidth, { integer: true, min: 1 });
  const stride = checkNumber(fn, `${prefix}poolParam.stride`, poolParam.stride, { integer: true, min: 1 });
  if (ph > H || pw > W) {
    throw new ValueError(
      fn,
      `${prefix}poolParam.poolHeight/poolWidth`,
      `give a ${ph}×${pw} window, expected one that fits inside x's ${H}×${W} planes`,
    );
  }
  return {
    N,
    C,
    H,
    W,
    poolHeight: ph,
    poolWidth: pw,
    stride,
    outHeight: 1 + Math.floor((H - ph) / stride),
    outWidth: 1 + Math.floor((W - pw) / stride),
  };
}

/** Checks that a backward pass got the cache of a forward pass. @internal */
export function checkPoolCache(fn: string, cache: { x: Tensor; poolParam: PoolParam }): void {
  if (cache === null || typeof cache !== 'object' || !(cache.x instanceof Tensor)) {
    throw new ValueError(fn, 'cache', 'must be the cache returned by the forward pass');
  }
}

/** Checks dout's shape and dtype against the forward pass. @internal */
export function checkPoolDout(fn: string, dout: Tensor, x: Tensor, shape: readonly number[]): void {
  checkShape(fn, 'dout', dout, shape, "to match the forward pass's output [N, C, H', W']");
  checkSameDType(fn, { 'cache.x': x, dout });
}
