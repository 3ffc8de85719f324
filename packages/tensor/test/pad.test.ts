import { arange, pad, tensor, ValueError, zeros } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError, indices, strides } from './helpers';

describe('pad', () => {
  it('surrounds a matrix by hand', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      pad(x, [
        [1, 0],
        [0, 2],
      ]).toArray(),
    ).toEqual([
      [0, 0, 0, 0],
      [1, 2, 0, 0],
      [3, 4, 0, 0],
    ]);
    expect(pad(tensor([5]), [[2, 1]], -1).toArray()).toEqual([-1, -1, 5, -1]);
  });

  it('pads H and W of an [N, C, H, W] batch as a conv layer does', () => {
    const x = arange(8, undefined, 1, 'float64').reshape([1, 2, 2, 2]);
    const out = pad(x, [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
    expect(out.shape).toEqual([1, 2, 4, 4]);
    expect(out.dtype).toBe('float64');
    expect(out.toArray()).toEqual([
      [
        [
          [0, 0, 0, 0],
          [0, 0, 1, 0],
          [0, 2, 3, 0],
          [0, 0, 0, 0],
        ],
        [
          [0, 0, 0, 0],
          [0, 4, 5, 0],
          [0, 6, 7, 0],
          [0, 0, 0, 0],
        ],
      ],
    ]);
  });

  it('equals a naive loop for random shapes and widths', () => {
    const arb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
          minLength: shape.length,
          maxLength: shape.length,
        }),
        fc.integer({ min: -3, max: 3 }),
      ),
    );
    fc.assert(
      fc.property(arb, ([shape, widths, value]) => {
        const n = shape.reduce((p, d) => p * d, 1);
        const x = arange(1, n + 1, 1, 'float64').reshape(shape);
        const out = pad(x, widths, value);
        const outShape = shape.map((d, i) => d + widths[i][0] + widths[i][1]);
        expect(out.shape).toEqual(outShape);
        const xs = strides(shape);
        let o = 0;
        for (const idx of indices(outShape)) {
          const src = idx.map((v, d) => v - widths[d][0]);
          const inside = src.every((v, d) => v >= 0 && v < shape[d]);
          expect(out.data[o++]).toBe(inside ? x.data[src.reduce((s, v, d) => s + v * xs[d], 0)] : value);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('handles scalars and zero widths', () => {
    expect(pad(tensor(3), []).toArray()).toBe(3);
    const x = arange(4).reshape([2, 2]);
    expect(
      pad(x, [
        [0, 0],
        [0, 0],
      ]).toArray(),
    ).toEqual(x.toArray());
  });

  it('rejects bad widths naming the axis', () => {
    const x = zeros([2, 3]);
    expectError(
      () => pad(x, [[1, 1]]),
      new ValueError(
        'pad',
        'widths',
        'must hold one [before, after] pair per axis of x (2), got an array of length 1',
      ),
    );
    expectError(
      () =>
        pad(x, [
          [0, 0],
          [1, -1],
        ]),
      new ValueError('pad', 'widths[1]', 'must be [before, after] with non-negative integers, got [1,-1]'),
    );
    expectError(
      () => pad(x, [[0, 0], [1]] as never),
      new ValueError('pad', 'widths[1]', 'must be [before, after] with non-negative integers, got [1]'),
    );
    expectError(
      () =>
        pad(
          x,
          [
            [0, 0],
            [0, 0],
          ],
          'a' as never,
        ),
      new ValueError('pad', 'value', "must be a number, got 'a'"),
    );
    expectError(() => pad(3 as never, []), new ValueError('pad', 'x', 'must be a Tensor, got number'));
  });
});
