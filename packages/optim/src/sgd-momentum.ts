// SGD with momentum (CS231n's form):  v ← momentum · v − learningRate · dw;  w ← w + v
import type { FloatArray, Tensor } from '@backprop/tensor';
import { checkInPlace, checkUpdateArgs, hyper, state, target } from './check';
import type { UpdateOptions, UpdateResult } from './types';

/** sgdMomentum's config: `learningRate` (1e-2), `momentum` (0.9), `velocity` (zeros like w). */
export interface SgdMomentumConfig {
  learningRate?: number;
  momentum?: number;
  velocity?: Tensor;
}

/**
 * One step of SGD with momentum. The new velocity is a new tensor; the one passed in is not touched.
 * @param w - weights, any shape
 * @param dw - gradient, shaped like w
 * @param config - `{ learningRate = 1e-2, momentum = 0.9, velocity = zeros }`
 * @param options - `{ inPlace }`: write into w and velocity instead of allocating
 */
export function sgdMomentum(
  w: Tensor,
  dw: Tensor,
  config?: SgdMomentumConfig,
  options?: UpdateOptions,
): UpdateResult<Required<SgdMomentumConfig>> {
  const fn = 'sgdMomentum';
  const next = checkUpdateArgs(fn, w, dw, config);
  const inPlace = checkInPlace(fn, options);
  const learningRate = hyper(fn, next, 'learningRate', 1e-2, { greaterThan: 0 });
  const momentum = hyper(fn, next, 'momentum', 0.9, { min: 0, lessThan: 1 });
  const velocity = state(fn, next, 'velocity', w);
  const nextW = target(w, inPlace);
  const velocityOut = target(velocity, inPlace);
  momentumLoop(nextW.data, velocityOut.data, w.data, dw.data, velocity.data, learningRate, momentum);
  return {
    nextW,
    config: { ...next, learningRate, momentum, velocity: velocityOut },
  };
}

/** The update loop, a function of its own so V8 optimizes it whole (see adam.ts). */
function momentumLoop(
  out: FloatArray,
  nextV: FloatArray,
  x: FloatArray,
  g: FloatArray,
  v: FloatArray,
  learningRate: number,
  momentum: number,
): void {
  for (let i = 0; i < out.length; i++) {
    const vi = momentum * v[i] - learningRate * g[i];
    nextV[i] = vi;
    out[i] = x[i] + vi;
  }
}
