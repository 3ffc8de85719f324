// Shared test helpers: numerical gradient checks of a whole model, and snapshots for "nothing changed".
import { evalNumericalGradient, relError } from '@backprop/gradcheck';
import { Rng, randn, type Tensor } from '@backprop/tensor';
import { expect } from 'vitest';
import type { BuiltinModel, ModelState } from '../src/index';

/**
 * Compares every analytic gradient of `model.loss(X, y)` with the centered-difference numerical gradient
 * in float64 and asserts relError < 1e-7 (1e-6 for the gamma of normalization layers, as CONTRIBUTING
 * allows). The model state (dropout generator, running statistics) is restored before every loss
 * evaluation, so a dropout model draws the same masks for the analytic pass and every numerical one.
 * @param zeroGradient - parameters whose true gradient is exactly zero (the bias before a batchnorm,
 *   which the normalization cancels): both gradients must be ~0; a relative error means nothing there
 * @returns the relative error of each parameter's gradient
 */
export function checkGradients(
  model: BuiltinModel,
  X: Tensor,
  y: ArrayLike<number>,
  zeroGradient: readonly string[] = [],
): Record<string, number> {
  const state = model.getState();
  const lossAt = () => {
    model.setState(state);
    return model.loss(X, y).loss;
  };
  model.setState(state);
  const { grads } = model.loss(X, y);
  expect(Object.keys(grads).sort()).toEqual(Object.keys(model.params).sort());
  const errors: Record<string, number> = {};
  for (const name of Object.keys(model.params)) {
    const numeric = evalNumericalGradient(lossAt, model.params[name]);
    errors[name] = relError(numeric, grads[name]);
    if (zeroGradient.includes(name)) {
      expect(maxAbs(grads[name]), `max |d${name}| (analytic)`).toBeLessThan(1e-12);
      expect(maxAbs(numeric), `max |d${name}| (numerical)`).toBeLessThan(1e-8);
    } else {
      const tol = name.startsWith('gamma') ? 1e-6 : 1e-7;
      expect(errors[name], `relative error of d${name}`).toBeLessThan(tol);
    }
  }
  return errors;
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(t.data[i]));
  return m;
}

/** Standard-normal inputs of `shape` in float64 from a fixed seed. */
export function randomInput(shape: number[], seed = 1): Tensor {
  return randn(shape, { rng: new Rng(seed), dtype: 'float64' });
}

/** `n` labels in [0, classes) from a fixed seed. */
export function randomLabels(n: number, classes: number, seed = 2): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.integer(0, classes));
}

/** A deep copy of a model's parameters and state, to prove later that nothing changed. */
export function snapshot(model: BuiltinModel): { params: Record<string, number[]>; state: unknown } {
  const params: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(model.params)) params[name] = [...t.shape, ...Array.from(t.data)];
  const state: ModelState = model.getState();
  const tensors: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(state.tensors)) tensors[name] = Array.from(t.data);
  return { params, state: { tensors, rng: state.rng } };
}

/** Sum of squares of the data of a tensor, in float64. */
export function sumOfSquares(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i] * t.data[i];
  return s;
}

/** Asserts that `f` throws an instance of `cls` with exactly `message`. */
export function expectError(f: () => unknown, cls: new (...args: never[]) => Error, message: string): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${cls.name}: ${message}`).toBeInstanceOf(cls);
  expect((error as Error).message).toBe(message);
}

/**
 * Replaces zero biases and unit gammas with random values (fixed seed), so that no ReLU input sits
 * exactly on its kink at 0, where a numerical gradient is meaningless (a zero bias with a fully
 * dropped-out row puts every unit of that row there).
 */
export function randomizeParams(model: BuiltinModel, seed = 3): void {
  const rng = new Rng(seed);
  for (const [name, p] of Object.entries(model.params)) {
    if (name.startsWith('W')) continue;
    const center = name.startsWith('gamma') ? 1 : 0;
    for (let i = 0; i < p.size; i++) p.data[i] = center + rng.normal(0, 0.2);
  }
}
