// RMSProp (Hinton, lecture 6e):  cache ← decayRate · cache + (1 − decayRate) · dw²;
//                                w ← w − learningRate · dw / (√cache + epsilon)
import type { FloatArray, Tensor } from '@backprop/tensor';
import { checkInPlace, checkUpdateArgs, hyper, state, target } from './check';
import type { UpdateOptions, UpdateResult } from './types';

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
 * @param options - `{ inPlace }`: write into w and cache instead of allocating
 */
export function rmsprop(
  w: Tensor,
  dw: Tensor,
  config?: RmspropConfig,
  options?: UpdateOptions,
): UpdateResult<Required<RmspropConfig>> {
  const fn = 'rmsprop';
  const next = checkUpdateArgs(fn, w, dw, config);
  const inPlace = checkInPlace(fn, options);
  const learningRate = hyper(fn, next, 'learningRate', 1e-2, { greaterThan: 0 });
  const decayRate = hyper(fn, next, 'decayRate', 0.99, { min: 0, lessThan: 1 });
  const epsilon = hyper(fn, next, 'epsilon', 1e-8, { greaterThan: 0 });
  const cache = state(fn, next, 'cache', w, true);
  const nextW = target(w, inPlace);
  const cacheOut = target(cache, inPlace);
  rmspropLoop(nextW.data, cacheOut.data, w.data, dw.data, cache.data, learningRate, decayRate, epsilon);
  return {
    nextW,
    config: { ...next, learningRate, decayRate, epsilon, cache: cacheOut },
  };
}

/** The update loop, a function of its own so V8 optimizes it whole (see adam.ts). */
function rmspropLoop(
  out: FloatArray,
  nextCache: FloatArray,
  x: FloatArray,
  g: FloatArray,
  c: FloatArray,
  learningRate: number,
  decayRate: number,
  epsilon: number,
): void {
  for (let i = 0; i < out.length; i++) {
    nextCache[i] = decayRate * c[i] + (1 - decayRate) * g[i] * g[i];
    // Read back the stored value so float32 steps use exactly the cache they hand on.
    out[i] = x[i] - (learningRate * g[i]) / (Math.sqrt(nextCache[i]) + epsilon);
  }
}
