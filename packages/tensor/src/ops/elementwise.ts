// Elementwise ops with numpy broadcasting: binary arithmetic, comparisons to 0/1 masks, where, and
// unary maps. Numbers act as scalars (rounded to the tensor's dtype first, like numpy's weak scalars).
// Readable loops, fast enough for preprocessing and tests; layers write their own fused loops.
import { checkSameDType, describe } from '../check';
import { allocate, type DType, type FloatArray } from '../dtype';
import { ValueError } from '../errors';
import { sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { broadcastShapes, broadcastStrides } from './broadcast';

/** An elementwise operand: a tensor, or a number that broadcasts as a scalar. */
export type Operand = Tensor | number;

interface Resolved {
  data: ArrayLike<number>;
  shape: readonly number[];
}

function checkOperand(fn: string, arg: string, v: unknown): void {
  if (!(v instanceof Tensor) && typeof v !== 'number') {
    throw new ValueError(fn, arg, `must be a Tensor or a number, got ${describe(v)}`);
  }
}

/** The dtype shared by the tensor operands (numbers adopt it). */
function commonDType(fn: string, operands: Record<string, unknown>): DType {
  const tensors: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(operands)) {
    checkOperand(fn, name, v);
    if (v instanceof Tensor) tensors[name] = v;
  }
  if (Object.keys(tensors).length === 0) {
    throw new ValueError(fn, Object.keys(operands).join(', '), 'must include a Tensor, got only numbers');
  }
  return checkSameDType(fn, tensors);
}

function resolve(v: Operand, dtype: DType): Resolved {
  if (v instanceof Tensor) return v;
  return { data: [dtype === 'float32' ? Math.fround(v) : v], shape: [] };
}

/**
 * out[i] = op(a[ia], b[ib]) over the broadcast shape. Same-shape and scalar operands take a flat loop;
 * otherwise an odometer walks the outer dimensions and the innermost one is a strided loop.
 */
function binary(fn: string, a: Operand, b: Operand, op: (x: number, y: number) => number): Tensor {
  const dtype = commonDType(fn, { a, b });
  const A = resolve(a, dtype);
  const B = resolve(b, dtype);
  const shape = broadcastShapes(A.shape, B.shape, fn);
  const size = sizeOf(shape);
  const out = allocate(dtype, size);
  const ad = A.data;
  const bd = B.data;
  // An operand with as many elements as the output is laid out exactly like it (it repeats nothing).
  if (ad.length === size && bd.length === size) {
    for (let i = 0; i < size; i++) out[i] = op(ad[i], bd[i]);
  } else if (ad.length === 1) {
    const x = ad[0];
    for (let i = 0; i < size; i++) out[i] = op(x, bd[i]);
  } else if (bd.length === 1) {
    const y = bd[0];
    for (let i = 0; i < size; i++) out[i] = op(ad[i], y);
  } else if (size > 0) {
    const sa = broadcastStrides(A.shape, shape);
    const sb = broadcastStrides(B.shape, shape);
    const last = shape.length - 1;
    const inner = shape[last];
    const ia = sa[last];
    const ib = sb[last];
    const index = new Array<number>(last).fill(0);
    let oa = 0;
    let ob = 0;
    for (let o = 0; o < size; o += inner) {
      for (let j = 0; j < inner; j++) out[o + j] = op(ad[oa + j * ia], bd[ob + j * ib]);
      for (let d = last - 1; d >= 0; d--) {
        index[d]++;
        oa += sa[d];
        ob += sb[d];
        if (index[d] < shape[d]) break;
        oa -= sa[d] * shape[d];
        ob -= sb[d] * shape[d];
        index[d] = 0;
      }
    }
  }
  return new Tensor(out, shape);
}

function unary(fn: string, x: Tensor, op: (v: number) => number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(fn, 'x', `must be a Tensor, got ${describe(x)}`);
  const out = allocate(x.dtype, x.size);
  const src = x.data;
  for (let i = 0; i < src.length; i++) out[i] = op(src[i]);
  return new Tensor(out, x.shape);
}

/** a + b, broadcast. @returns shape `broadcastShapes(a.shape, b.shape)`, the tensors' dtype */
export function add(a: Operand, b: Operand): Tensor {
  return binary('add', a, b, (x, y) => x + y);
}

/** a − b, broadcast. */
export function sub(a: Operand, b: Operand): Tensor {
  return binary('sub', a, b, (x, y) => x - y);
}

/** a · b, broadcast. */
export function mul(a: Operand, b: Operand): Tensor {
  return binary('mul', a, b, (x, y) => x * y);
}

/** a / b, broadcast (IEEE: x/0 is ±Infinity, 0/0 is NaN). */
export function div(a: Operand, b: Operand): Tensor {
  return binary('div', a, b, (x, y) => x / y);
}

/** a ** b, broadcast (a negative base with a fractional exponent gives NaN). */
export function pow(a: Operand, b: Operand): Tensor {
  return binary('pow', a, b, Math.pow);
}

/** The larger of a and b elementwise, broadcast; NaN if either is NaN (numpy's maximum). */
export function maximum(a: Operand, b: Operand): Tensor {
  return binary('maximum', a, b, Math.max); // Math.max is NaN if either is NaN
}

/** The smaller of a and b elementwise, broadcast; NaN if either is NaN (numpy's minimum). */
export function minimum(a: Operand, b: Operand): Tensor {
  return binary('minimum', a, b, Math.min);
}

/** 1 where a > b, else 0, in the tensors' dtype, broadcast. Comparisons with NaN give 0. */
export function greater(a: Operand, b: Operand): Tensor {
  return binary('greater', a, b, (x, y) => (x > y ? 1 : 0));
}

/** 1 where a >= b, else 0. */
export function greaterEqual(a: Operand, b: Operand): Tensor {
  return binary('greaterEqual', a, b, (x, y) => (x >= y ? 1 : 0));
}

/** 1 where a < b, else 0. */
export function less(a: Operand, b: Operand): Tensor {
  return binary('less', a, b, (x, y) => (x < y ? 1 : 0));
}

/** 1 where a <= b, else 0. */
export function lessEqual(a: Operand, b: Operand): Tensor {
  return binary('lessEqual', a, b, (x, y) => (x <= y ? 1 : 0));
}

/** 1 where a === b, else 0 (NaN equals nothing). */
export function equal(a: Operand, b: Operand): Tensor {
  return binary('equal', a, b, (x, y) => (x === y ? 1 : 0));
}

/**
 * a where mask is non-zero, else b; all three broadcast together (numpy's `where`).
 * @param mask - any dtype; non-zero (including NaN) counts as true
 * @param a - chosen where mask is true
 * @param b - chosen where mask is false
 * @returns the dtype of a and b (which must agree), or mask's when both are numbers
 */
export function where(mask: Tensor, a: Operand, b: Operand): Tensor {
  const fn = 'where';
  if (!(mask instanceof Tensor)) throw new ValueError(fn, 'mask', `must be a Tensor, got ${describe(mask)}`);
  checkOperand(fn, 'a', a);
  checkOperand(fn, 'b', b);
  const dtype = a instanceof Tensor || b instanceof Tensor ? commonDType(fn, { a, b }) : mask.dtype;
  const A = resolve(a, dtype);
  const B = resolve(b, dtype);
  const ab = broadcastShapes(A.shape, B.shape, fn);
  const shape = broadcastShapes(ab, mask.shape, fn, ['a and b', 'mask']);
  const size = sizeOf(shape);
  const out: FloatArray = allocate(dtype, size);
  if (size === 0) return new Tensor(out, shape);
  const md = mask.data;
  const ad = A.data;
  const bd = B.data;
  // As in `binary`: an odometer over the outer dimensions, a strided loop over the innermost one
  // (a scalar's shape [] is treated as [1]).
  const full = shape.length === 0 ? [1] : shape;
  const sm = broadcastStrides(mask.shape, full);
  const sa = broadcastStrides(A.shape, full);
  const sb = broadcastStrides(B.shape, full);
  const last = full.length - 1;
  const inner = full[last];
  const im = sm[last];
  const ia = sa[last];
  const ib = sb[last];
  const index = new Array<number>(last).fill(0);
  let om = 0;
  let oa = 0;
  let ob = 0;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = md[om + j * im] !== 0 ? ad[oa + j * ia] : bd[ob + j * ib];
    for (let d = last - 1; d >= 0; d--) {
      index[d]++;
      om += sm[d];
      oa += sa[d];
      ob += sb[d];
      if (index[d] < full[d]) break;
      om -= sm[d] * full[d];
      oa -= sa[d] * full[d];
      ob -= sb[d] * full[d];
      index[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** −x. */
export function neg(x: Tensor): Tensor {
  return unary('neg', x, (v) => -v);
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  return unary('exp', x, Math.exp);
}

/** Natural logarithm (log 0 = −Infinity, log of a negative = NaN). */
export function log(x: Tensor): Tensor {
  return unary('log', x, Math.log);
}

/** Square root (NaN for negatives). */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x, Math.sqrt);
}

/** |x|. */
export function abs(x: Tensor): Tensor {
  return unary('abs', x, Math.abs);
}

/** x². */
export function square(x: Tensor): Tensor {
  return unary('square', x, (v) => v * v);
}
