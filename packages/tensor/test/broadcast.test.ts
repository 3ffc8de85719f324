import { broadcastShapes, broadcastStrides, ShapeError } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

describe('broadcastShapes', () => {
  it("follows numpy's rule: align right, 1 stretches", () => {
    expect(broadcastShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([5, 1], [1])).toEqual([5, 1]);
    expect(broadcastShapes([0, 3], [1, 3])).toEqual([0, 3]);
    expect(broadcastShapes([1, 0], [4, 1])).toEqual([4, 0]);
  });

  it('names the op and both shapes when they cannot broadcast', () => {
    expectError(
      () => broadcastShapes([2, 3], [3, 4], 'add'),
      new ShapeError('add', 'b', "has shape [3,4], cannot broadcast with a's [2,3]"),
    );
    expectError(
      () => broadcastShapes([2], [3]),
      new ShapeError('broadcastShapes', 'b', "has shape [3], cannot broadcast with a's [2]"),
    );
  });

  it('is symmetric and agrees with a naive per-dimension rule for random shapes', () => {
    const dim = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(fc.array(dim, { maxLength: 5 }), fc.array(dim, { maxLength: 5 }), (a, b) => {
        const n = Math.max(a.length, b.length);
        const pa = [...Array(n - a.length).fill(1), ...a];
        const pb = [...Array(n - b.length).fill(1), ...b];
        const ok = pa.every((d, i) => d === pb[i] || d === 1 || pb[i] === 1);
        if (!ok) {
          expect(() => broadcastShapes(a, b)).toThrow(ShapeError);
          return;
        }
        const expected = pa.map((d, i) => Math.max(d, pb[i]));
        expect(broadcastShapes(a, b)).toEqual(expected);
        expect(broadcastShapes(b, a)).toEqual(expected);
      }),
    );
  });
});

describe('broadcastStrides', () => {
  it('gives 0 along repeated and missing dimensions', () => {
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([2, 3, 4], [2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastStrides([], [2])).toEqual([0]);
  });
});
