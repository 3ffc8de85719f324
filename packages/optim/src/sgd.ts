// Vanilla stochastic gradient descent:  w ← w − learningRate · dw
import type { FloatArray, Tensor } from '@backprop/tensor';
import { checkInPlace, checkUpdateArgs, hyper, target } from './check';
import type { UpdateOptions, UpdateResult } from './types';

/** sgd's config: `learningRate` (default 1e-2). */
export interface SgdConfig {
  learningRate?: number;
}

/**
 * One step of vanilla SGD.
 * @param w - weights, any shape
 * @param dw - gradient, shaped like w
 * @param config - `{ learningRate = 1e-2 }`
 * @param options - `{ inPlace }`: write into w instead of allocating
 * @returns the new weights and the config with its defaults filled in
 */
export function sgd(
  w: Tensor,
  dw: Tensor,
  config?: SgdConfig,
  options?: UpdateOptions,
): UpdateResult<Required<SgdConfig>> {
  const fn = 'sgd';
  const next = checkUpdateArgs(fn, w, dw, config);
  const inPlace = checkInPlace(fn, options);
  const learningRate = hyper(fn, next, 'learningRate', 1e-2, { greaterThan: 0 });
  const nextW = target(w, inPlace);
  sgdLoop(nextW.data, w.data, dw.data, learningRate);
  return { nextW, config: { ...next, learningRate } };
}

/** The update loop, a function of its own so V8 optimizes it whole (see adam.ts). */
function sgdLoop(out: FloatArray, x: FloatArray, g: FloatArray, learningRate: number): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i] - learningRate * g[i];
}
