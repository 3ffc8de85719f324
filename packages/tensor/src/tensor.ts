// A Tensor is a typed array plus a shape: contiguous, row-major, no strides, no engine, no dispose.
// Views (reshape, slice) share the typed array; everything else copies.
import { allocate, type DType, dtypeOf, type FloatArray } from './dtype';
import { DTypeError, ShapeError, ValueError } from './errors';
import { formatShape, sizeOf, stridesOf } from './shape';

/** Nested arrays of numbers, as `toArray()` returns them (a bare number for a 0-d tensor). */
export type NestedArray = number | NestedArray[];

export class Tensor {
  /** Dimensions, outermost first. `[]` is a scalar. */
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The elements in row-major order; `data.length === size`. */
  readonly data: FloatArray;
  /** Number of elements. */
  readonly size: number;

  /**
   * Wraps `data` (not copied) as a tensor of `shape`.
   * @param data - Float32Array or Float64Array with exactly `prod(shape)` elements
   * @param shape - non-negative integer dimensions
   */
  constructor(data: FloatArray, shape: readonly number[]) {
    const dtype = dtypeOf(data);
    if (!dtype) throw new DTypeError('Tensor', 'data', 'must be a Float32Array or Float64Array');
    if (!isShapeLike(shape)) {
      throw new ShapeError(
        'Tensor',
        'shape',
        `must be an array of non-negative integers, got ${kindOf(shape)}`,
      );
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new ShapeError('Tensor', 'shape', `${formatShape(shape)} must hold non-negative integers`);
      }
    }
    const size = sizeOf(shape);
    if (size !== data.length) {
      throw new ShapeError(
        'Tensor',
        'shape',
        `${formatShape(shape)} holds ${size} elements, data has ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = size;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** A view with a new shape (same data). One dimension may be -1 and is inferred. */
  reshape(shape: readonly number[]): Tensor {
    if (!isShapeLike(shape)) {
      throw new ShapeError('reshape', 'shape', `must be an array of integers, got ${kindOf(shape)}`);
    }
    const infer = shape.indexOf(-1);
    if (infer !== shape.lastIndexOf(-1)) {
      throw new ShapeError('reshape', 'shape', `${formatShape(shape)} may hold at most one -1`);
    }
    let resolved = shape;
    if (infer >= 0) {
      const known = sizeOf(shape.filter((_, i) => i !== infer));
      if (known === 0 || this.size % known !== 0) {
        throw new ShapeError(
          'reshape',
          'shape',
          `${formatShape(shape)} cannot hold ${this.size} elements of shape ${formatShape(this.shape)}`,
        );
      }
      resolved = shape.map((d, i) => (i === infer ? this.size / known : d));
    }
    if (sizeOf(resolved) !== this.size || resolved.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(
        'reshape',
        'shape',
        `${formatShape(shape)} does not hold ${this.size} elements of shape ${formatShape(this.shape)}`,
      );
    }
    return new Tensor(this.data, resolved);
  }

  /** A copy with the axes reordered: `out.shape[i] = this.shape[axes[i]]`. */
  permute(axes: readonly number[]): Tensor {
    const n = this.ndim;
    if (!Array.isArray(axes)) {
      throw new ValueError('permute', 'axes', `must be an array of axes, got ${kindOf(axes)}`);
    }
    const seen = new Set(axes);
    if (axes.length !== n || seen.size !== n || axes.some((a) => !Number.isInteger(a) || a < 0 || a >= n)) {
      throw new ValueError('permute', 'axes', `${formatShape(axes)} must be a permutation of 0..${n - 1}`);
    }
    const outShape = axes.map((a) => this.shape[a]);
    const out = allocate(this.dtype, this.size);
    const inStrides = stridesOf(this.shape);
    const stepIn = axes.map((a) => inStrides[a]); // input stride of each output axis
    const index = new Array<number>(n).fill(0);
    const src = this.data;
    let offset = 0;
    for (let o = 0; o < this.size; o++) {
      out[o] = src[offset];
      // Odometer over output axes, tracking the input offset incrementally.
      for (let d = n - 1; d >= 0; d--) {
        index[d]++;
        offset += stepIn[d];
        if (index[d] < outShape[d]) break;
        offset -= stepIn[d] * outShape[d];
        index[d] = 0;
      }
    }
    return new Tensor(out, outShape);
  }

  /** A copy with the axes reversed, or reordered by `axes` (numpy's `transpose`). */
  transpose(axes?: readonly number[]): Tensor {
    return this.permute(axes ?? this.shape.map((_, i) => this.ndim - 1 - i));
  }

  /** Rows `start` (inclusive) to `end` (exclusive) along the first axis, as a view (minibatches). */
  slice(start: number, end: number = this.shape[0]): Tensor {
    if (this.ndim === 0)
      throw new ShapeError('slice', 'this', 'is a scalar; slice needs at least one dimension');
    const n = this.shape[0];
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
      throw new ValueError(
        'slice',
        'start, end',
        `must satisfy 0 <= start <= end <= ${n}, got ${start}, ${end}`,
      );
    }
    const row = n === 0 ? 0 : this.size / n;
    return new Tensor(this.data.subarray(start * row, end * row), [end - start, ...this.shape.slice(1)]);
  }

  /** A copy of the rows at `indices` along the first axis (repeats allowed), e.g. a sampled minibatch. */
  take(indices: ArrayLike<number>): Tensor {
    if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
      throw new ValueError('take', 'indices', `must be an array of row indices, got ${kindOf(indices)}`);
    }
    if (this.ndim === 0)
      throw new ShapeError('take', 'this', 'is a scalar; take needs at least one dimension');
    const n = this.shape[0];
    const row = n === 0 ? 0 : this.size / n;
    const out = allocate(this.dtype, indices.length * row);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (!Number.isInteger(r) || r < 0 || r >= n) {
        throw new ValueError('take', `indices[${i}]`, `is ${r}, expected an integer in [0, ${n})`);
      }
      out.set(this.data.subarray(r * row, (r + 1) * row), i * row);
    }
    return new Tensor(out, [indices.length, ...this.shape.slice(1)]);
  }

  /** A copy in `dtype`. */
  astype(dtype: DType): Tensor {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new DTypeError('astype', 'dtype', `must be 'float32' or 'float64', got ${String(dtype)}`);
    }
    const out = allocate(dtype, this.size);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }

  /** A deep copy (new typed array). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** The element at a full index, e.g. `x.get(n, c, i, j)`. */
  get(...index: number[]): number {
    if (index.length !== this.ndim) {
      throw new ValueError(
        'get',
        'index',
        `has ${index.length} entries, expected ${this.ndim} for shape ${formatShape(this.shape)}`,
      );
    }
    let offset = 0;
    for (let d = 0; d < index.length; d++) {
      const i = index[d];
      if (!Number.isInteger(i) || i < 0 || i >= this.shape[d]) {
        throw new ValueError('get', `index[${d}]`, `is ${i}, expected an integer in [0, ${this.shape[d]})`);
      }
      offset = offset * this.shape[d] + i;
    }
    return this.data[offset];
  }

  /** The single value of a tensor with one element. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError('item', 'this', `has shape ${formatShape(this.shape)}, expected one element`);
    return this.data[0];
  }

  /** Nested JavaScript arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.ndim) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** numpy-like text: `tensor([[1, 2],\n        [3, 4]], dtype=float32)`; large tensors are summarised. */
  toString(): string {
    return formatTensor(this);
  }
}

/** An array or typed array (what a shape may be given as). */
function isShapeLike(v: unknown): v is readonly number[] {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** A short description of a bad argument (check.ts's `describe` imports this module, so it cannot be used here). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  return typeof v;
}

const EDGE = 3; // numpy's edgeitems
const SUMMARY_THRESHOLD = 1000; // numpy's threshold

function formatNumber(v: number, decimals: number, integral: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (integral) return `${v.toFixed(0)}.`;
  return v.toFixed(decimals).replace(/0+$/, '');
}

function formatTensor(t: Tensor): string {
  const summarise = t.size > SUMMARY_THRESHOLD;
  const strides = stridesOf(t.shape);
  const indent = 'tensor('.length;
  // Walks the elements that will be shown (edge items only when summarising), like numpy.
  const rec = (dim: number, offset: number, leaf: (v: number) => string): string => {
    if (dim === t.ndim) return leaf(t.data[offset]);
    const n = t.shape[dim];
    const parts: string[] = [];
    const cut = summarise && n > 2 * EDGE;
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) {
        parts.push('...');
        i = n - EDGE - 1;
        continue;
      }
      parts.push(rec(dim + 1, offset + i * strides[dim], leaf));
    }
    const sep =
      dim === t.ndim - 1 ? ', ' : `,${'\n'.repeat(t.ndim - dim - 1)}${' '.repeat(indent + dim + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  // The number format is chosen from the shown values only, so printing a huge tensor stays cheap.
  const shown: number[] = [];
  rec(0, 0, (v) => {
    shown.push(v);
    return '';
  });
  const finite = shown.filter(Number.isFinite);
  const integral = finite.every(Number.isInteger) && finite.every((v) => Math.abs(v) < 1e16);
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Number.POSITIVE_INFINITY);
  const scientific = !integral && (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs > 0));
  const fmt = (v: number) => (scientific ? v.toExponential(4) : formatNumber(v, 4, integral));
  const width = shown.reduce((w, v) => Math.max(w, fmt(v).length), 1);
  return `tensor(${rec(0, 0, (v) => fmt(v).padStart(width))}, dtype=${t.dtype})`;
}
