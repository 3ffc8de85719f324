// Spatial batch normalization: batchnorm per channel c, with statistics over (N, H, W) (Ioffe & Szegedy 2015, §3.2):
//   x̂ = (x − μ_c) / √(σ_c² + eps),  out = γ_c·x̂ + β_c;  dx = γ_c/(M·√(σ_c²+eps)) · (M·dout − Σdout − x̂·Σ(dout·x̂)), M = N·H·W.
import {
  allocate,
  checkRank,
  checkSameDType,
  checkShape,
  formatShape,
  ShapeError,
  Tensor,
  ValueError,
} from '@backprop/tensor';
import {
  type BatchnormParam,
  inverseStd,
  type NormMode,
  overflowedStd,
  readBatchnormParam,
  updateRunningStats,
  useRunningStats,
} from './batchnorm';
import { describeCache } from './cache-kind';

/**
 * Forward pass of spatial batch normalization, with the same `bnParam` semantics as `batchnormForward`:
 * train mode uses the per-channel batch mean and biased variance over (N, H, W) and updates
 * `running = momentum·running + (1 − momentum)·batch`; test mode uses the running averages; both modes
 * write `runningMean` and `runningVar` (shape [C]) back into `bnParam`. Loops run directly over NCHW
 * (no transpose to [N·H·W, C]).
 * @param x - input, shape [N, C, H, W] (N·H·W >= 1 in train mode)
 * @param gamma - scale, shape [C]
 * @param beta - shift, shape [C]
 * @param bnParam - `{ mode: 'train' | 'test', eps? = 1e-5, momentum? = 0.9, runningMean?, runningVar? }`
 * @returns out [N, C, H, W] and the cache for `spatialBatchnormBackward`
 */
export function spatialBatchnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
): { out: Tensor; cache: SpatialBatchnormCache } {
  const fn = 'spatialBatchnormForward';
  checkRank(fn, 'x', x, 4, '[N, C, H, W]');
  const [N, C, H, W] = x.shape;
  checkShape(fn, 'gamma', gamma, [C], `to match x's ${C} channels`);
  checkShape(fn, 'beta', beta, [C], `to match x's ${C} channels`);
  const dtype = checkSameDType(fn, { x, gamma, beta });
  const { mode, eps, momentum, runningMean, runningVar } = readBatchnormParam(
    fn,
    bnParam,
    C,
    dtype,
    'channels',
  );
  const P = H * W;
  const M = N * P;
  if (mode === 'train' && M === 0) {
    throw new ShapeError(
      fn,
      'x',
      `has shape ${formatShape(x.shape)}, expected N·H·W >= 1 in train mode (batch statistics need a value)`,
    );
  }

  const src = x.data;
  // Per-channel statistics in float64, two passes (mean, then squared deviations): stable for float32 input.
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  let std: Float64Array | null = null;
  if (mode === 'train') {
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const start = (n * C + c) * P;
        let s = 0;
        for (let p = 0; p < P; p++) s += src[start + p];
        mean[c] += s;
      }
    }
    for (let c = 0; c < C; c++) mean[c] /= M;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const start = (n * C + c) * P;
        const mu = mean[c];
        let s = 0;
        for (let p = 0; p < P; p++) {
          const d = src[start + p] - mu;
          s += d * d;
        }
        variance[c] += s;
      }
    }
    for (let c = 0; c < C; c++) variance[c] /= M;
    std = overflowedStd(src, N, C, mean, variance, C * P, P);
    updateRunningStats(bnParam, runningMean, runningVar, mean, variance, momentum);
  } else {
    useRunningStats(fn, bnParam, runningMean, runningVar, mean, variance);
  }

  const invStd = inverseStd(variance, std, eps);
  const out = allocate(dtype, x.size);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const start = (n * C + c) * P;
      // out = γ·(x − μ)·ivar + β = scale·x + shift
      const scale = gamma.data[c] * invStd[c];
      const shift = beta.data[c] - scale * mean[c];
      for (let p = start; p < start + P; p++) out[p] = scale * src[p] + shift;
    }
  }
  return {
    out: new Tensor(out, x.shape),
    cache: { kind: 'spatialBatchnorm', mode, x, gamma, beta, eps, mean, variance, invStd },
  };
}

/**
 * Backward pass of spatial batch normalization (closed form per channel; in test mode μ and σ² are
 * constants, so dx = dout·γ/√(σ²+eps)). Neither `dout` nor the cache is modified.
 * @param dout - upstream gradient, shape [N, C, H, W]
 * @param cache - from `spatialBatchnormForward`
 * @returns dx [N, C, H, W], dgamma [C], dbeta [C]
 */
export function spatialBatchnormBackward(
  dout: Tensor,
  cache: SpatialBatchnormCache,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const fn = 'spatialBatchnormBackward';
  if (
    cache === null ||
    typeof cache !== 'object' ||
    cache.kind !== 'spatialBatchnorm' ||
    !(cache.x instanceof Tensor) ||
    !(cache.invStd instanceof Float64Array)
  ) {
    throw new ValueError(
      fn,
      'cache',
      `must be the cache returned by spatialBatchnormForward (kind 'spatialBatchnorm'), got ${describeCache(cache)}`,
    );
  }
  const { mode, x, gamma, mean, invStd } = cache;
  checkShape(fn, 'dout', dout, x.shape, "to match the forward pass's x [N, C, H, W]");
  checkSameDType(fn, { x, dout });
  const [N, C, H, W] = x.shape;
  const P = H * W;
  const M = N * P;
  const src = x.data;
  const g = dout.data;
  const dbeta = new Float64Array(C);
  const dgamma = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const start = (n * C + c) * P;
      const mu = mean[c];
      let sb = 0;
      let sg = 0;
      for (let p = start; p < start + P; p++) {
        sb += g[p];
        sg += g[p] * (src[p] - mu);
      }
      dbeta[c] += sb;
      dgamma[c] += sg * invStd[c];
    }
  }
  const dx = allocate(x.dtype, x.size);
  for (let c = 0; c < C; c++) {
    const k = gamma.data[c] * invStd[c];
    for (let n = 0; n < N; n++) {
      const start = (n * C + c) * P;
      if (mode === 'test') {
        for (let p = start; p < start + P; p++) dx[p] = k * g[p];
      } else {
        // dx = k/M · (M·dout − Σdout − x̂·Σ(dout·x̂)),  x̂ = (x − μ)·ivar
        const a = k;
        const b = (k * dbeta[c]) / M;
        const e = (k * dgamma[c] * invStd[c]) / M;
        const mu = mean[c];
        for (let p = start; p < start + P; p++) dx[p] = a * g[p] - b - e * (src[p] - mu);
      }
    }
  }
  return {
    dx: new Tensor(dx, x.shape),
    dgamma: new Tensor(toDType(dgamma, x.dtype), [C]),
    dbeta: new Tensor(toDType(dbeta, x.dtype), [C]),
  };
}

function toDType(values: Float64Array, dtype: Tensor['dtype']): Float32Array | Float64Array {
  const out = allocate(dtype, values.length);
  out.set(values);
  return out;
}

/** What `spatialBatchnormForward` keeps for the backward pass. Per-channel statistics are float64; x̂ is recomputed. */
export interface SpatialBatchnormCache {
  /** Tags the cache so `spatialBatchnormBackward` rejects look-alikes (e.g. a group-norm cache). */
  readonly kind: 'spatialBatchnorm';
  /** The mode of the forward pass: in test mode the statistics are constants. */
  readonly mode: NormMode;
  readonly x: Tensor;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly eps: number;
  /** The per-channel mean used to normalize, [C]: batch (train) or running (test). */
  readonly mean: Float64Array;
  /** The per-channel variance used to normalize, [C]. */
  readonly variance: Float64Array;
  /** 1/√(variance + eps), [C]. */
  readonly invStd: Float64Array;
}
