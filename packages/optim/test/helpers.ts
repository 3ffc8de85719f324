import { linspace, type Tensor } from '@backprop/tensor';
import { expect } from 'vitest';

/** The CS231n notebook's inputs: N, D = 4, 5 and np.linspace(lo, hi, num=N*D).reshape(N, D). */
export function grid(lo: number, hi: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  return linspace(lo, hi, 20, dtype).reshape([4, 5]);
}

/** CS231n's rel_error: max |a − b| / max(1e-8, |a| + |b|). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-8, Math.abs(a[i]) + Math.abs(b[i])));
  }
  return worst;
}

/** Asserts that f throws an error of exactly `expected`'s class with exactly its message. */
export function expectError(f: () => unknown, expected: Error): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(expected.constructor);
  expect((thrown as Error).constructor).toBe(expected.constructor);
  expect((thrown as Error).message).toBe(expected.message);
}
