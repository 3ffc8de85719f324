// Batch normalization over the batch axis, per feature j (Ioffe & Szegedy 2015):
//   x̂ = (x − μ) / √(σ² + eps),  out = γ·x̂ + β;  μ, σ² from the batch (train) or running averages (test).
// Backward (train, closed form):  dx = γ/(N·√(σ²+eps)) · (N·dout − Σₙdout − x̂·Σₙ(dout·x̂)),  dγ = Σₙ dout·x̂,  dβ = Σₙ dout
import {
  allocate,
  checkNumber,
  checkOneOf,
  checkSameDType,
  checkShape,
  checkTensor,
  type DType,
  DTypeError,
  describe,
  formatShape,
  ShapeError,
  Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';

/** The modes of a normalization layer: batch statistics (train) or running averages (test). */
export type NormMode = 'train' | 'test';

/**
 * Options and state of a batchnorm layer, as CS231n's `bn_param`. `batchnormForward` writes
 * `runningMean` and `runningVar` back into this object (new tensors on every call), so keep one object
 * per layer for the whole training run.
 */
export interface BatchnormParam {
  /** 'train' normalizes with batch statistics and updates the running averages; 'test' uses the running averages. */
  mode: NormMode;
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Weight of the old running average in each update; default 0.9. */
  momentum?: number;
  /** Running mean, shape [D]; default zeros of x's dtype. */
  runningMean?: Tensor;
  /** Running (biased) variance, shape [D]; default zeros of x's dtype. */
  runningVar?: Tensor;
}

/** The valid modes, for argument checks (batchnorm, spatial batchnorm, dropout). */
export const NORM_MODES: readonly NormMode[] = ['train', 'test'];

/**
 * Checks a bnParam for `size` features (or channels) and fills its defaults: mode, eps 1e-5,
 * momentum 0.9, running statistics zeros of `dtype`. Shared by batchnorm and spatial batchnorm.
 */
export function readBatchnormParam(
  fn: string,
  bnParam: BatchnormParam,
  size: number,
  dtype: DType,
  unit: 'features' | 'channels',
): { mode: NormMode; eps: number; momentum: number; runningMean: Tensor; runningVar: Tensor } {
  if (bnParam === null || typeof bnParam !== 'object') {
    throw new ValueError(
      fn,
      'bnParam',
      `must be an object { mode, eps?, momentum?, ... }, got ${describe(bnParam)}`,
    );
  }
  const mode = checkOneOf(fn, 'bnParam.mode', bnParam.mode, NORM_MODES);
  const eps = checkNumber(fn, 'bnParam.eps', bnParam.eps ?? 1e-5, { greaterThan: 0 });
  const momentum = checkNumber(fn, 'bnParam.momentum', bnParam.momentum ?? 0.9, { min: 0, max: 1 });
  const runningMean = bnParam.runningMean ?? zeros([size], dtype);
  const runningVar = bnParam.runningVar ?? zeros([size], dtype);
  checkShape(fn, 'bnParam.runningMean', runningMean, [size], `to match x's ${size} ${unit}`);
  checkShape(fn, 'bnParam.runningVar', runningVar, [size], `to match x's ${size} ${unit}`);
  for (const [name, t] of [
    ['bnParam.runningMean', runningMean],
    ['bnParam.runningVar', runningVar],
  ] as const) {
    if (t.dtype !== dtype)
      throw new DTypeError(fn, name, `has dtype ${t.dtype}, expected ${dtype} to match x`);
  }
  return { mode, eps, momentum, runningMean, runningVar };
}

/**
 * Forward pass of batch normalization.
 *
 * Train mode normalizes with the batch mean and the biased (1/N) batch variance, then updates
 * `running = momentum·running + (1 − momentum)·batch` for both. Test mode normalizes with the running
 * averages. Both modes write `runningMean` and `runningVar` into `bnParam` (CS231n mutates `bn_param` too).
 * @param x - input, shape [N, D] (N >= 1 in train mode)
 * @param gamma - scale, shape [D]
 * @param beta - shift, shape [D]
 * @param bnParam - mode, eps, momentum and running statistics (see {@link BatchnormParam})
 * @returns out [N, D] and the cache for {@link batchnormBackward} / {@link batchnormBackwardAlt}
 * @throws ValueError for an unknown `bnParam.mode` or a bad eps / momentum; ShapeError, DTypeError for bad tensors
 */
export function batchnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
): { out: Tensor; cache: BatchnormCache } {
  const fn = 'batchnormForward';
  const { N, D } = checkShape(fn, 'x', x, ['N', 'D']);
  checkShape(fn, 'gamma', gamma, [D], `to match x's ${D} features`);
  checkShape(fn, 'beta', beta, [D], `to match x's ${D} features`);
  const dtype = checkSameDType(fn, { x, gamma, beta });
  const { mode, eps, momentum, runningMean, runningVar } = readBatchnormParam(
    fn,
    bnParam,
    D,
    dtype,
    'features',
  );
  if (mode === 'train' && N === 0) {
    throw new ShapeError(
      fn,
      'x',
      `has shape ${formatShape(x.shape)}, expected N >= 1 in train mode (batch statistics need an example)`,
    );
  }

  const src = x.data;
  // Per-feature statistics in float64: a two-pass mean and variance, exact enough for float32 batches too.
  const mean = new Float64Array(D);
  const variance = new Float64Array(D);
  let std: Float64Array | null = null;
  if (mode === 'train') {
    for (let n = 0; n < N; n++) {
      const row = n * D;
      for (let j = 0; j < D; j++) mean[j] += src[row + j];
    }
    for (let j = 0; j < D; j++) mean[j] /= N;
    for (let n = 0; n < N; n++) {
      const row = n * D;
      for (let j = 0; j < D; j++) {
        const d = src[row + j] - mean[j];
        variance[j] += d * d;
      }
    }
    for (let j = 0; j < D; j++) variance[j] /= N;
    std = overflowedStd(src, N, D, mean, variance);
    updateRunningStats(bnParam, runningMean, runningVar, mean, variance, momentum);
  } else {
    useRunningStats(fn, bnParam, runningMean, runningVar, mean, variance);
  }

  const invStd = inverseStd(variance, std, eps);
  const xhat = allocate(dtype, N * D);
  const out = allocate(dtype, N * D);
  const g = gamma.data;
  const b = beta.data;
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) {
      const h = (src[row + j] - mean[j]) * invStd[j];
      xhat[row + j] = h;
      out[row + j] = g[j] * h + b[j];
    }
  }
  return {
    out: new Tensor(out, [N, D]),
    cache: { mode, x, gamma, beta, eps, mean, variance, invStd, xhat: new Tensor(xhat, [N, D]) },
  };
}

/**
 * Backward pass of batch normalization, staged along the computational graph
 * (x → x−μ → (x−μ)² → σ² → √(σ²+eps) → 1/√ → x̂ → γx̂+β), one local derivative per stage.
 * In test mode μ and σ² are constants, so dx = dout·γ/√(σ²+eps).
 * Neither `dout` nor the cache is modified.
 * @param dout - upstream gradient, shape [N, D]
 * @param cache - from {@link batchnormForward}
 * @returns dx [N, D], dgamma [D], dbeta [D]
 */
export function batchnormBackward(dout: Tensor, cache: BatchnormCache): NormGrads {
  const fn = 'batchnormBackward';
  const { N, D } = checkBackward(fn, dout, cache);
  if (cache.mode === 'test') return testModeBackward(dout, cache, N, D);
  const { x, gamma, mean, invStd, xhat } = cache;
  const src = x.data;
  const g = dout.data;
  const h = xhat.data;
  const gm = gamma.data;

  // out = γ·x̂ + β
  const dbeta = new Float64Array(D);
  const dgamma = new Float64Array(D);
  // x̂ = (x−μ)·ivar, with ivar = 1/√(σ²+eps): ∂/∂ivar collects Σₙ dx̂·(x−μ)
  const divar = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) {
      const i = row + j;
      dbeta[j] += g[i];
      dgamma[j] += g[i] * h[i];
      divar[j] += g[i] * gm[j] * (src[i] - mean[j]);
    }
  }
  // ivar = 1/sqrtvar → dsqrtvar = −divar/sqrtvar²;  sqrtvar = √(σ²+eps) → dvar = dsqrtvar/(2·sqrtvar);
  // σ² = (1/N)Σ(x−μ)² → d(x−μ)² = dvar/N
  const dsq = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    const sqrtvar = 1 / invStd[j];
    const dsqrtvar = -divar[j] / (sqrtvar * sqrtvar);
    const dvar = (0.5 * dsqrtvar) / sqrtvar;
    dsq[j] = dvar / N;
  }
  // (x−μ) feeds both x̂ (dx̂·ivar) and the square (2·(x−μ)·dsq); μ = (1/N)Σx gets −Σₙ d(x−μ).
  const dx = allocate(x.dtype, N * D);
  const dxmu = new Float64Array(N * D);
  const dmu = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) {
      const i = row + j;
      const d = g[i] * gm[j] * invStd[j] + 2 * (src[i] - mean[j]) * dsq[j];
      dxmu[i] = d;
      dmu[j] -= d;
    }
  }
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) dx[row + j] = dxmu[row + j] + dmu[j] / N;
  }
  return grads(dx, dgamma, dbeta, x, N, D);
}

/**
 * Backward pass of batch normalization in closed form (one reduction pass, one elementwise pass):
 *   dx = γ·ivar/N · (N·dout − Σₙ dout − x̂·Σₙ(dout·x̂)).
 * Accepts the same cache as {@link batchnormBackward} and returns the same gradients.
 * @param dout - upstream gradient, shape [N, D]
 * @param cache - from {@link batchnormForward}
 * @returns dx [N, D], dgamma [D], dbeta [D]
 */
export function batchnormBackwardAlt(dout: Tensor, cache: BatchnormCache): NormGrads {
  const fn = 'batchnormBackwardAlt';
  const { N, D } = checkBackward(fn, dout, cache);
  if (cache.mode === 'test') return testModeBackward(dout, cache, N, D);
  const { x, gamma, invStd, xhat } = cache;
  const g = dout.data;
  const h = xhat.data;
  const gm = gamma.data;
  const dbeta = new Float64Array(D);
  const dgamma = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) {
      dbeta[j] += g[row + j];
      dgamma[j] += g[row + j] * h[row + j];
    }
  }
  const scale = new Float64Array(D);
  for (let j = 0; j < D; j++) scale[j] = (gm[j] * invStd[j]) / N;
  const dx = allocate(x.dtype, N * D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) {
      const i = row + j;
      dx[i] = scale[j] * (N * g[i] - dbeta[j] - h[i] * dgamma[j]);
    }
  }
  return grads(dx, dgamma, dbeta, x, N, D);
}

/**
 * Test mode normalizes with the running statistics, so a NaN or negative running variance (or a NaN or
 * infinite running mean) would turn every output into NaN: reject it. One pass over the D entries.
 * +Infinity is a valid running variance (what a float64 batch beyond ~1e154 accumulates); it maps to x̂ = 0.
 * @internal
 */
/**
 * Train mode's update of the running averages, written back into bnParam as new tensors:
 * `running = momentum·running + (1 − momentum)·batch` (shared with spatial batchnorm).
 */
export function updateRunningStats(
  bnParam: BatchnormParam,
  runningMean: Tensor,
  runningVar: Tensor,
  mean: Float64Array,
  variance: Float64Array,
  momentum: number,
): void {
  const D = mean.length;
  const nextMean = allocate(runningMean.dtype, D);
  const nextVar = allocate(runningVar.dtype, D);
  for (let j = 0; j < D; j++) {
    nextMean[j] = momentum * runningMean.data[j] + (1 - momentum) * mean[j];
    nextVar[j] = momentum * runningVar.data[j] + (1 - momentum) * variance[j];
  }
  bnParam.runningMean = new Tensor(nextMean, [D]);
  bnParam.runningVar = new Tensor(nextVar, [D]);
}

/** Test mode: checks the running statistics, copies them into mean and variance, keeps them in bnParam. */
export function useRunningStats(
  fn: string,
  bnParam: BatchnormParam,
  runningMean: Tensor,
  runningVar: Tensor,
  mean: Float64Array,
  variance: Float64Array,
): void {
  checkRunningStats(fn, runningMean, runningVar);
  mean.set(runningMean.data);
  variance.set(runningVar.data);
  bnParam.runningMean = runningMean;
  bnParam.runningVar = runningVar;
}

/** 1 / √(variance + eps) per feature; where the variance overflowed, 1 / the rescaled std instead. */
export function inverseStd(variance: Float64Array, std: Float64Array | null, eps: number): Float64Array {
  const invStd = new Float64Array(variance.length);
  for (let j = 0; j < variance.length; j++) invStd[j] = 1 / Math.sqrt(variance[j] + eps);
  if (std !== null) for (let j = 0; j < variance.length; j++) if (std[j] > 0) invStd[j] = 1 / std[j];
  return invStd;
}

export function checkRunningStats(fn: string, runningMean: Tensor, runningVar: Tensor): void {
  const m = runningMean.data;
  const v = runningVar.data;
  for (let j = 0; j < v.length; j++) {
    if (!(v[j] >= 0)) {
      throw new ValueError(fn, 'bnParam.runningVar', `[${j}] is ${v[j]}, expected >= 0`);
    }
    if (!Number.isFinite(m[j])) {
      throw new ValueError(fn, 'bnParam.runningMean', `[${j}] is ${m[j]}, expected a finite number`);
    }
  }
}

/**
 * The variance Σ(x − μ)²/N overflows float64 once |x − μ| passes ~1e154 (float32 input cannot reach it).
 * Only then (a check over the D variances) the standard deviation of each overflowed feature is
 * recomputed scaled by its largest deviation s: std = s·√(Σ((x − μ)/s)²/N), which is finite, and x̂ stays ±1-sized.
 * Returns null when nothing overflowed (the usual case), else per-feature std (0 where not recomputed).
 * @internal
 */
export function overflowedStd(
  src: Float32Array | Float64Array,
  N: number,
  D: number,
  mean: Float64Array,
  variance: Float64Array,
  stride = D,
  span = 1,
): Float64Array | null {
  let std: Float64Array | null = null;
  for (let j = 0; j < D; j++) {
    if (variance[j] !== Number.POSITIVE_INFINITY || !Number.isFinite(mean[j])) continue;
    std ??= new Float64Array(D);
    // Values of feature j: src[n·stride + j·span + p] for n < N, p < span.
    const mu = mean[j];
    let s = 0;
    for (let n = 0; n < N; n++) {
      const start = n * stride + j * span;
      for (let p = start; p < start + span; p++) s = Math.max(s, Math.abs(src[p] - mu));
    }
    let sum = 0;
    for (let n = 0; n < N; n++) {
      const start = n * stride + j * span;
      for (let p = start; p < start + span; p++) {
        const d = (src[p] - mu) / s;
        sum += d * d;
      }
    }
    std[j] = s * Math.sqrt(sum / (N * span));
  }
  return std;
}

/** Gradients of a batchnorm or layernorm layer, named after the forward's inputs. */
export interface NormGrads {
  /** Gradient with respect to x, shape [N, D]. */
  dx: Tensor;
  /** Gradient with respect to gamma, shape [D]. */
  dgamma: Tensor;
  /** Gradient with respect to beta, shape [D]. */
  dbeta: Tensor;
}

/** What {@link batchnormForward} keeps for the backward pass. Per-feature statistics are float64. */
export interface BatchnormCache {
  /** The mode of the forward pass: in test mode the statistics are constants. */
  readonly mode: NormMode;
  readonly x: Tensor;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly eps: number;
  /** The mean used to normalize, [D]: the batch mean (train) or the running mean (test). */
  readonly mean: Float64Array;
  /** The variance used to normalize, [D]. */
  readonly variance: Float64Array;
  /** 1/√(variance + eps), [D]. */
  readonly invStd: Float64Array;
  /** The normalized input x̂, [N, D]. */
  readonly xhat: Tensor;
}

// Test mode: μ, σ² are constants, so the layer is affine per feature.
function testModeBackward(dout: Tensor, cache: BatchnormCache, N: number, D: number): NormGrads {
  const { x, gamma, invStd, xhat } = cache;
  const g = dout.data;
  const h = xhat.data;
  const gm = gamma.data;
  const dbeta = new Float64Array(D);
  const dgamma = new Float64Array(D);
  const dx = allocate(x.dtype, N * D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let j = 0; j < D; j++) {
      const i = row + j;
      dbeta[j] += g[i];
      dgamma[j] += g[i] * h[i];
      dx[i] = g[i] * gm[j] * invStd[j];
    }
  }
  return grads(dx, dgamma, dbeta, x, N, D);
}

function grads(
  dx: Float32Array | Float64Array,
  dgamma: Float64Array,
  dbeta: Float64Array,
  x: Tensor,
  N: number,
  D: number,
): NormGrads {
  const dg = allocate(x.dtype, D);
  const db = allocate(x.dtype, D);
  dg.set(dgamma);
  db.set(dbeta);
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dg, [D]), dbeta: new Tensor(db, [D]) };
}

function checkBackward(fn: string, dout: Tensor, cache: BatchnormCache): { N: number; D: number } {
  if (cache === null || typeof cache !== 'object' || !(cache.invStd instanceof Float64Array)) {
    throw new ValueError(fn, 'cache', `must be the cache batchnormForward returned, got ${describe(cache)}`);
  }
  checkTensor(fn, 'cache.x', cache.x);
  const [N, D] = cache.x.shape;
  if (
    cache.x.shape.length !== 2 ||
    cache.invStd.length !== D ||
    (cache.mode !== 'train' && cache.mode !== 'test')
  ) {
    throw new ValueError(
      fn,
      'cache',
      'must be the cache batchnormForward returned (its statistics do not match cache.x)',
    );
  }
  checkShape(fn, 'dout', dout, [N, D], `to match the forward output [${N}, ${D}]`);
  checkSameDType(fn, { 'cache.x': cache.x, dout });
  return { N, D };
}
