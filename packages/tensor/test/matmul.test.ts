import { DTypeError, matmul, Rng, randn, ShapeError, type Tensor, tensor, zeros } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

function naive(a: Tensor, b: Tensor): number[] {
  const [M, K] = a.shape;
  const N = b.shape[1];
  const out: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[i * K + k] * b.data[k * N + j];
      out.push(s);
    }
  }
  return out;
}

describe('matmul', () => {
  it('multiplies by hand', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(matmul(a, a).toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(matmul(tensor([[1, 2, 3]]), tensor([[1], [0], [-1]])).toArray()).toEqual([[-2]]);
  });

  it('equals a naive triple loop for random shapes in float64', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer(),
        (M, K, N, seed) => {
          const rng = new Rng(seed);
          const a = randn([M, K], { rng, dtype: 'float64' });
          const b = randn([K, N], { rng, dtype: 'float64' });
          const out = matmul(a, b);
          expect(out.shape).toEqual([M, N]);
          const want = naive(a, b);
          for (let i = 0; i < want.length; i++) expect(Math.abs(out.data[i] - want[i])).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('handles K = 0 (a sum of nothing is 0)', () => {
    expect(Array.from(matmul(zeros([2, 0]), zeros([0, 3])).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects mismatched shapes, ranks and dtypes', () => {
    expectError(
      () => matmul(zeros([2, 3]), zeros([2, 3])),
      new ShapeError('matmul', 'b', "has shape [2,3], expected [3, N] to match a's 3 columns"),
    );
    expectError(
      () => matmul(zeros([2]), zeros([2, 3])),
      new ShapeError('matmul', 'a', 'has shape [2], expected [M, K] (2 dimensions)'),
    );
    expectError(
      () => matmul(zeros([2, 2]), zeros([2, 2], 'float64')),
      new DTypeError('matmul', 'b', 'has dtype float64, expected float32 to match a'),
    );
  });
});
