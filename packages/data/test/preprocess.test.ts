import { DTypeError, ShapeError, Tensor, tensor, ValueError } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatten, meanImage, subtractMean, toFloatNCHW, trainValSplit } from '../src/index';
import { expectError } from './helpers';

describe('toFloatNCHW', () => {
  it('scales bytes to [0, 1] by default, keeping NCHW order', () => {
    const X = toFloatNCHW(Uint8Array.from([0, 51, 255, 102]), [1, 1, 2, 2], { dtype: 'float64' });
    expect(X.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(X.data)).toEqual([0, 0.2, 1, 0.4]);
  });

  it('takes a scale and a dtype', () => {
    const X = toFloatNCHW(Uint8Array.from([2, 4]), [2, 1, 1, 1], { scale: 0.5 });
    expect(X.dtype).toBe('float32');
    expect(Array.from(X.data)).toEqual([1, 2]);
  });

  it('converts NHWC bytes (RGBRGB…) to NCHW (RR…GG…BB…)', () => {
    // one 1x2 image, pixels (r,g,b) = (1,2,3) and (4,5,6)
    const X = toFloatNCHW(Uint8Array.from([1, 2, 3, 4, 5, 6]), [1, 3, 1, 2], {
      scale: 1,
      layout: 'NHWC',
      dtype: 'float64',
    });
    expect(Array.from(X.data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('NHWC then transposing back equals the bytes for random shapes (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
        ),
        ([N, C, H, W]) => {
          const bytes = Uint8Array.from({ length: N * C * H * W }, (_, i) => (i * 37) % 256);
          const X = toFloatNCHW(bytes, [N, C, H, W], { scale: 1, layout: 'NHWC', dtype: 'float64' });
          expect(Array.from(X.permute([0, 2, 3, 1]).data)).toEqual(Array.from(bytes));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects a byte count that does not match the shape, and bad options', () => {
    expectError(
      () => toFloatNCHW(new Uint8Array(5), [1, 1, 2, 2]),
      ValueError,
      'toFloatNCHW: bytes has 5 bytes, expected [1,1,2,2] = 4',
    );
    expectError(
      () => toFloatNCHW(new Uint8Array(4), [4, 1]),
      ValueError,
      'toFloatNCHW: shape must be [N, C, H, W], got [4,1]',
    );
    expectError(
      () => toFloatNCHW(new Uint8Array(4), [1, 1, 2, 2], { layout: 'HWC' as 'NHWC' }),
      ValueError,
      "toFloatNCHW: options.layout must be 'NCHW' or 'NHWC', got 'HWC'",
    );
    expectError(
      () => toFloatNCHW([1] as unknown as Uint8Array, [1, 1, 1, 1]),
      ValueError,
      'toFloatNCHW: bytes must be a Uint8Array, got an array of length 1',
    );
  });
});

describe('meanImage and subtractMean', () => {
  it('computes the mean example by hand: rows [1,2,3] and [3,6,9] average to [2,4,6]', () => {
    const X = tensor(
      [
        [1, 2, 3],
        [3, 6, 9],
      ],
      { dtype: 'float64' },
    );
    const m = meanImage(X);
    expect(m.shape).toEqual([3]);
    expect(Array.from(m.data)).toEqual([2, 4, 6]);
    expect(Array.from(subtractMean(X, m).data)).toEqual([-1, -2, -3, 1, 2, 3]);
  });

  it('keeps the trailing shape ([N, C, H, W] -> [C, H, W]) and leaves X unchanged', () => {
    const X = new Tensor(
      Float32Array.from({ length: 2 * 2 * 2 * 2 }, (_, i) => i),
      [2, 2, 2, 2],
    );
    const before = Float32Array.from(X.data);
    const m = meanImage(X);
    expect(m.shape).toEqual([2, 2, 2]);
    expect(Array.from(m.data)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    const centred = subtractMean(X, m);
    expect(X.data).toEqual(before);
    expect(meanImage(centred).data.every((v) => v === 0)).toBe(true);
  });

  it('subtracts in place when asked, returning X itself', () => {
    const X = tensor(
      [
        [1, 2],
        [3, 6],
      ],
      { dtype: 'float64' },
    );
    const out = subtractMean(X, tensor([2, 4], { dtype: 'float64' }), { inPlace: true });
    expect(out).toBe(X);
    expect(Array.from(X.data)).toEqual([-1, -2, 1, 2]);
  });

  it('CS231n order: split, mean of the train split only, subtracted from both splits', () => {
    // rows 0..3 train (value 1 each), row 4 val (value 101): a mean over all rows would be 21
    const X = tensor([[1], [1], [1], [1], [101]], { dtype: 'float64' });
    const { XTrain, XVal } = trainValSplit(X, Int32Array.from([0, 0, 0, 0, 0]), 1);
    const mean = meanImage(XTrain);
    expect(Array.from(mean.data)).toEqual([1]);
    expect(Array.from(subtractMean(XTrain, mean).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(subtractMean(XVal, mean).data)).toEqual([100]);
  });

  it('rejects an empty X, a mismatched mean and mixed dtypes', () => {
    expectError(
      () => meanImage(tensor(new Float32Array(0), { shape: [0, 3] })),
      ShapeError,
      'meanImage: X has shape [0,3], expected at least one example',
    );
    expectError(
      () => meanImage(tensor(3)),
      ShapeError,
      'meanImage: X has shape [], expected [N, ...] with at least one dimension',
    );
    const X = tensor([[1, 2]], { dtype: 'float64' });
    expectError(
      () => subtractMean(X, tensor([1, 2, 3], { dtype: 'float64' })),
      ShapeError,
      'subtractMean: mean has shape [3], expected [2] to match one example of X',
    );
    expectError(
      () => subtractMean(X, tensor([1, 2], { dtype: 'float32' })),
      DTypeError,
      'subtractMean: mean has dtype float32, expected float64 to match X',
    );
  });
});

describe('trainValSplit', () => {
  it('holds out the last numVal rows as views', () => {
    const X = tensor(
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ],
      { dtype: 'float64' },
    );
    const y = Int32Array.from([0, 1, 2, 3, 4]);
    const s = trainValSplit(X, y, 2);
    expect(s.XTrain.shape).toEqual([3, 2]);
    expect(Array.from(s.XVal.data)).toEqual([3, 3, 4, 4]);
    expect(Array.from(s.yTrain)).toEqual([0, 1, 2]);
    expect(Array.from(s.yVal)).toEqual([3, 4]);
    expect(s.XVal.data.buffer).toBe(X.data.buffer);
  });

  it('rejects numVal >= N and labels that do not match', () => {
    const X = tensor([[0], [1]]);
    expectError(
      () => trainValSplit(X, Int32Array.from([0, 1]), 2),
      ValueError,
      'trainValSplit: numVal must be an integer in [0, 2), got 2',
    );
    expectError(
      () => trainValSplit(X, Int32Array.from([0]), 1),
      ValueError,
      'trainValSplit: y has 1 labels, expected 2 to match X',
    );
    expectError(
      () => trainValSplit(X, [0, 1] as unknown as Int32Array, 1),
      ValueError,
      'trainValSplit: y must be an Int32Array of labels, got an array of length 2',
    );
  });
});

describe('flatten', () => {
  it('is a view [N, C, H, W] -> [N, C·H·W]', () => {
    const X = new Tensor(new Float32Array(2 * 3 * 4 * 5), [2, 3, 4, 5]);
    const F = flatten(X);
    expect(F.shape).toEqual([2, 60]);
    expect(F.data).toBe(X.data);
  });
});
