// Ways to make a tensor. Default dtype is float32 (speed); pass 'float64' for gradient checks.
import { checkDType, checkNumber, describe } from './check';
import { allocate, type DType, dtypeOf, type FloatArray } from './dtype';
import { ShapeError, ValueError } from './errors';
import type { Rng } from './rng';
import { formatShape, sizeOf } from './shape';
import { type NestedArray, Tensor } from './tensor';

export interface TensorOptions {
  /** Shape for flat input; inferred from nesting otherwise. */
  shape?: readonly number[];
  /** Element type; defaults to the typed array's own type, else float32. */
  dtype?: DType;
}

/**
 * A tensor from flat values (with `opts.shape`, default `[values.length]`) or nested arrays
 * (shape inferred; ragged nesting is an error). Values are always copied.
 */
export function tensor(values: ArrayLike<number> | NestedArray, opts: TensorOptions = {}): Tensor {
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError('tensor', 'opts', `must be an object { shape?, dtype? }, got ${describe(opts)}`);
  }
  if (
    typeof values !== 'number' &&
    (values === null ||
      typeof values !== 'object' ||
      typeof (values as ArrayLike<number>).length !== 'number')
  ) {
    throw new ValueError(
      'tensor',
      'values',
      `must be a number or an array of numbers, got ${describe(values)}`,
    );
  }
  const dtype = opts.dtype ?? dtypeOf(values) ?? 'float32';
  checkDType('tensor', 'opts.dtype', dtype);
  let flat: ArrayLike<number>;
  let shape: readonly number[];
  if (typeof values === 'number') {
    flat = [values];
    shape = [];
  } else if (Array.isArray(values) && values.some(Array.isArray)) {
    const nestedShape = inferShape(values);
    flat = (values as unknown[]).flat(Number.POSITIVE_INFINITY as 1) as number[];
    shape = nestedShape;
  } else {
    flat = values as ArrayLike<number>;
    shape = [flat.length];
  }
  if (opts.shape !== undefined) {
    checkedShape('tensor', opts.shape, 'opts.shape');
    if (sizeOf(opts.shape) !== flat.length) {
      throw new ShapeError(
        'tensor',
        'opts.shape',
        `${formatShape(opts.shape)} holds ${sizeOf(opts.shape)} elements, values have ${flat.length}`,
      );
    }
    shape = opts.shape;
  }
  const data = allocateFor('tensor', 'values', dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number')
      throw new ValueError('tensor', `values[${i}]`, `must be a number, got ${typeof v}`);
    data[i] = v;
  }
  return new Tensor(data, shape);
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const check = (v: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new ShapeError('tensor', 'values', 'are ragged: nesting depth varies');
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError('tensor', 'values', `are ragged: expected ${shape[dim]} entries at depth ${dim}`);
    }
    for (const c of v) check(c, dim + 1);
  };
  check(values, 0);
  return shape;
}

function checkedShape(fn: string, shape: readonly number[], arg = 'shape'): readonly number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(fn, arg, `must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape;
}

/**
 * `allocate`, but a length no typed array can hold (or the engine cannot allocate) becomes a ValueError
 * naming `fn` and `arg` instead of a bare RangeError.
 */
function allocateFor(fn: string, arg: string, dtype: DType, length: number): FloatArray {
  try {
    return allocate(dtype, length);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ValueError(
      fn,
      arg,
      `needs ${length} ${dtype} elements, more than can be allocated (${e.message})`,
    );
  }
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkDType('zeros', 'dtype', dtype);
  return new Tensor(allocateFor('zeros', 'shape', dtype, sizeOf(checkedShape('zeros', shape))), shape);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  checkDType('full', 'dtype', dtype);
  if (typeof value !== 'number')
    throw new ValueError('full', 'value', `must be a number, got ${typeof value}`);
  const data = allocateFor('full', 'shape', dtype, sizeOf(checkedShape('full', shape)));
  data.fill(value);
  return new Tensor(data, shape);
}

/** `num` evenly spaced values from `start` to `stop` inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, num: number, dtype: DType = 'float32'): Tensor {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'stop', stop);
  checkNumber('linspace', 'num', num, { integer: true, min: 0 });
  checkDType('linspace', 'dtype', dtype);
  const data = allocateFor('linspace', 'num', dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (num > 1) data[num - 1] = stop;
  return new Tensor(data, [num]);
}

/** Values from `start` up to (not including) `stop` by `step` (numpy's arange). */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  checkNumber('arange', 'start', start);
  checkNumber('arange', 'stop', stop);
  if (typeof step !== 'number' || !Number.isFinite(step) || step === 0) {
    throw new ValueError('arange', 'step', `must be a finite non-zero number, got ${step}`);
  }
  checkDType('arange', 'dtype', dtype);
  const num = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocateFor('arange', 'stop', dtype, num);
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  return new Tensor(data, [num]);
}

export interface RandomOptions {
  /** The generator to draw from (required: there is no global randomness). */
  rng: Rng;
  dtype?: DType;
}

/**
 * Normal samples: `opts.mean` (default 0) plus `opts.std` (default 1) times a standard normal.
 * @throws ValueError for a missing `opts.rng`, a non-finite mean or a std that is negative or not finite
 */
export function randn(
  shape: readonly number[],
  opts: RandomOptions & { mean?: number; std?: number },
): Tensor {
  const fn = 'randn';
  const dtype = checkRandom(fn, opts);
  const mean = checkNumber(fn, 'opts.mean', opts.mean ?? 0);
  const std = checkNumber(fn, 'opts.std', opts.std ?? 1, { min: 0 });
  const data = allocateFor(fn, 'shape', dtype, sizeOf(checkedShape(fn, shape)));
  opts.rng.fillNormal(data, mean, std);
  return new Tensor(data, shape);
}

/**
 * Uniform samples in [low, high), default [0, 1).
 * @throws ValueError for a missing `opts.rng` or non-finite bounds
 */
export function rand(
  shape: readonly number[],
  opts: RandomOptions & { low?: number; high?: number },
): Tensor {
  const fn = 'rand';
  const dtype = checkRandom(fn, opts);
  const low = checkNumber(fn, 'opts.low', opts.low ?? 0);
  const high = checkNumber(fn, 'opts.high', opts.high ?? 1);
  const data = allocateFor(fn, 'shape', dtype, sizeOf(checkedShape(fn, shape)));
  opts.rng.fillUniform(data, low, high);
  return new Tensor(data, shape);
}

function checkRandom(fn: string, opts: RandomOptions): DType {
  if (!opts || typeof opts.rng?.fillNormal !== 'function' || typeof opts.rng?.fillUniform !== 'function') {
    throw new ValueError(fn, 'opts.rng', 'must be an Rng: randomness always comes from a seeded generator');
  }
  const dtype = opts.dtype ?? 'float32';
  checkDType(fn, 'opts.dtype', dtype);
  return dtype;
}
