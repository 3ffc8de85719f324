// Argument checks shared by the rules, so every message has one form:
//   `adam: config.beta1 must be a finite number in [0, 1), got 1`
import {
  checkNumber,
  checkSameDType,
  checkShape,
  checkTensor,
  describe,
  type FloatArray,
  firstNotNonNegativeF32,
  type Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import type { OptimConfig, UpdateOptions } from './types';

const KNOWN_KEYS: readonly (keyof OptimConfig)[] = [
  'learningRate',
  'momentum',
  'velocity',
  'decayRate',
  'epsilon',
  'cache',
  'beta1',
  'beta2',
  'm',
  'v',
  't',
];

/** Checks w and dw (same shape and dtype) and the config object; returns a shallow copy of config. */
export function checkUpdateArgs(
  fn: string,
  w: Tensor,
  dw: Tensor,
  config: OptimConfig | undefined,
): OptimConfig {
  checkTensor(fn, 'w', w);
  checkShape(fn, 'dw', dw, w.shape, 'to match w');
  checkSameDType(fn, { w, dw });
  if (config === undefined) return {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ValueError(fn, 'config', `must be an object, got ${describe(config)}`);
  }
  for (const key of Object.keys(config)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      // Catches CS231n's snake_case (learning_rate) too, which would otherwise fall back to a default.
      throw new ValueError(fn, `config.${key}`, `is not an option; the options are ${KNOWN_KEYS.join(', ')}`);
    }
  }
  return { ...config };
}

/** `config[key]` or its default, checked against `rule`. */
export function hyper(
  fn: string,
  config: OptimConfig,
  key: 'learningRate' | 'momentum' | 'decayRate' | 'epsilon' | 'beta1' | 'beta2',
  fallback: number,
  rule: Parameters<typeof checkNumber>[3],
): number {
  return checkNumber(fn, `config.${key}`, config[key] ?? fallback, rule);
}

/**
 * The state tensor `config[key]`, checked to match w, or zeros like w. `nonNegative` (the running
 * averages of dw², rmsprop's cache and adam's v) also rejects negative and NaN entries, which no step
 * can produce and which would turn the square root of the update into NaN.
 */
export function state(
  fn: string,
  config: OptimConfig,
  key: 'velocity' | 'cache' | 'm' | 'v',
  w: Tensor,
  nonNegative = false,
): Tensor {
  const s = config[key];
  if (s === undefined) return zeros(w.shape, w.dtype);
  checkShape(fn, `config.${key}`, s, w.shape, 'to match w');
  checkSameDType(fn, { w, [`config.${key}`]: s });
  if (nonNegative) {
    const i = firstNotNonNegative(s.data);
    if (i >= 0) {
      throw new ValueError(
        fn,
        `config.${key}`,
        `[${i}] is ${s.data[i]}, expected >= 0 (a running average of dw², which is never negative)`,
      );
    }
  }
  return s;
}

/**
 * The index of the first entry that is negative or NaN, or −1: the SIMD kernel for float32 (0.3 ms on
 * 627k floats, against 0.8-1.2 ms for the loop below), the loop otherwise. A function of its own, so
 * V8 does not compile the loop on-stack inside `state` (see adam.ts).
 */
function firstNotNonNegative(d: FloatArray): number {
  if (d instanceof Float32Array) {
    const simd = firstNotNonNegativeF32(d);
    if (simd !== undefined) return simd;
  }
  for (let i = 0; i < d.length; i++) if (!(d[i] >= 0)) return i;
  return -1;
}

/** Checks `options` and returns whether the step may write into w and the state tensors. */
export function checkInPlace(fn: string, options: UpdateOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object') {
    throw new ValueError(fn, 'options', `must be an object, got ${describe(options)}`);
  }
  const inPlace = options.inPlace ?? false;
  if (typeof inPlace !== 'boolean') {
    throw new ValueError(fn, 'options.inPlace', `must be true or false, got ${describe(inPlace)}`);
  }
  return inPlace;
}

/** Where a step writes: `t`'s own array in place, else a fresh one. */
export function target(t: Tensor, inPlace: boolean): Tensor {
  return inPlace ? t : zeros(t.shape, t.dtype);
}
