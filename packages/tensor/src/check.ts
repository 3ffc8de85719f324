// Argument checks shared by every package, so every message has the same form:
//   `<fn>: <arg> has shape [8,3,5,5], expected [F, 3, HH, WW] to match x's 3 channels`
// Checks run at the entry of public functions, before any work, so bad input never becomes a NaN later.
import type { DType } from './dtype';
import { DTypeError, ShapeError, ValueError } from './errors';
import { formatShape } from './shape';
import { Tensor } from './tensor';

/** One expected dimension: a number must match exactly; a string names a free dimension (`'N'`). */
export type DimSpec = number | string;

/** Throws unless `x` is a Tensor. */
export function checkTensor(fn: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    const got = x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
    throw new ValueError(fn, arg, `must be a Tensor, got ${got}`);
  }
}

/**
 * Throws a ShapeError unless `x` matches `expected`: numbers must match exactly; strings are free
 * dimensions, and a string used twice must take the same value both times.
 * `why` ends the message: "... expected [F, 3, HH, WW] to match x's 3 channels".
 * Returns the values bound to the named dimensions.
 */
export function checkShape(
  fn: string,
  arg: string,
  x: unknown,
  expected: readonly DimSpec[],
  why?: string,
): Record<string, number> {
  checkTensor(fn, arg, x);
  const bound: Record<string, number> = {};
  let ok = x.shape.length === expected.length;
  for (let i = 0; ok && i < expected.length; i++) {
    const e = expected[i];
    const d = x.shape[i];
    if (typeof e === 'number') ok = d === e;
    else if (e in bound) ok = bound[e] === d;
    else bound[e] = d;
  }
  if (!ok) {
    const pattern = `[${expected.map(String).join(', ')}]`;
    throw new ShapeError(
      fn,
      arg,
      `has shape ${formatShape(x.shape)}, expected ${pattern}${why ? ` ${why}` : ''}`,
    );
  }
  return bound;
}

/** Throws a ShapeError unless `x` has rank `rank` (`pattern` shows the expected layout, e.g. `[N, C, H, W]`). */
export function checkRank(fn: string, arg: string, x: unknown, rank: number, pattern?: string): void {
  checkTensor(fn, arg, x);
  if (x.shape.length !== rank) {
    throw new ShapeError(
      fn,
      arg,
      `has shape ${formatShape(x.shape)}, expected ${pattern ?? `rank ${rank}`} (${rank} dimensions)`,
    );
  }
}

/** Throws a DTypeError unless every tensor has the same dtype as the first. Returns that dtype. */
export function checkSameDType(fn: string, tensors: Record<string, Tensor>): DType {
  const names = Object.keys(tensors);
  const first = tensors[names[0]];
  for (const name of names.slice(1)) {
    const t = tensors[name];
    if (t.dtype !== first.dtype) {
      throw new DTypeError(fn, name, `has dtype ${t.dtype}, expected ${first.dtype} to match ${names[0]}`);
    }
  }
  return first.dtype;
}

/** Throws a DTypeError unless `dtype` is 'float32' or 'float64'. */
export function checkDType(fn: string, arg: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(fn, arg, `must be 'float32' or 'float64', got ${describe(dtype)}`);
  }
}

export interface NumberRule {
  /** Must be an integer. */
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  greaterThan?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive upper bound. */
  lessThan?: number;
}

/** Throws a ValueError unless `v` is a finite number obeying `rule`. */
export function checkNumber(fn: string, arg: string, v: unknown, rule: NumberRule = {}): number {
  const lower =
    rule.min !== undefined
      ? { bracket: '[', op: '>=', v: rule.min }
      : rule.greaterThan !== undefined
        ? { bracket: '(', op: '>', v: rule.greaterThan }
        : null;
  const upper =
    rule.max !== undefined
      ? { bracket: ']', op: '<=', v: rule.max }
      : rule.lessThan !== undefined
        ? { bracket: ')', op: '<', v: rule.lessThan }
        : null;
  // "a finite number in (0, 1]" when bounded on both sides, "an integer >= 1" when on one.
  let expected = rule.integer ? 'an integer' : 'a finite number';
  if (lower && upper) expected += ` in ${lower.bracket}${lower.v}, ${upper.v}${upper.bracket}`;
  else if (lower) expected += ` ${lower.op} ${lower.v}`;
  else if (upper) expected += ` ${upper.op} ${upper.v}`;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.greaterThan === undefined || v > rule.greaterThan) &&
    (rule.max === undefined || v <= rule.max) &&
    (rule.lessThan === undefined || v < rule.lessThan);
  if (!ok) throw new ValueError(fn, arg, `must be ${expected}, got ${describe(v)}`);
  return v as number;
}

/** Throws a ValueError unless `v` is one of `options`. */
export function checkOneOf<T extends string>(fn: string, arg: string, v: unknown, options: readonly T[]): T {
  if (!options.includes(v as T)) {
    throw new ValueError(
      fn,
      arg,
      `must be one of ${options.map((o) => `'${o}'`).join(', ')}, got ${describe(v)}`,
    );
  }
  return v as T;
}

/** Class labels: anything indexable with integer entries in [0, numClasses). */
export type Labels = ArrayLike<number>;

/**
 * Throws a ValueError unless `y` holds `n` integer labels in [0, numClasses).
 * Accepts Int32Array, Uint8Array, number[] and any other ArrayLike<number>.
 */
export function checkLabels(fn: string, arg: string, y: unknown, n: number, numClasses: number): Labels {
  if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<number>).length !== 'number') {
    throw new ValueError(fn, arg, `must be an array of ${n} integer labels, got ${describe(y)}`);
  }
  const labels = y as Labels;
  if (labels.length !== n) {
    throw new ValueError(fn, arg, `has ${labels.length} labels, expected ${n} to match the batch size`);
  }
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new ValueError(
        fn,
        `${arg}[${i}]`,
        `is ${describe(c)}, expected an integer label in [0, ${numClasses})`,
      );
    }
  }
  return labels;
}

/** A short description of a value for an error message. */
export function describe(v: unknown): string {
  if (v instanceof Tensor) return `a ${v.dtype} Tensor of shape ${formatShape(v.shape)}`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v;
}
