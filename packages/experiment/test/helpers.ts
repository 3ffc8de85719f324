import type { BackpropError } from '@backprop/tensor';
import { expect } from 'vitest';

/** Asserts that `f` throws an error of class `cls` whose message is `message` (or matches it). */
export function expectError(
  f: () => unknown,
  cls: new (...args: never[]) => BackpropError,
  message: string | RegExp,
): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}
