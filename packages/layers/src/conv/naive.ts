// Convolution, the readable definition: out[n,f,oh,ow] = b[f] + Σ_{c,i,j} w[f,c,i,j] · xpad[n,c,oh·s+i,ow·s+j]
// dx[n,c,h,w] = Σ dout[n,f,oh,ow] · w[f,c,i,j] over oh·s+i−pad = h, ow·s+j−pad = w;  dw = Σ dout · xpad;  db = Σ dout.
import {
  allocate,
  type ConvGeometry,
  checkNumber,
  checkRank,
  checkSameDType,
  checkShape,
  convGeometry,
  Tensor,
  ValueError,
} from '@backprop/tensor';

/** Convolution hyperparameters, as CS231n's conv_param. */
export interface ConvParam {
  /** Step between filter positions, an integer >= 1. */
  stride: number;
  /** Zero padding added on every side, an integer >= 0. */
  pad: number;
}

/**
 * Naive convolution forward pass: explicit loops over every output and filter tap.
 * The output height is H' = 1 + (H + 2·pad − HH) / stride (width likewise); when stride does not tile
 * the padded input exactly this throws a ValueError naming convParam.stride/pad (CS231n floors silently).
 * @param x - input, shape [N, C, H, W]
 * @param w - filters, shape [F, C, HH, WW]
 * @param b - biases, shape [F]
 * @param convParam - `{ stride, pad }`
 * @returns out, shape [N, F, H', W'], and the cache for `convBackwardNaive`
 */
export function convForwardNaive(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  convParam: ConvParam,
): { out: Tensor; cache: ConvNaiveCache } {
  const g = checkConvArgs('convForwardNaive', x, w, b, convParam);
  const { C, H, W, HH, WW, stride, pad, outHeight: Ho, outWidth: Wo } = g;
  const N = x.shape[0];
  const F = w.shape[0];
  const xd = x.data;
  const wd = w.data;
  const out = allocate(x.dtype, N * F * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          let sum = b.data[f];
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < HH; i++) {
              const h = oh * stride + i - pad;
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < WW; j++) {
                const col = ow * stride + j - pad;
                if (col < 0 || col >= W) continue;
                sum += wd[((f * C + c) * HH + i) * WW + j] * xd[((n * C + c) * H + h) * W + col];
              }
            }
          }
          out[((n * F + f) * Ho + oh) * Wo + ow] = sum;
        }
      }
    }
  }
  return { out: new Tensor(out, [N, F, Ho, Wo]), cache: { x, w, b, convParam: { stride, pad } } };
}

/**
 * Naive convolution backward pass.
 * @param dout - upstream gradient, shape [N, F, H', W']
 * @param cache - from `convForwardNaive` (not modified)
 * @returns dx [N, C, H, W], dw [F, C, HH, WW], db [F]
 */
export function convBackwardNaive(
  dout: Tensor,
  cache: ConvNaiveCache,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const fn = 'convBackwardNaive';
  const { x, w, b, convParam } = checkConvCache(fn, cache);
  const g = checkConvArgs(fn, x, w, b, convParam, 'cache.');
  const { C, H, W, HH, WW, stride, pad, outHeight: Ho, outWidth: Wo } = g;
  const N = x.shape[0];
  const F = w.shape[0];
  checkConvDout(fn, dout, x, [N, F, Ho, Wo]);
  const xd = x.data;
  const wd = w.data;
  const dd = dout.data;
  const dx = allocate(x.dtype, x.size);
  const dw = allocate(x.dtype, w.size);
  const db = allocate(x.dtype, F);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          const d = dd[((n * F + f) * Ho + oh) * Wo + ow];
          db[f] += d;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < HH; i++) {
              const h = oh * stride + i - pad;
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < WW; j++) {
                const col = ow * stride + j - pad;
                if (col < 0 || col >= W) continue;
                const xi = ((n * C + c) * H + h) * W + col;
                const wi = ((f * C + c) * HH + i) * WW + j;
                dx[xi] += d * wd[wi];
                dw[wi] += d * xd[xi];
              }
            }
          }
        }
      }
    }
  }
  return { dx: new Tensor(dx, x.shape), dw: new Tensor(dw, w.shape), db: new Tensor(db, [F]) };
}

/** What `convForwardNaive` keeps for the backward pass (CS231n's `(x, w, b, conv_param)`). */
export interface ConvNaiveCache {
  x: Tensor;
  w: Tensor;
  b: Tensor;
  convParam: ConvParam;
}

/**
 * Checks a convolution's arguments (shared by the naive and fast versions) and returns its geometry;
 * backward passes name them with prefix 'cache.'.
 * @internal
 */
export function checkConvArgs(
  fn: string,
  x: Tensor,
  w: Tensor,
  b: Tensor,
  convParam: ConvParam,
  prefix = '',
): ConvGeometry {
  const [xa, wa, ba, pa] = [`${prefix}x`, `${prefix}w`, `${prefix}b`, `${prefix}convParam`];
  checkRank(fn, xa, x, 4, '[N, C, H, W]');
  const [, C, H, W] = x.shape;
  checkRank(fn, wa, w, 4, '[F, C, HH, WW]');
  const { F, HH, WW } = checkShape(fn, wa, w, ['F', C, 'HH', 'WW'], `to match ${xa}'s ${C} channels`);
  checkShape(fn, ba, b, [F], `to match ${wa}'s ${F} filters`);
  checkSameDType(fn, { [xa]: x, [wa]: w, [ba]: b });
  if (convParam === null || typeof convParam !== 'object') {
    throw new ValueError(fn, pa, 'must be an object { stride, pad }');
  }
  checkNumber(fn, `${pa}.stride`, convParam.stride, { integer: true, min: 1 });
  checkNumber(fn, `${pa}.pad`, convParam.pad, { integer: true, min: 0 });
  return convGeometry(
    { fn, stride: `${pa}.stride`, pad: `${pa}.pad`, field: wa },
    { C, H, W, HH, WW, stride: convParam.stride, pad: convParam.pad },
  );
}

/** Checks that a backward pass got a cache object holding x, w, b and convParam. @internal */
export function checkConvCache<T extends ConvNaiveCache>(fn: string, cache: T): T {
  if (
    cache === null ||
    typeof cache !== 'object' ||
    !(cache.x instanceof Tensor) ||
    !(cache.w instanceof Tensor)
  ) {
    throw new ValueError(fn, 'cache', 'must be the cache returned by the forward pass');
  }
  return cache;
}

/** Checks dout's shape and dtype against the forward pass. @internal */
export function checkConvDout(fn: string, dout: Tensor, x: Tensor, shape: readonly number[]): void {
  checkShape(fn, 'dout', dout, shape, "to match the forward pass's output [N, F, H', W']");
  checkSameDType(fn, { 'cache.x': x, dout });
}
