// RMSProp (Hinton, lecture 6e):  cache ← decayRate · cache + (1 − decayRate) · dw²;
//                                w ← w − learningRate · dw / (√cache + epsilon)
import { allocate, type Tensor, Tensor as TensorClass } from '@backprop/tensor';
import { checkUpdateArgs, hyper, state } from './check';
import type { UpdateResult } from './types';

/** rmsprop's config: `learningRate` (1e-2), `decayRate` (0.99), `epsilon` (1e-8), `cache` (zeros like w). */
export interface RmspropConfig {
  learningRate?: number;
  decayRate?: number;
  epsilon?: number;
  cache?: Tensor;
}

/**
 * One step of RMSProp. The new cache is a new tensor; the one passed in is not touched.
 * @param w - weights, any shape
 * @param dw - gradient, shaped like w
 * @param config - `{ learningRate = 1e-2, decayRate = 0.99, epsilon = 1e-8, cache = zeros }`
 */
export function rmsprop(
  w: Tensor,
  dw: Tensor,
  config?: RmspropConfig,
): UpdateResult<Required<RmspropConfig>> {
  const fn = 'rmsprop';
  const next = checkUpdateArgs(fn, w, dw, config);
  const learningRate = hyper(fn, next, 'learningRate', 1e-2, { greaterThan: 0 });
  const decayRate = hyper(fn, next, 'decayRate', 0.99, { min: 0, lessThan: 1 });
  const epsilon = hyper(fn, next, 'epsilon', 1e-8, { greaterThan: 0 });
  const cache = state(fn, next, 'cache', w, true);
  const out = allocate(w.dtype, w.size);
  const nextCache = allocate(w.dtype, w.size);
  const x = w.data;
  const g = dw.data;
  const c = cache.data;
  for (let i = 0; i < out.length; i++) {
    const ci = decayRate * c[i] + (1 - decayRate) * g[i] * g[i];
    nextCache[i] = ci;
    // Read back the stored value so float32 steps use exactly the cache they hand on.
    out[i] = x[i] - (learningRate * g[i]) / (Math.sqrt(nextCache[i]) + epsilon);
  }
  return {
    nextW: new TensorClass(out, w.shape),
    config: { ...next, learningRate, decayRate, epsilon, cache: new TensorClass(nextCache, w.shape) },
  };
}
