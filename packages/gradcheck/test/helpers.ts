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
