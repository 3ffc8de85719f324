// Reductions over one axis, a list of axes, or all of them (numpy's sum/mean/var/max/min/argmax).
// The reduced axes are moved to the end (one permute copy, skipped when they are already last), so
// every output element reduces one contiguous run of the input: simple loops, no per-element index math.
// Accumulation is in float64 (JavaScript numbers) for both dtypes; the result is rounded once.
import { describe } from '../check';
import { allocate, type FloatArray } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { formatShape, sizeOf } from '../shape';
import { Tensor } from '../tensor';

/** Which axes to reduce: one axis, a list, or all (`undefined`/`null`). Negative axes count from the end. */
export type Axis = number | readonly number[] | null | undefined;

export interface ReduceOptions {
  /** Keep reduced axes as length-1 dimensions, so the result broadcasts against x (default false). */
  keepdims?: boolean;
}

/**
 * The axes `axis` names, normalised to sorted non-negative integers; throws ValueError on an axis out
 * of range, a non-integer or a repeat.
 */
export function normalizeAxes(fn: string, x: Tensor, axis: Axis): number[] {
  if (!(x instanceof Tensor)) throw new ValueError(fn, 'x', `must be a Tensor, got ${describe(x)}`);
  const n = x.ndim;
  if (axis === undefined || axis === null) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list)) {
    throw new ValueError(
      fn,
      'axis',
      `must be an integer, an array of integers or null, got ${describe(axis)}`,
    );
  }
  const out: number[] = [];
  for (const a of list) {
    if (!Number.isInteger(a) || a < -n || a >= n) {
      throw new ValueError(
        fn,
        'axis',
        `is ${describe(a)}, expected an integer in [${-n}, ${n}) for x of shape ${formatShape(x.shape)}`,
      );
    }
    const k = a < 0 ? a + n : a;
    if (out.includes(k)) throw new ValueError(fn, 'axis', `${formatShape(list)} names axis ${k} twice`);
    out.push(k);
  }
  return out.sort((p, q) => p - q);
}

interface Groups {
  /** The input with the reduced axes last, row-major. */
  data: FloatArray;
  /** Number of output elements. */
  count: number;
  /** Length of each contiguous run that reduces to one output element. */
  length: number;
  /** The output shape (with or without kept length-1 dimensions). */
  shape: number[];
}

function group(fn: string, x: Tensor, axis: Axis, opts: ReduceOptions): Groups {
  if (!(x instanceof Tensor)) throw new ValueError(fn, 'x', `must be a Tensor, got ${describe(x)}`);
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError(fn, 'opts', `must be an object { keepdims? }, got ${describe(opts)}`);
  }
  const reduced = normalizeAxes(fn, x, axis);
  const kept = x.shape.map((_, i) => i).filter((i) => !reduced.includes(i));
  const order = [...kept, ...reduced];
  const moved = order.every((a, i) => a === i) ? x : x.permute(order);
  const length = sizeOf(reduced.map((a) => x.shape[a]));
  const shape = opts.keepdims
    ? x.shape.map((d, i) => (reduced.includes(i) ? 1 : d))
    : kept.map((a) => x.shape[a]);
  return { data: moved.data, count: sizeOf(kept.map((a) => x.shape[a])), length, shape };
}

function reduce(
  fn: string,
  x: Tensor,
  axis: Axis,
  opts: ReduceOptions,
  run: (data: FloatArray, start: number, length: number) => number,
): Tensor {
  const g = group(fn, x, axis, opts);
  const out = allocate(x.dtype, g.count);
  for (let i = 0; i < g.count; i++) out[i] = run(g.data, i * g.length, g.length);
  return new Tensor(out, g.shape);
}

function checkNotEmpty(fn: string, x: Tensor, axis: Axis): void {
  const reduced = normalizeAxes(fn, x, axis);
  const length = sizeOf(reduced.map((a) => x.shape[a]));
  const count = sizeOf(x.shape.filter((_, i) => !reduced.includes(i)));
  // numpy allows an empty result ([0,3] reduced over axis 1) but not an empty run with nowhere to go.
  if (length === 0 && count > 0) {
    throw new ShapeError(fn, 'x', `has shape ${formatShape(x.shape)}, cannot reduce over an empty axis`);
  }
}

function runSum(data: FloatArray, start: number, length: number): number {
  let s = 0;
  for (let i = start; i < start + length; i++) s += data[i];
  return s;
}

/**
 * Σ x over `axis` (all axes by default). Empty runs sum to 0.
 * @param x - any shape
 * @returns x's shape without the reduced axes (or with them as 1s when `keepdims`)
 */
export function sum(x: Tensor, axis?: Axis, opts: ReduceOptions = {}): Tensor {
  return reduce('sum', x, axis, opts, runSum);
}

/** Arithmetic mean over `axis` (NaN over an empty axis, as numpy). */
export function mean(x: Tensor, axis?: Axis, opts: ReduceOptions = {}): Tensor {
  return reduce('mean', x, axis, opts, (data, start, length) => runSum(data, start, length) / length);
}

/**
 * Population variance (ddof 0: divides by the count) over `axis`, two-pass: mean first, then the mean
 * squared deviation, which avoids the cancellation of E[x²] − E[x]².
 */
export function variance(x: Tensor, axis?: Axis, opts: ReduceOptions = {}): Tensor {
  return reduce('variance', x, axis, opts, (data, start, length) => {
    const m = runSum(data, start, length) / length;
    let s = 0;
    for (let i = start; i < start + length; i++) s += (data[i] - m) * (data[i] - m);
    return s / length;
  });
}

/** Largest value over `axis`; NaN if the run holds a NaN. Throws ShapeError over an empty axis. */
export function max(x: Tensor, axis?: Axis, opts: ReduceOptions = {}): Tensor {
  if (x instanceof Tensor) checkNotEmpty('max', x, axis);
  return reduce('max', x, axis, opts, (data, start, length) => {
    let m = Number.NEGATIVE_INFINITY;
    for (let i = start; i < start + length; i++) {
      const v = data[i];
      if (Number.isNaN(v)) return Number.NaN;
      if (v > m) m = v;
    }
    return m;
  });
}

/** Smallest value over `axis`; NaN if the run holds a NaN. Throws ShapeError over an empty axis. */
export function min(x: Tensor, axis?: Axis, opts: ReduceOptions = {}): Tensor {
  if (x instanceof Tensor) checkNotEmpty('min', x, axis);
  return reduce('min', x, axis, opts, (data, start, length) => {
    let m = Number.POSITIVE_INFINITY;
    for (let i = start; i < start + length; i++) {
      const v = data[i];
      if (Number.isNaN(v)) return Number.NaN;
      if (v < m) m = v;
    }
    return m;
  });
}

function argBest(
  fn: string,
  x: Tensor,
  axis: number | null | undefined,
  opts: ReduceOptions,
  sign: 1 | -1,
): Tensor {
  if (x instanceof Tensor && axis !== undefined && axis !== null && typeof axis !== 'number') {
    throw new ValueError(fn, 'axis', `must be a single integer or null, got ${describe(axis)}`);
  }
  if (x instanceof Tensor) checkNotEmpty(fn, x, axis);
  return reduce(fn, x, axis, opts, (data, start, length) => {
    let best = 0;
    let value = data[start];
    if (Number.isNaN(value)) return 0;
    for (let i = 1; i < length; i++) {
      const v = data[start + i];
      if (Number.isNaN(v)) return i;
      if (sign * v > sign * value) {
        best = i;
        value = v;
      }
    }
    return best;
  });
}

/**
 * Index of the largest value along `axis` (first one on ties; the first NaN if any), as numpy's argmax.
 * Without an axis, the index into the flattened tensor.
 * Indices are returned as a tensor in x's dtype, so they compose with the other ops (float32 holds
 * every integer below 2^24 exactly); read them with `Array.from(out.data)` when you need numbers.
 * @param axis - one axis, or null/undefined for the flattened tensor
 */
export function argmax(x: Tensor, axis?: number | null, opts: ReduceOptions = {}): Tensor {
  return argBest('argmax', x, axis, opts, 1);
}

/** Index of the smallest value along `axis` (first one on ties; the first NaN if any). See argmax. */
export function argmin(x: Tensor, axis?: number | null, opts: ReduceOptions = {}): Tensor {
  return argBest('argmin', x, axis, opts, -1);
}
