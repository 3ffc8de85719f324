// Vanilla stochastic gradient descent:  w ← w − learningRate · dw
import { allocate, type Tensor, Tensor as TensorClass } from '@backprop/tensor';
import { checkUpdateArgs, hyper } from './check';
import type { UpdateResult } from './types';

/** sgd's config: `learningRate` (default 1e-2). */
export interface SgdConfig {
  learningRate?: number;
}

/**
 * One step of vanilla SGD.
 * @param w - weights, any shape
 * @param dw - gradient, shaped like w
 * @param config - `{ learningRate = 1e-2 }`
 * @returns the new weights and the config with its defaults filled in
 */
export function sgd(w: Tensor, dw: Tensor, config?: SgdConfig): UpdateResult<Required<SgdConfig>> {
  const fn = 'sgd';
  const next = checkUpdateArgs(fn, w, dw, config);
  const learningRate = hyper(fn, next, 'learningRate', 1e-2, { greaterThan: 0 });
  const out = allocate(w.dtype, w.size);
  const x = w.data;
  const g = dw.data;
  for (let i = 0; i < out.length; i++) out[i] = x[i] - learningRate * g[i];
  return { nextW: new TensorClass(out, w.shape), config: { ...next, learningRate } };
}
