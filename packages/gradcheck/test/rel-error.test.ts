import { relError } from '@backprop/gradcheck';
import { ShapeError, tensor, ValueError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

describe('relError', () => {
  it("is CS231n's max |a − b| / max(1e-8, |a| + |b|)", () => {
    expect(relError(1, 1)).toBe(0);
    expect(relError(1, 3)).toBe(0.5);
    expect(relError(-1, 1)).toBe(1);
    expect(relError(0, 0)).toBe(0);
    // The 1e-8 floor: two tiny numbers are not "100% different".
    expect(relError(1e-10, 0)).toBeCloseTo(1e-2, 15);
  });

  it('takes the worst element of two tensors', () => {
    const a = tensor([1, 2, 4], { dtype: 'float64' });
    const b = tensor([1, 2.2, 4.4], { dtype: 'float64' });
    expect(relError(a, b)).toBeCloseTo(0.4 / 8.4, 15);
  });

  it('returns NaN when any element is NaN', () => {
    expect(relError(tensor([1, Number.NaN, 3]), tensor([1, 2, 3]))).toBeNaN();
    expect(relError(tensor([Number.NaN, 1]), tensor([0, 100]))).toBeNaN();
  });

  it('rejects mismatched shapes and non-tensors', () => {
    expectError(
      () => relError(tensor([1, 2]), tensor([[1, 2]])),
      new ShapeError('relError', 'b', 'has shape [1,2], expected [2] to match a'),
    );
    expectError(
      () => relError(tensor([1]), 'x' as never),
      new ValueError('relError', 'b', 'must be a Tensor, got string'),
    );
  });
});
