import { expect } from 'vitest';

/** Asserts that f throws an error of exactly `expected`'s class with exactly its message. */
export function expectError(f: () => unknown, expected: Error): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(Error);
  expect((thrown as Error).constructor).toBe(expected.constructor);
  expect((thrown as Error).message).toBe(expected.message);
}

/** Row-major strides of a shape (written here independently of the library's stridesOf). */
export function strides(shape: readonly number[]): number[] {
  const out = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1];
  return out;
}

/** All multi-indices of a shape in row-major order. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((p, d) => p * d, 1);
  for (let flat = 0; flat < n; flat++) {
    const idx: number[] = [];
    let r = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]);
      r = Math.floor(r / shape[d]);
    }
    yield idx;
  }
}
