import {
  abs,
  add,
  arange,
  DTypeError,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  linspace,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  ShapeError,
  sqrt,
  square,
  sub,
  type Tensor,
  tensor,
  ValueError,
  where,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError, indices, strides } from './helpers';

type Binary = (a: Tensor | number, b: Tensor | number) => Tensor;
const binaries: [string, Binary, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['pow', pow, (x, y) => x ** y],
  ['maximum', maximum, (x, y) => Math.max(x, y)],
  ['minimum', minimum, (x, y) => Math.min(x, y)],
  ['greater', greater, (x, y) => Number(x > y)],
  ['greaterEqual', greaterEqual, (x, y) => Number(x >= y)],
  ['less', less, (x, y) => Number(x < y)],
  ['lessEqual', lessEqual, (x, y) => Number(x <= y)],
  ['equal', equal, (x, y) => Number(x === y)],
];

/** Element of x (shape s) that output index idx (of a longer or equal rank) reads under broadcasting. */
function at(x: Tensor, idx: number[]): number {
  const offset = idx.length - x.ndim;
  const st = strides(x.shape);
  let o = 0;
  for (let d = 0; d < x.ndim; d++) o += (x.shape[d] === 1 ? 0 : idx[d + offset]) * st[d];
  return x.data[o];
}

/** A pair of random shapes that broadcast: start from one shape, then drop leading dims and set some to 1. */
const pairArb = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.integer({ min: 0, max: shape.length }),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.boolean(),
    ),
  )
  .map(([shape, drop, onesA, onesB, swap]) => {
    const a = shape.map((d, i) => (onesA[i] ? 1 : d));
    const b = shape.slice(drop).map((d, i) => (onesB[i + drop] ? 1 : d));
    return swap ? [b, a] : [a, b];
  });

function filled(shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  // Small integers and halves (exact in both dtypes), with repeats so comparisons see ties.
  return tensor(
    Array.from({ length: n }, (_, i) => ((i * 7 + seed * 3) % 9) / 2 - 2),
    { shape, dtype },
  );
}

describe('binary ops', () => {
  it('equal a naive broadcast loop for random compatible shapes, in both dtypes', () => {
    const dtypeArb = fc.constantFrom('float32' as const, 'float64' as const);
    fc.assert(
      fc.property(
        pairArb,
        fc.integer({ min: 0, max: binaries.length - 1 }),
        dtypeArb,
        ([sa, sb], k, dtype) => {
          const [, fn, op] = binaries[k];
          // float32 results are the exact result rounded once to float32.
          const ref = dtype === 'float32' ? (x: number, y: number) => Math.fround(op(x, y)) : op;
          const a = filled(sa, 1, dtype);
          const b = filled(sb, 2, dtype);
          const out = fn(a, b);
          const n = Math.max(sa.length, sb.length);
          const shape = Array.from({ length: n }, (_, i) =>
            Math.max(sa[i - (n - sa.length)] ?? 1, sb[i - (n - sb.length)] ?? 1),
          );
          expect(out.shape).toEqual(shape);
          expect(out.dtype).toBe(dtype);
          let o = 0;
          // toBe is Object.is: NaN (pow of a negative base) must match NaN.
          for (const idx of indices(shape)) expect(out.data[o++]).toBe(ref(at(a, idx), at(b, idx)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('small cases by hand', () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(add(a, tensor([10, 20, 30])).toArray()).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(sub(a, tensor([[1], [4]])).toArray()).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(mul(tensor([[1], [2]]), tensor([1, 10, 100])).toArray()).toEqual([
      [1, 10, 100],
      [2, 20, 200],
    ]);
    expect(div(1, tensor([2, 4, 0])).toArray()).toEqual([0.5, 0.25, Number.POSITIVE_INFINITY]);
    expect(pow(tensor([2, 3, -8]), 2).toArray()).toEqual([4, 9, 64]);
    expect(pow(2, tensor([0, 1, 10])).toArray()).toEqual([1, 2, 1024]);
    expect(maximum(tensor([-1, 0, 2]), 0).toArray()).toEqual([0, 0, 2]);
    expect(minimum(tensor([-1, 0, 2]), 0).toArray()).toEqual([-1, 0, 0]);
  });

  it('numbers act as scalars rounded to the tensor dtype first (numpy weak scalars)', () => {
    const x = tensor([1], { dtype: 'float32' });
    expect(add(x, 0.1).data[0]).toBe(Math.fround(1 + Math.fround(0.1)));
    expect(add(0.1, tensor([1], { dtype: 'float64' })).data[0]).toBe(1.1);
    expect(add(x, 0.1).dtype).toBe('float32');
  });

  it('maximum and minimum propagate NaN like numpy', () => {
    expect(Number.isNaN(maximum(tensor([Number.NaN]), 1).data[0])).toBe(true);
    expect(Number.isNaN(minimum(1, tensor([Number.NaN])).data[0])).toBe(true);
  });

  it('comparisons give 0/1 masks in the input dtype; NaN compares false', () => {
    const x = tensor([1, 2, 3, Number.NaN], { dtype: 'float64' });
    expect(greater(x, 2).toArray()).toEqual([0, 0, 1, 0]);
    expect(greaterEqual(x, 2).toArray()).toEqual([0, 1, 1, 0]);
    expect(less(x, 2).toArray()).toEqual([1, 0, 0, 0]);
    expect(lessEqual(x, 2).toArray()).toEqual([1, 1, 0, 0]);
    expect(equal(x, tensor([1, 0, 3, Number.NaN], { dtype: 'float64' })).toArray()).toEqual([1, 0, 1, 0]);
    expect(greater(x, 2).dtype).toBe('float64');
  });

  it('handle empty shapes', () => {
    expect(add(zeros([0, 3]), zeros([3])).shape).toEqual([0, 3]);
    expect(mul(zeros([2, 0]), zeros([2, 1])).shape).toEqual([2, 0]);
  });

  it('reject mismatched shapes, dtypes and non-tensors, naming the op', () => {
    expectError(
      () => add(zeros([2, 3]), zeros([3, 4])),
      new ShapeError('add', 'b', "has shape [3,4], cannot broadcast with a's [2,3]"),
    );
    expectError(
      () => mul(zeros([2]), zeros([2], 'float64')),
      new DTypeError('mul', 'b', 'has dtype float64, expected float32 to match a'),
    );
    expectError(() => sub(1, 2), new ValueError('sub', 'a, b', 'must include a Tensor, got only numbers'));
    expectError(
      () => div(zeros([1]), [1] as never),
      new ValueError('div', 'b', 'must be a Tensor or a number, got an array of length 1'),
    );
    expectError(
      () => greater('x' as never, zeros([1])),
      new ValueError('greater', 'a', "must be a Tensor or a number, got 'x'"),
    );
  });
});

describe('where', () => {
  it('picks a where the mask is non-zero, broadcasting all three', () => {
    const mask = tensor([[1], [0]]);
    const out = where(mask, tensor([1, 2, 3]), -1);
    expect(out.toArray()).toEqual([
      [1, 2, 3],
      [-1, -1, -1],
    ]);
    expect(where(tensor([0, 2, Number.NaN]), 5, 6).toArray()).toEqual([6, 5, 5]);
    expect(where(tensor(0), 1, 2).toArray()).toBe(2);
    // The mask's dtype is free; the result takes a's and b's.
    const picked = where(tensor([1, 0], { dtype: 'float64' }), tensor([1.5, 2.5], { dtype: 'float32' }), 0);
    expect(picked.dtype).toBe('float32');
    expect(picked.toArray()).toEqual([1.5, 0]);
    expect(where(tensor([1, 0], { dtype: 'float64' }), 1, 0).dtype).toBe('float64');
  });

  it('a ReLU by hand: where(x > 0, x, 0)', () => {
    const x = linspace(-1, 1, 5, 'float64');
    expect(where(greater(x, 0), x, 0).toArray()).toEqual([0, 0, 0, 0.5, 1]);
    expect(where(greater(x, 0), x, 0).dtype).toBe('float64');
  });

  it('equals a naive loop for random broadcast shapes', () => {
    fc.assert(
      fc.property(pairArb, pairArb, ([sm, sa], [, sb]) => {
        let shape: number[];
        try {
          const n = Math.max(sm.length, sa.length, sb.length);
          shape = Array.from({ length: n }, (_, i) => {
            const ds = [sm, sa, sb].map((s) => s[i - (n - s.length)] ?? 1);
            const big = ds.filter((d) => d !== 1);
            if (new Set(big).size > 1) throw new Error('incompatible');
            return big[0] ?? 1;
          });
        } catch {
          expect(() => where(filled(sm, 0), filled(sa, 1), filled(sb, 2))).toThrow(ShapeError);
          return;
        }
        const mask = greater(filled(sm, 0), 0);
        const a = filled(sa, 1);
        const b = filled(sb, 2);
        const out = where(mask, a, b);
        expect(out.shape).toEqual(shape);
        let o = 0;
        for (const idx of indices(shape)) expect(out.data[o++]).toBe(at(mask, idx) ? at(a, idx) : at(b, idx));
      }),
      { numRuns: 100 },
    );
  });

  it('rejects bad arguments', () => {
    expectError(() => where(1 as never, 1, 2), new ValueError('where', 'mask', 'must be a Tensor, got 1'));
    expectError(
      () => where(zeros([2]), zeros([2]), zeros([2], 'float64')),
      new DTypeError('where', 'b', 'has dtype float64, expected float32 to match a'),
    );
    expectError(
      () => where(zeros([3]), zeros([2]), 0),
      new ShapeError('where', 'mask', "has shape [3], cannot broadcast with a and b's [2]"),
    );
  });
});

describe('unary ops', () => {
  it('apply the function elementwise, in both dtypes', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([0, 1, 4], { dtype });
      expect(neg(x).toArray()).toEqual([-0, -1, -4]);
      expect(sqrt(x).toArray()).toEqual([0, 1, 2]);
      expect(square(x).toArray()).toEqual([0, 1, 16]);
      expect(abs(tensor([-2, 0, 3], { dtype })).toArray()).toEqual([2, 0, 3]);
      expect(exp(tensor([0], { dtype })).toArray()).toEqual([1]);
      expect(log(tensor([1, 0], { dtype })).toArray()).toEqual([0, Number.NEGATIVE_INFINITY]);
      expect(neg(x).dtype).toBe(dtype);
    }
    const x = linspace(-2, 2, 9, 'float64');
    expect(Array.from(exp(x).data)).toEqual(Array.from(x.data, Math.exp));
    expect(Array.from(log(exp(x)).data).every((v, i) => Math.abs(v - x.data[i]) < 1e-15)).toBe(true);
    expect(exp(tensor([1], { dtype: 'float32' })).data[0]).toBe(Math.fround(Math.E));
    expect(Number.isNaN(sqrt(tensor([-1])).data[0])).toBe(true);
  });

  it('keep the shape and copy', () => {
    const x = arange(6).reshape([2, 3]);
    const y = neg(x);
    expect(y.shape).toEqual([2, 3]);
    expect(y.data).not.toBe(x.data);
  });

  it('reject non-tensors', () => {
    expectError(() => exp(2 as never), new ValueError('exp', 'x', 'must be a Tensor, got 2'));
  });
});
