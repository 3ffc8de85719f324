// Shared helpers for the dense-layer tests (affine, relu, norms, dropout, sandwiches).
import { type DType, Rng, randn, type Tensor } from '@backprop/tensor';
import { expect } from 'vitest';

/** A standard-normal tensor from a fixed seed, scaled and shifted. */
export function normal(
  shape: readonly number[],
  seed: number,
  dtype: DType = 'float64',
  mean = 0,
  std = 1,
): Tensor {
  return randn(shape, { rng: new Rng(seed), dtype, mean, std });
}

/** A deep copy of a tensor's values and shape, to check later that nothing changed them. */
export function snapshot(t: Tensor): { shape: number[]; values: number[] } {
  return { shape: [...t.shape], values: Array.from(t.data) };
}

/** Asserts that `fn` throws an instance of `cls` whose message is exactly `message`. */
export function expectThrow(fn: () => unknown, cls: new (...args: never[]) => Error, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name}: ${message}`).toBeInstanceOf(cls);
  expect((caught as Error).message).toBe(message);
}

/** Per-column mean and (biased) standard deviation of a [N, D] tensor. */
export function columnStats(t: Tensor): { mean: number[]; std: number[] } {
  const [N, D] = t.shape;
  const mean = new Array<number>(D).fill(0);
  const std = new Array<number>(D).fill(0);
  for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) mean[j] += t.data[n * D + j] / N;
  for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) std[j] += (t.data[n * D + j] - mean[j]) ** 2 / N;
  return { mean, std: std.map(Math.sqrt) };
}
