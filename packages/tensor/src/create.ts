// Ways to make a tensor. Default dtype is float32 (speed); pass 'float64' for gradient checks.
import { checkDType, checkNumber } from './check';
import { allocate, type DType, dtypeOf } from './dtype';
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
  if (opts.shape) {
    if (sizeOf(opts.shape) !== flat.length) {
      throw new ShapeError('tensor', 'opts.shape', `${formatShape(opts.shape)} holds ${sizeOf(opts.shape)} elements, values have ${flat.length}`);
    }
    shape = opts.shape;
  }
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new ValueError('tensor', `values[${i}]`, `must be a number, got ${typeof v}`);
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

function checkedShape(fn: string, shape: readonly number[]): readonly number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(fn, 'shape', `must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape;
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkDType('zeros', 'dtype', dtype);
  return new Tensor(allocate(dtype, sizeOf(checkedShape('zeros', shape))), shape);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  checkDType('full', 'dtype', dtype);
  if (typeof value !== 'number') throw new ValueError('full', 'value', `must be a number, got ${typeof value}`);
  const data = allocate(dtype, sizeOf(checkedShape('full', shape)));
  data.fill(value);
  return new Tensor(data, shape);
}

/** `num` evenly spaced values from `start` to `stop` inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, num: number, dtype: DType = 'float32'): Tensor {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'stop', stop);
  checkNumber('linspace', 'num', num, { integer: true, min: 0 });
  checkDType('linspace', 'dtype', dtype);
  const data = allocate(dtype, num);
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
  const data = allocate(dtype, num);
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  return new Tensor(data, [num]);
}

export interface RandomOptions {
  /** The generator to draw from (required: there is no global randomness). */
  rng: Rng;
  dtype?: DType;
}

/** Standard-normal samples (times `std`, if given). */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number }): Tensor {
  const out = zeros(shape, checkRandom('randn', opts));
  opts.rng.fillNormal(out.data, opts.mean ?? 0, opts.std ?? 1);
  return out;
}

/** Uniform samples in [low, high), default [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number }): Tensor {
  const out = zeros(shape, checkRandom('rand', opts));
  opts.rng.fillUniform(out.data, opts.low ?? 0, opts.high ?? 1);
  return out;
}

function checkRandom(fn: string, opts: RandomOptions): DType {
  if (!opts || typeof opts.rng?.normal !== 'function') {
    throw new ValueError(fn, 'opts.rng', 'must be an Rng: randomness always comes from a seeded generator');
  }
  const dtype = opts.dtype ?? 'float32';
  checkDType(fn, 'opts.dtype', dtype);
  return dtype;
}
