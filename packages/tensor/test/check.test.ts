import {
  BackpropError,
  checkDType,
  checkLabels,
  checkNumber,
  checkOneOf,
  checkRank,
  checkSameDType,
  checkShape,
  checkTensor,
  DTypeError,
  describe as describeValue,
  FormatError,
  ShapeError,
  tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

describe('errors', () => {
  it('carry fn, arg and detail, and form the message "<fn>: <arg> <detail>"', () => {
    const e = new ShapeError('affineForward', 'w', 'has shape [5,3], expected [120, M]');
    expect(e).toBeInstanceOf(BackpropError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ShapeError');
    expect(e.fn).toBe('affineForward');
    expect(e.arg).toBe('w');
    expect(e.detail).toBe('has shape [5,3], expected [120, M]');
    expect(e.message).toBe('affineForward: w has shape [5,3], expected [120, M]');
    for (const C of [DTypeError, ValueError, FormatError]) expect(new C('f', 'a', 'b').name).toBe(C.name);
  });
});

describe('checkTensor', () => {
  it('passes tensors and names what came otherwise', () => {
    checkTensor('f', 'x', zeros([1]));
    expectError(() => checkTensor('f', 'x', null), new ValueError('f', 'x', 'must be a Tensor, got null'));
    expectError(() => checkTensor('f', 'x', [1]), new ValueError('f', 'x', 'must be a Tensor, got an array'));
    expectError(() => checkTensor('f', 'x', 3), new ValueError('f', 'x', 'must be a Tensor, got number'));
  });
});

describe('checkShape', () => {
  it('binds named dimensions and returns them', () => {
    expect(checkShape('f', 'x', zeros([2, 3, 4, 5]), ['N', 3, 'H', 'W'])).toEqual({ N: 2, H: 4, W: 5 });
  });

  it('requires a name used twice to take one value', () => {
    expect(checkShape('f', 'x', zeros([3, 3]), ['D', 'D'])).toEqual({ D: 3 });
    expectError(
      () => checkShape('f', 'x', zeros([3, 4]), ['D', 'D']),
      new ShapeError('f', 'x', 'has shape [3,4], expected [D, D]'),
    );
  });

  it('names the function, argument, actual and expected shape, and the reason', () => {
    expectError(
      () =>
        checkShape('convForward', 'w', zeros([8, 2, 5, 5]), ['F', 3, 'HH', 'WW'], "to match x's 3 channels"),
      new ShapeError(
        'convForward',
        'w',
        "has shape [8,2,5,5], expected [F, 3, HH, WW] to match x's 3 channels",
      ),
    );
    expectError(
      () => checkShape('f', 'b', zeros([2, 1]), ['M']),
      new ShapeError('f', 'b', 'has shape [2,1], expected [M]'),
    );
    expectError(
      () => checkShape('f', 'b', 'x', ['M']),
      new ValueError('f', 'b', 'must be a Tensor, got string'),
    );
  });
});

describe('checkRank', () => {
  it('checks the number of dimensions', () => {
    checkRank('f', 'x', zeros([1, 2]), 2);
    expectError(
      () => checkRank('f', 'x', zeros([1, 2, 3]), 4, '[N, C, H, W]'),
      new ShapeError('f', 'x', 'has shape [1,2,3], expected [N, C, H, W] (4 dimensions)'),
    );
    expectError(
      () => checkRank('f', 'x', zeros([1]), 2),
      new ShapeError('f', 'x', 'has shape [1], expected rank 2 (2 dimensions)'),
    );
  });
});

describe('checkSameDType / checkDType', () => {
  it('returns the common dtype or names the odd one out', () => {
    expect(checkSameDType('f', { x: zeros([1], 'float64'), w: zeros([2], 'float64') })).toBe('float64');
    expectError(
      () => checkSameDType('f', { x: zeros([1]), w: zeros([1]), b: zeros([1], 'float64') }),
      new DTypeError('f', 'b', 'has dtype float64, expected float32 to match x'),
    );
  });

  it('accepts only float32 and float64', () => {
    checkDType('f', 'dtype', 'float32');
    expectError(
      () => checkDType('f', 'dtype', 'float16'),
      new DTypeError('f', 'dtype', "must be 'float32' or 'float64', got 'float16'"),
    );
  });
});

describe('checkNumber', () => {
  it('returns the number when it obeys every rule', () => {
    expect(checkNumber('f', 'p', 0.5, { greaterThan: 0, max: 1 })).toBe(0.5);
    expect(checkNumber('f', 'n', 3, { integer: true, min: 3 })).toBe(3);
  });

  it('spells out the whole rule and what came', () => {
    expectError(
      () => checkNumber('f', 'p', 0, { greaterThan: 0, max: 1 }),
      new ValueError('f', 'p', 'must be a finite number in (0, 1], got 0'),
    );
    expectError(
      () => checkNumber('f', 'n', 2.5, { integer: true, min: 1, lessThan: 10 }),
      new ValueError('f', 'n', 'must be an integer in [1, 10), got 2.5'),
    );
    expectError(
      () => checkNumber('f', 'x', Number.NaN),
      new ValueError('f', 'x', 'must be a finite number, got NaN'),
    );
    expectError(
      () => checkNumber('f', 'x', '1'),
      new ValueError('f', 'x', "must be a finite number, got '1'"),
    );
    expectError(
      () => checkNumber('f', 'x', undefined),
      new ValueError('f', 'x', 'must be a finite number, got undefined'),
    );
  });
});

describe('checkOneOf', () => {
  it('lists the options', () => {
    expect(checkOneOf('f', 'mode', 'train', ['train', 'test'])).toBe('train');
    expectError(
      () => checkOneOf('f', 'mode', 'eval', ['train', 'test']),
      new ValueError('f', 'mode', "must be one of 'train', 'test', got 'eval'"),
    );
  });
});

describe('checkLabels', () => {
  it('accepts Int32Array, Uint8Array and number[]', () => {
    for (const y of [new Int32Array([0, 2]), new Uint8Array([0, 2]), [0, 2]])
      expect(checkLabels('f', 'y', y, 2, 3)).toBe(y);
  });

  it('rejects a wrong count, non-integers and out-of-range labels', () => {
    expectError(
      () => checkLabels('svmLoss', 'y', [0], 2, 3),
      new ValueError('svmLoss', 'y', 'has 1 labels, expected 2 to match the batch size'),
    );
    expectError(
      () => checkLabels('f', 'y', [0, 3], 2, 3),
      new ValueError('f', 'y[1]', 'is 3, expected an integer label in [0, 3)'),
    );
    expectError(
      () => checkLabels('f', 'y', [0.5], 1, 3),
      new ValueError('f', 'y[0]', 'is 0.5, expected an integer label in [0, 3)'),
    );
    expectError(
      () => checkLabels('f', 'y', 5, 1, 3),
      new ValueError('f', 'y', 'must be an array of 1 integer labels, got 5'),
    );
  });
});

describe('describe', () => {
  it('summarises values for messages', () => {
    expect(describeValue(tensor([1, 2]))).toBe('a float32 Tensor of shape [2]');
    expect(describeValue('a')).toBe("'a'");
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1, 2, 3])).toBe('an array of length 3');
    expect(describeValue(new Uint8Array(2))).toBe('a Uint8Array');
    expect(describeValue({})).toBe('object');
  });
});
