// Spatial group normalization (Wu & He 2018): each sample's C channels split into G contiguous groups, every
// (n, group) block of D = C/G·H·W values normalized: x̂ = (x − μ_ng)/√(σ_ng² + eps), out = γ_c·x̂ + β_c;
// dx̂ = dout·γ_c,  dx = ivar/D · (D·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) per block,  dγ_c = Σ_{n,h,w} dout·x̂,  dβ_c = Σ dout.
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
import { describeCache } from './cache-kind';

/** Options of a group-norm layer, as CS231n's `gn_param`. */
export interface GroupnormParam {
  /** Added to each group's variance before the square root; default 1e-5. */
  eps?: number;
}

/**
 * Forward pass of spatial group normalization. There are no running statistics: train and test are the same.
 * @param x - input, shape [N, C, H, W]
 * @param gamma - scale, shape [1, C, 1, 1] (keepdims, as the original API)
 * @param beta - shift, shape [1, C, 1, 1]
 * @param G - number of groups, an integer >= 1 that divides C
 * @param gnParam - `{ eps? = 1e-5 }`; may be omitted
 * @returns out [N, C, H, W] and the cache for `spatialGroupnormBackward`
 */
export function spatialGroupnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  G: number,
  gnParam: GroupnormParam = {},
): { out: Tensor; cache: SpatialGroupnormCache } {
  const fn = 'spatialGroupnormForward';
  checkRank(fn, 'x', x, 4, '[N, C, H, W]');
  const [N, C, H, W] = x.shape;
  checkShape(fn, 'gamma', gamma, [1, C, 1, 1], `to match x's ${C} channels`);
  checkShape(fn, 'beta', beta, [1, C, 1, 1], `to match x's ${C} channels`);
  checkSameDType(fn, { x, gamma, beta });
  checkNumber(fn, 'G', G, { integer: true, min: 1 });
  if (C % G !== 0) {
    throw new ValueError(
      fn,
      'G',
      `is ${G}, expected a divisor of x's ${C} channels (each group holds C/G whole channels)`,
    );
  }
  if (gnParam === null || typeof gnParam !== 'object') {
    throw new ValueError(fn, 'gnParam', `must be an object { eps? }, got ${describe(gnParam)}`);
  }
  const eps = checkNumber(fn, 'gnParam.eps', gnParam.eps ?? 1e-5, { greaterThan: 0 });
  const P = H * W;
  const D = (C / G) * P; // values per (n, group) block, contiguous in NCHW
  const src = x.data;
  const mean = new Float64Array(N * G);
  const invStd = new Float64Array(N * G);
  const out = allocate(x.dtype, x.size);
  for (let block = 0; block < N * G; block++) {
    const start = block * D;
    let s = 0;
    for (let i = start; i < start + D; i++) s += src[i];
    const mu = D > 0 ? s / D : 0;
    let v = 0;
    for (let i = start; i < start + D; i++) {
      const d = src[i] - mu;
      v += d * d;
    }
    const ivar = 1 / Math.sqrt((D > 0 ? v / D : 0) + eps);
    mean[block] = mu;
    invStd[block] = ivar;
    const c0 = (block % G) * (C / G);
    for (let c = c0; c < c0 + C / G; c++) {
      // out = γ_c·(x − μ)·ivar + β_c = scale·x + shift
      const scale = gamma.data[c] * ivar;
      const shift = beta.data[c] - scale * mu;
      const from = start + (c - c0) * P;
      for (let i = from; i < from + P; i++) out[i] = scale * src[i] + shift;
    }
  }
  return {
    out: new Tensor(out, x.shape),
    cache: { kind: 'spatialGroupnorm', x, gamma, beta, G, eps, mean, invStd },
  };
}

/**
 * Backward pass of spatial group normalization. Neither `dout` nor the cache is modified.
 * @param dout - upstream gradient, shape [N, C, H, W]
 * @param cache - from `spatialGroupnormForward`
 * @returns dx [N, C, H, W], dgamma [1, C, 1, 1], dbeta [1, C, 1, 1]
 */
export function spatialGroupnormBackward(
  dout: Tensor,
  cache: SpatialGroupnormCache,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const fn = 'spatialGroupnormBackward';
  if (
    cache === null ||
    typeof cache !== 'object' ||
    cache.kind !== 'spatialGroupnorm' ||
    !(cache.x instanceof Tensor) ||
    !(cache.invStd instanceof Float64Array)
  ) {
    throw new ValueError(
      fn,
      'cache',
      `must be the cache returned by spatialGroupnormForward (kind 'spatialGroupnorm'), got ${describeCache(cache)}`,
    );
  }
  const { x, gamma, G, mean, invStd } = cache;
  checkShape(fn, 'dout', dout, x.shape, "to match the forward pass's x [N, C, H, W]");
  checkSameDType(fn, { x, dout });
  const [N, C, H, W] = x.shape;
  const P = H * W;
  const Cg = C / G;
  const D = Cg * P;
  const src = x.data;
  const g = dout.data;
  const gm = gamma.data;
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  const dx = allocate(x.dtype, x.size);
  for (let block = 0; block < N * G; block++) {
    const start = block * D;
    const mu = mean[block];
    const ivar = invStd[block];
    const c0 = (block % G) * Cg;
    // Σ dx̂ and Σ dx̂·x̂ over the block, with dx̂ = dout·γ_c; dγ_c and dβ_c collect along the way.
    let sumDxhat = 0;
    let sumDxhatXhat = 0;
    for (let c = c0; c < c0 + Cg; c++) {
      const from = start + (c - c0) * P;
      let sb = 0;
      let sg = 0;
      for (let i = from; i < from + P; i++) {
        sb += g[i];
        sg += g[i] * (src[i] - mu);
      }
      sg *= ivar;
      dbeta[c] += sb;
      dgamma[c] += sg;
      sumDxhat += gm[c] * sb;
      sumDxhatXhat += gm[c] * sg;
    }
    // dx = ivar·dx̂ − ivar/D·Σdx̂ − ivar/D·x̂·Σ(dx̂·x̂)
    const b = (ivar * sumDxhat) / D;
    const e = (ivar * ivar * sumDxhatXhat) / D;
    for (let c = c0; c < c0 + Cg; c++) {
      const a = ivar * gm[c];
      const from = start + (c - c0) * P;
      for (let i = from; i < from + P; i++) dx[i] = a * g[i] - b - e * (src[i] - mu);
    }
  }
  const dgammaOut = allocate(x.dtype, C);
  const dbetaOut = allocate(x.dtype, C);
  dgammaOut.set(dgamma);
  dbetaOut.set(dbeta);
  return {
    dx: new Tensor(dx, x.shape),
    dgamma: new Tensor(dgammaOut, [1, C, 1, 1]),
    dbeta: new Tensor(dbetaOut, [1, C, 1, 1]),
  };
}

/** What `spatialGroupnormForward` keeps for the backward pass. Per-block statistics are float64; x̂ is recomputed. */
export interface SpatialGroupnormCache {
  /** Tags the cache so `spatialGroupnormBackward` rejects look-alikes (e.g. a spatial batchnorm cache). */
  readonly kind: 'spatialGroupnorm';
  readonly x: Tensor;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly G: number;
  readonly eps: number;
  /** Mean of each (n, group) block, [N·G]. */
  readonly mean: Float64Array;
  /** 1/√(variance + eps) of each block, [N·G]. */
  readonly invStd: Float64Array;
}
