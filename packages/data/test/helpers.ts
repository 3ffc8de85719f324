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

/** The async twin of expectError. */
export async function expectRejects(
  p: Promise<unknown>,
  cls: new (...args: never[]) => BackpropError,
  message: string | RegExp,
): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

/** A CIFAR-10 record by the format: label byte, then 1024 R, 1024 G, 1024 B bytes. */
export function cifarRecord(label: number, pixel: (c: number, i: number) => number): number[] {
  const out = [label];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 1024; i++) out.push(pixel(c, i) & 255);
  return out;
}
