// Layer normalization over the features of each example n (Ba, Kiros & Hinton 2016):
//   x̂ = (x − μₙ) / √(σₙ² + eps),  out = γ·x̂ + β;  the same in train and test, no running statistics.
// Backward:  dx̂ = dout·γ,  dx = ivarₙ/D · (D·dx̂ − Σⱼdx̂ − x̂·Σⱼ(dx̂·x̂)),  dγ = Σₙ dout·x̂,  dβ = Σₙ dout
import {
  allocate,
  checkNumber,
  checkSameDType,
  checkShape,
  checkTensor,
  describe,
  Tensor,
  ValueError,
} from '@backprop/tensor';
import type { NormGrads } from './batchnorm';

/** Options of a layernorm layer, as CS231n's `ln_param`. Other keys (a `mode`, say) are ignored. */
export interface LayernormParam {
  /** Added to each row's variance before the square root; default 1e-5. */
  eps?: number;
}

/**
 * Forward pass of layer normalization: every row of x is normalized with its own mean and biased
 * variance, then scaled by gamma and shifted by beta (per feature).
 * @param x - input, shape [N, D]
 * @param gamma - scale, shape [D]
 * @param beta - shift, shape [D]
 * @param lnParam - `{ eps? }`; may be omitted
 * @returns out [N, D] and the cache for {@link layernormBackward}
 */
export function layernormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  lnParam: LayernormParam = {},
): { out: Tensor; cache: LayernormCache } {
  const fn = 'layernormForward';
  const { N, D } = checkShape(fn, 'x', x, ['N', 'D']);
  checkShape(fn, 'gamma', gamma, [D], `to match x's ${D} features`);
  checkShape(fn, 'beta', beta, [D], `to match x's ${D} features`);
  const dtype = checkSameDType(fn, { x, gamma, beta });
  if (lnParam === null || typeof lnParam !== 'object') {
    throw new ValueError(fn, 'lnParam', `must be an object { eps? }, got ${describe(lnParam)}`);
  }
  const eps = checkNumber(fn, 'lnParam.eps', lnParam.eps ?? 1e-5, { greaterThan: 0 });

  const src = x.data;
  const g = gamma.data;
  const b = beta.data;
  const invStd = new Float64Array(N);
  const xhat = allocate(dtype, N * D);
  const out = allocate(dtype, N * D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    // Two-pass mean and variance of the row, in float64.
    let mean = 0;
    for (let j = 0; j < D; j++) mean += src[row + j];
    mean /= D;
    let variance = 0;
    for (let j = 0; j < D; j++) {
      const d = src[row + j] - mean;
      variance += d * d;
    }
    variance /= D;
    const ivar = 1 / Math.sqrt(variance + eps);
    invStd[n] = ivar;
    for (let j = 0; j < D; j++) {
      const h = (src[row + j] - mean) * ivar;
      xhat[row + j] = h;
      out[row + j] = g[j] * h + b[j];
    }
  }
  return {
    out: new Tensor(out, [N, D]),
    cache: { x, gamma, beta, eps, invStd, xhat: new Tensor(xhat, [N, D]) },
  };
}

/**
 * Backward pass of layer normalization (closed form, per row). Neither `dout` nor the cache is modified.
 * @param dout - upstream gradient, shape [N, D]
 * @param cache - from {@link layernormForward}
 * @returns dx [N, D], dgamma [D], dbeta [D]
 */
export function layernormBackward(dout: Tensor, cache: LayernormCache): NormGrads {
  const fn = 'layernormBackward';
  if (cache === null || typeof cache !== 'object' || !(cache.invStd instanceof Float64Array)) {
    throw new ValueError(fn, 'cache', `must be the cache layernormForward returned, got ${describe(cache)}`);
  }
  const { x, gamma, invStd, xhat } = cache;
  checkTensor(fn, 'cache.x', x);
  const [N, D] = x.shape;
  if (x.shape.length !== 2 || invStd.length !== N) {
    throw new ValueError(
      fn,
      'cache',
      'must be the cache layernormForward returned (its statistics do not match cache.x)',
    );
  }
  checkShape(fn, 'dout', dout, [N, D], `to match the forward output [${N}, ${D}]`);
  checkSameDType(fn, { 'cache.x': x, dout });

  const g = dout.data;
  const h = xhat.data;
  const gm = gamma.data;
  const dgamma = new Float64Array(D);
  const dbeta = new Float64Array(D);
  const dx = allocate(x.dtype, N * D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    let sum = 0; // Σⱼ dx̂
    let dot = 0; // Σⱼ dx̂·x̂
    for (let j = 0; j < D; j++) {
      const i = row + j;
      const d = g[i] * gm[j];
      sum += d;
      dot += d * h[i];
      dgamma[j] += g[i] * h[i];
      dbeta[j] += g[i];
    }
    const scale = invStd[n] / D;
    for (let j = 0; j < D; j++) {
      const i = row + j;
      dx[i] = scale * (D * g[i] * gm[j] - sum - h[i] * dot);
    }
  }
  const dg = allocate(x.dtype, D);
  const db = allocate(x.dtype, D);
  dg.set(dgamma);
  db.set(dbeta);
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dg, [D]), dbeta: new Tensor(db, [D]) };
}

/** What {@link layernormForward} keeps for the backward pass. */
export interface LayernormCache {
  readonly x: Tensor;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly eps: number;
  /** 1/√(σₙ² + eps) of each row, [N], float64. */
  readonly invStd: Float64Array;
  /** The normalized input x̂, [N, D]. */
  readonly xhat: Tensor;
}
