import {
  arange,
  argmax,
  argmin,
  linspace,
  max,
  mean,
  min,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  ValueError,
  variance,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError, indices, strides } from './helpers';

/** Naive reduction: visit every input index, accumulate into the output index with reduced axes dropped. */
function naive(
  x: Tensor,
  axes: number[],
  keepdims: boolean,
  init: number,
  step: (acc: number, v: number) => number,
) {
  const outShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = strides(outShape);
  const acc = new Array(outShape.reduce((p, d) => p * d, 1)).fill(init);
  const count = axes.reduce((p, a) => p * x.shape[a], 1);
  let i = 0;
  for (const idx of indices(x.shape)) {
    const o = idx.reduce((s, v, d) => s + (axes.includes(d) ? 0 : v) * outStrides[d], 0);
    acc[o] = step(acc[o], x.data[i++]);
  }
  const shape = keepdims ? outShape : x.shape.filter((_, d) => !axes.includes(d));
  return { acc, shape, count };
}

const caseArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    axes: fc.subarray(shape.map((_, i) => i)),
    negative: fc.boolean(),
    keepdims: fc.boolean(),
    dtype: fc.constantFrom('float32' as const, 'float64' as const),
    values: fc.array(fc.double({ min: -10, max: 10, noNaN: true }), {
      minLength: shape.reduce((p, d) => p * d, 1),
      maxLength: shape.reduce((p, d) => p * d, 1),
    }),
  }),
);

describe('sum / mean / variance / max / min', () => {
  it('equal naive loops over random shapes, random axis subsets and keepdims, in both dtypes', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axes, negative, keepdims, values, dtype }) => {
        const x = tensor(values, { shape, dtype });
        // Summation order differs from the naive loop's; float32 results are rounded once at the end.
        const tol = dtype === 'float32' ? 1e-6 : 1e-12;
        // Name the axes negatively half the time; an empty list reduces nothing.
        const axis = negative ? axes.map((a) => a - shape.length) : axes;
        const opts = { keepdims };
        const s = naive(x, axes, keepdims, 0, (a, v) => a + v);
        const close = (got: Tensor, want: number[]) => {
          expect(got.shape).toEqual(s.shape);
          expect(got.dtype).toBe(dtype);
          for (let i = 0; i < want.length; i++) {
            expect(Math.abs(got.data[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
          }
        };
        close(sum(x, axis, opts), s.acc);
        const m = s.acc.map((v) => v / s.count);
        close(mean(x, axis, opts), m);
        const sq = naive(x, axes, keepdims, 0, (a, v) => a + v * v);
        close(
          variance(x, axis, opts),
          sq.acc.map((v, i) => Math.max(0, v / s.count - m[i] * m[i])),
        );
        // + 0 folds −0 into 0: which zero wins a tie between them is unspecified (numpy too).
        expect(Array.from(max(x, axis, opts).data, (v) => v + 0)).toEqual(
          naive(x, axes, keepdims, -Infinity, Math.max).acc.map((v) => v + 0),
        );
        expect(Array.from(min(x, axis, opts).data, (v) => v + 0)).toEqual(
          naive(x, axes, keepdims, Infinity, Math.min).acc.map((v) => v + 0),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('reduce everything by default (axis undefined or null) to a scalar', () => {
    const x = arange(1, 7).reshape([2, 3]); // 1..6
    expect(sum(x).shape).toEqual([]);
    expect(sum(x).item()).toBe(21);
    expect(mean(x, null).item()).toBe(3.5);
    // Σ(i − 3.5)² / 6 for i = 1..6 = (6.25 + 2.25 + 0.25) · 2 / 6 = 35/12
    expect(variance(x.astype('float64')).item()).toBeCloseTo(35 / 12, 15);
    expect(max(x).item()).toBe(6);
    expect(min(x).item()).toBe(1);
    expect(sum(x, undefined, { keepdims: true }).shape).toEqual([1, 1]);
  });

  it('small cases by hand', () => {
    const x = tensor([
      [1, 5, 3],
      [4, 2, 6],
    ]);
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, 1, { keepdims: true }).toArray()).toEqual([[9], [12]]);
    expect(mean(x, -1).toArray()).toEqual([3, 4]);
    expect(max(x, 0).toArray()).toEqual([4, 5, 6]);
    expect(min(x, [0, 1]).toArray()).toBe(1);
    expect(variance(x, 0).toArray()).toEqual([2.25, 2.25, 2.25]);
    expect(sum(arange(24).reshape([2, 3, 4]), [0, 2]).toArray()).toEqual([
      0 + 1 + 2 + 3 + 12 + 13 + 14 + 15,
      4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
      8 + 9 + 10 + 11 + 20 + 21 + 22 + 23,
    ]);
  });

  it('variance is two-pass: no cancellation for a large offset', () => {
    // E[x²] − E[x]² would lose every digit here; the true variance of {1e8, 1e8 + 1, 1e8 + 2} is 2/3.
    const x = tensor([1e8, 1e8 + 1, 1e8 + 2], { dtype: 'float64' });
    expect(variance(x).item()).toBeCloseTo(2 / 3, 12);
  });

  it('keep the dtype and accumulate float32 in float64', () => {
    const x = linspace(0, 1, 11, 'float32');
    expect(sum(x).dtype).toBe('float32');
    let s = 0;
    for (const v of x.data) s += v;
    expect(sum(x).item()).toBe(Math.fround(s));
  });

  it('handle empty axes as numpy: sum 0, mean NaN, max/min throw', () => {
    const x = zeros([0, 3], 'float64');
    expect(sum(x, 0).toArray()).toEqual([0, 0, 0]);
    expect(Number.isNaN(mean(x, 0).data[0])).toBe(true);
    expect(max(x, 1).shape).toEqual([0]);
    expectError(
      () => max(x, 0),
      new ShapeError('max', 'x', 'has shape [0,3], cannot reduce over an empty axis'),
    );
    expectError(
      () => min(x),
      new ShapeError('min', 'x', 'has shape [0,3], cannot reduce over an empty axis'),
    );
  });

  it('max and min propagate NaN', () => {
    const x = tensor([
      [1, Number.NaN],
      [3, 4],
    ]);
    expect(Number.isNaN(max(x).item())).toBe(true);
    expect(Array.from(min(x, 0).data)).toEqual([1, Number.NaN]);
  });

  it('reject bad axes, naming the op', () => {
    const x = zeros([2, 3]);
    expectError(
      () => sum(x, 2),
      new ValueError('sum', 'axis', 'is 2, expected an integer in [-2, 2) for x of shape [2,3]'),
    );
    expectError(
      () => mean(x, -3),
      new ValueError('mean', 'axis', 'is -3, expected an integer in [-2, 2) for x of shape [2,3]'),
    );
    expectError(
      () => variance(x, 0.5),
      new ValueError('variance', 'axis', 'is 0.5, expected an integer in [-2, 2) for x of shape [2,3]'),
    );
    expectError(() => max(x, [0, -2]), new ValueError('max', 'axis', '[0,-2] names axis 0 twice'));
    expectError(
      () => min(x, 'a' as never),
      new ValueError('min', 'axis', "must be an integer, an array of integers or null, got 'a'"),
    );
    expectError(
      () => sum([1, 2] as never),
      new ValueError('sum', 'x', 'must be a Tensor, got an array of length 2'),
    );
  });
});

describe('argmax / argmin', () => {
  it('return the first index of the extreme along an axis, as a tensor in the input dtype', () => {
    const x = tensor([
      [1, 5, 5],
      [7, 2, 7],
    ]);
    const a = argmax(x, 1);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual([1, 0]);
    expect(argmax(x, 0).toArray()).toEqual([1, 0, 1]);
    expect(argmin(x, 1).toArray()).toEqual([0, 1]);
    expect(argmin(x, -2, { keepdims: true }).toArray()).toEqual([[0, 1, 0]]);
  });

  it('index the flattened tensor without an axis', () => {
    const x = tensor([
      [1, 9],
      [9, 0],
    ]);
    expect(argmax(x).toArray()).toBe(1);
    expect(argmin(x).toArray()).toBe(3);
    expect(argmax(x, null, { keepdims: true }).shape).toEqual([1, 1]);
  });

  it('return the first NaN as numpy does', () => {
    expect(argmax(tensor([1, Number.NaN, 3, Number.NaN])).item()).toBe(1);
    expect(argmin(tensor([Number.NaN, 0])).item()).toBe(0);
  });

  it('equal a naive scan for random shapes and axes', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ shape, values }, pick) => {
        const x = tensor(
          values.map((v) => Math.round(v)),
          { shape, dtype: 'float64' },
        ); // rounding makes ties
        const axis = pick % shape.length;
        const got = argmax(x, axis);
        const st = strides(shape);
        const outShape = shape.filter((_, d) => d !== axis);
        let o = 0;
        for (const idx of indices(outShape)) {
          const full = [...idx.slice(0, axis), 0, ...idx.slice(axis)];
          let best = 0;
          for (let k = 0; k < shape[axis]; k++) {
            full[axis] = k;
            const v = x.data[full.reduce((s, i, d) => s + i * st[d], 0)];
            full[axis] = best;
            if (v > x.data[full.reduce((s, i, d) => s + i * st[d], 0)]) best = k;
          }
          expect(got.data[o++]).toBe(best);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reject a list of axes and empty tensors', () => {
    expectError(
      () => argmax(zeros([2, 2]), [0, 1] as never),
      new ValueError('argmax', 'axis', 'must be a single integer or null, got an array of length 2'),
    );
    expectError(
      () => argmin(zeros([0])),
      new ShapeError('argmin', 'x', 'has shape [0], cannot reduce over an empty axis'),
    );
  });
});
