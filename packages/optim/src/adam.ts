// Adam (Kingma & Ba, 2015), as CS231n: t is incremented BEFORE the bias correction.
//   t ← t + 1;  m ← β1·m + (1 − β1)·dw;  v ← β2·v + (1 − β2)·dw²
//   m̂ = m / (1 − β1ᵗ);  v̂ = v / (1 − β2ᵗ);  w ← w − learningRate · m̂ / (√v̂ + epsilon)
import { allocate, checkNumber, type Tensor, Tensor as TensorClass } from '@backprop/tensor';
import { checkUpdateArgs, hyper, state } from './check';
import type { UpdateResult } from './types';

/**
 * adam's config: `learningRate` (1e-3), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-8),
 * `m`, `v` (zeros like w), `t` (0, the number of steps taken so far).
 */
export interface AdamConfig {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  m?: Tensor;
  v?: Tensor;
  t?: number;
}

/**
 * One step of Adam. The new m and v are new tensors; the ones passed in are not touched.
 * @param w - weights, any shape
 * @param dw - gradient, shaped like w
 * @param config - `{ learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, m, v = zeros, t = 0 }`
 * @returns config.t one larger than it came
 */
export function adam(w: Tensor, dw: Tensor, config?: AdamConfig): UpdateResult<Required<AdamConfig>> {
  const fn = 'adam';
  const next = checkUpdateArgs(fn, w, dw, config);
  const learningRate = hyper(fn, next, 'learningRate', 1e-3, { greaterThan: 0 });
  const beta1 = hyper(fn, next, 'beta1', 0.9, { min: 0, lessThan: 1 });
  const beta2 = hyper(fn, next, 'beta2', 0.999, { min: 0, lessThan: 1 });
  const epsilon = hyper(fn, next, 'epsilon', 1e-8, { greaterThan: 0 });
  const m = state(fn, next, 'm', w);
  const v = state(fn, next, 'v', w, true);
  const t = checkNumber(fn, 'config.t', next.t ?? 0, { integer: true, min: 0 }) + 1;
  const correct1 = 1 - beta1 ** t;
  const correct2 = 1 - beta2 ** t;
  const out = allocate(w.dtype, w.size);
  const nextM = allocate(w.dtype, w.size);
  const nextV = allocate(w.dtype, w.size);
  const x = w.data;
  const g = dw.data;
  const md = m.data;
  const vd = v.data;
  for (let i = 0; i < out.length; i++) {
    nextM[i] = beta1 * md[i] + (1 - beta1) * g[i];
    nextV[i] = beta2 * vd[i] + (1 - beta2) * g[i] * g[i];
    // Read back the stored moments so float32 steps use exactly the state they hand on.
    const mHat = nextM[i] / correct1;
    const vHat = nextV[i] / correct2;
    out[i] = x[i] - (learningRate * mHat) / (Math.sqrt(vHat) + epsilon);
  }
  return {
    nextW: new TensorClass(out, w.shape),
    config: {
      ...next,
      learningRate,
      beta1,
      beta2,
      epsilon,
      m: new TensorClass(nextM, w.shape),
      v: new TensorClass(nextV, w.shape),
      t,
    },
  };
}
