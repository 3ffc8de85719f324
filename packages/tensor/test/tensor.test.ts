import { arange, DTypeError, ShapeError, Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError, indices, strides } from './helpers';

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

describe('Tensor', () => {
  it('wraps its data without copying and freezes its shape', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor(data, [2, 3]);
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float64');
    expect(t.size).toBe(6);
    expect(t.ndim).toBe(2);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(new Tensor(new Float32Array(1), []).ndim).toBe(0);
  });

  it('rejects data that is not a float typed array and shapes that do not hold it', () => {
    expectError(
      () => new Tensor(new Int32Array(2) as never, [2]),
      new DTypeError('Tensor', 'data', 'must be a Float32Array or Float64Array'),
    );
    expectError(
      () => new Tensor(new Float32Array(5), [2, 3]),
      new ShapeError('Tensor', 'shape', '[2,3] holds 6 elements, data has 5'),
    );
    expectError(
      () => new Tensor(new Float32Array(2), [2, -1]),
      new ShapeError('Tensor', 'shape', '[2,-1] must hold non-negative integers'),
    );
  });

  describe('reshape', () => {
    it('is a view: writes through the reshaped tensor show in the original', () => {
      const t = arange(6);
      const r = t.reshape([2, 3]);
      expect(r.data).toBe(t.data);
      r.data[4] = 40;
      expect(t.get(4)).toBe(40);
      expect(r.get(1, 1)).toBe(40);
    });

    it('infers one -1 dimension', () => {
      expect(arange(24).reshape([2, -1, 4]).shape).toEqual([2, 3, 4]);
      expect(arange(24).reshape([-1]).shape).toEqual([24]);
      expect(zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
    });

    it('rejects shapes that do not hold the elements', () => {
      const t = arange(6);
      expectError(
        () => t.reshape([4, 2]),
        new ShapeError('reshape', 'shape', '[4,2] does not hold 6 elements of shape [6]'),
      );
      expectError(
        () => t.reshape([-1, -1]),
        new ShapeError('reshape', 'shape', '[-1,-1] may hold at most one -1'),
      );
      expectError(
        () => t.reshape([4, -1]),
        new ShapeError('reshape', 'shape', '[4,-1] cannot hold 6 elements of shape [6]'),
      );
      expectError(
        () => t.reshape([1.5, 4]),
        new ShapeError('reshape', 'shape', '[1.5,4] does not hold 6 elements of shape [6]'),
      );
    });
  });

  describe('permute / transpose', () => {
    it('equals a naive index loop for random shapes and permutations', () => {
      fc.assert(
        fc.property(
          shapeArb.chain((shape) =>
            fc.tuple(
              fc.constant(shape),
              fc.shuffledSubarray(
                shape.map((_, i) => i),
                { minLength: shape.length },
              ),
            ),
          ),
          ([shape, axes]) => {
            const x = arange(
              shape.reduce((p, d) => p * d, 1),
              undefined,
              1,
              'float64',
            ).reshape(shape);
            const y = x.permute(axes);
            expect(y.shape).toEqual(axes.map((a) => shape[a]));
            const ys = strides(y.shape);
            const xs = strides(shape);
            for (const idx of indices(shape)) {
              // out[i_axes[0], i_axes[1], …] = x[i_0, i_1, …]
              const o = axes.reduce((acc, a, k) => acc + idx[a] * ys[k], 0);
              const src = idx.reduce((acc, v, k) => acc + v * xs[k], 0);
              expect(y.data[o]).toBe(x.data[src]);
            }
          },
        ),
        { numRuns: 50 },
      );
    });

    it('copies, and transpose() reverses the axes by default', () => {
      const x = arange(6).reshape([2, 3]);
      const t = x.transpose();
      expect(t.toArray()).toEqual([
        [0, 3],
        [1, 4],
        [2, 5],
      ]);
      t.data[0] = 99;
      expect(x.data[0]).toBe(0);
      expect(arange(24).reshape([2, 3, 4]).transpose([1, 0, 2]).shape).toEqual([3, 2, 4]);
    });

    it('rejects anything but a permutation of the axes', () => {
      const x = zeros([2, 3]);
      const err = (s: string) => new ValueError('permute', 'axes', `${s} must be a permutation of 0..1`);
      expectError(() => x.permute([0, 0]), err('[0,0]'));
      expectError(() => x.permute([0]), err('[0]'));
      expectError(() => x.permute([0, 2]), err('[0,2]'));
    });
  });

  describe('slice / take', () => {
    it('slice is a view of rows along the first axis', () => {
      const x = arange(12).reshape([4, 3]);
      const s = x.slice(1, 3);
      expect(s.shape).toEqual([2, 3]);
      expect(s.toArray()).toEqual([
        [3, 4, 5],
        [6, 7, 8],
      ]);
      s.data[0] = -1;
      expect(x.get(1, 0)).toBe(-1);
      expect(x.slice(2).shape).toEqual([2, 3]);
      expect(x.slice(2, 2).shape).toEqual([0, 3]);
    });

    it('take gathers rows (repeats allowed) into a copy', () => {
      const x = arange(6).reshape([3, 2]);
      const t = x.take([2, 0, 2]);
      expect(t.toArray()).toEqual([
        [4, 5],
        [0, 1],
        [4, 5],
      ]);
      t.data[0] = 99;
      expect(x.get(2, 0)).toBe(4);
      expect(x.take(new Int32Array(0)).shape).toEqual([0, 2]);
    });

    it('reject out-of-range rows and scalars', () => {
      const x = zeros([3, 2]);
      expectError(
        () => x.slice(2, 4),
        new ValueError('slice', 'start, end', 'must satisfy 0 <= start <= end <= 3, got 2, 4'),
      );
      expectError(
        () => x.slice(2, 1),
        new ValueError('slice', 'start, end', 'must satisfy 0 <= start <= end <= 3, got 2, 1'),
      );
      expectError(
        () => zeros([]).slice(0, 0),
        new ShapeError('slice', 'this', 'is a scalar; slice needs at least one dimension'),
      );
      expectError(
        () => x.take([0, 3]),
        new ValueError('take', 'indices[1]', 'is 3, expected an integer in [0, 3)'),
      );
      expectError(
        () => x.take([0.5]),
        new ValueError('take', 'indices[0]', 'is 0.5, expected an integer in [0, 3)'),
      );
      expectError(
        () => zeros([]).take([0]),
        new ShapeError('take', 'this', 'is a scalar; take needs at least one dimension'),
      );
    });
  });

  describe('astype / clone', () => {
    it('astype converts with float32 rounding and always copies', () => {
      const x = tensor([0.1, 1 / 3], { dtype: 'float64' });
      const y = x.astype('float32');
      expect(y.dtype).toBe('float32');
      expect(Array.from(y.data)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
      const z = x.astype('float64');
      expect(z.data).not.toBe(x.data);
      expect(Array.from(z.data)).toEqual(Array.from(x.data));
      expectError(
        () => x.astype('int32' as never),
        new DTypeError('astype', 'dtype', "must be 'float32' or 'float64', got int32"),
      );
    });

    it('clone is a deep copy', () => {
      const x = arange(4).reshape([2, 2]);
      const c = x.clone();
      c.data[0] = 7;
      expect(x.data[0]).toBe(0);
      expect(c.shape).toEqual([2, 2]);
    });
  });

  describe('get / item / toArray', () => {
    it('get reads a full index in row-major order', () => {
      const x = arange(24).reshape([2, 3, 4]);
      expect(x.get(1, 2, 3)).toBe(23);
      expect(x.get(1, 0, 2)).toBe(14);
      expectError(
        () => x.get(1, 2),
        new ValueError('get', 'index', 'has 2 entries, expected 3 for shape [2,3,4]'),
      );
      expectError(
        () => x.get(0, 3, 0),
        new ValueError('get', 'index[1]', 'is 3, expected an integer in [0, 3)'),
      );
    });

    it('item reads the one element', () => {
      expect(tensor(2.5).item()).toBe(2.5);
      expect(tensor([[4]]).item()).toBe(4);
      expectError(
        () => zeros([2]).item(),
        new ShapeError('item', 'this', 'has shape [2], expected one element'),
      );
    });

    it('toArray nests like the shape', () => {
      expect(tensor(3).toArray()).toBe(3);
      expect(arange(6).reshape([3, 1, 2]).toArray()).toEqual([[[0, 1]], [[2, 3]], [[4, 5]]]);
      expect(zeros([2, 0]).toArray()).toEqual([[], []]);
    });
  });

  describe('toString', () => {
    it('prints like numpy: aligned columns, trailing dots for integral values, one line per row', () => {
      expect(
        tensor([
          [1, 2],
          [3, 4],
        ]).toString(),
      ).toBe('tensor([[1., 2.],\n        [3., 4.]], dtype=float32)');
      expect(tensor([0.5, -1.25, 3]).toString()).toBe('tensor([  0.5, -1.25,    3.], dtype=float32)');
      expect(tensor(3.5, { dtype: 'float64' }).toString()).toBe('tensor(3.5, dtype=float64)');
      expect(tensor([Number.NaN, Number.POSITIVE_INFINITY, 1.5]).toString()).toBe(
        'tensor([nan, inf, 1.5], dtype=float32)',
      );
    });

    it('separates 3-d blocks with a blank line, like numpy', () => {
      expect(arange(12).reshape([2, 2, 3]).toString()).toBe(
        'tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n         [ 9., 10., 11.]]], dtype=float32)',
      );
    });

    it('switches to scientific notation for tiny or huge values and summarises over 1000 elements', () => {
      expect(tensor([1e-5, 1]).toString()).toBe('tensor([1.0000e-5, 1.0000e+0], dtype=float32)');
      expect(arange(0, 2000, 1, 'float64').toString()).toBe(
        'tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.], dtype=float64)',
      );
      expect(zeros([0]).toString()).toBe('tensor([], dtype=float32)');
    });

    it('summarises big tensors cheaply, choosing the format from the shown values only (as numpy)', () => {
      // 2M elements: formatting every one (or spreading them into Math.max) used to overflow the stack.
      expect(zeros([1000, 2000]).toString()).toBe(
        'tensor([[0., 0., 0., ..., 0., 0., 0.],\n        [0., 0., 0., ..., 0., 0., 0.],\n        [0., 0., 0., ..., 0., 0., 0.],\n' +
          '        ...,\n        [0., 0., 0., ..., 0., 0., 0.],\n        [0., 0., 0., ..., 0., 0., 0.],\n        [0., 0., 0., ..., 0., 0., 0.]], dtype=float32)',
      );
      const x = arange(0, 2000, 1, 'float64');
      x.data[1000] = 1e-9; // hidden in the summary, so it does not force scientific notation
      expect(x.toString()).toBe('tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.], dtype=float64)');
    });
  });
});
