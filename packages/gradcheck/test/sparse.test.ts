import { gradCheckSparse } from '@backprop/gradcheck';
import { Rng, randn, ShapeError, type Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

// f(x) = Σ sin(x) · x, ∂f/∂x = cos(x)·x + sin(x)
const f = (x: Tensor) => Array.from(x.data).reduce((s, v) => s + Math.sin(v) * v, 0);
const grad = (x: Tensor) =>
  tensor(
    Array.from(x.data, (v) => Math.cos(v) * v + Math.sin(v)),
    { shape: [...x.shape], dtype: 'float64' },
  );

describe('gradCheckSparse', () => {
  it('finds tiny relative errors for a correct gradient', () => {
    const x = randn([6, 7], { rng: new Rng(1), dtype: 'float64' });
    const checks = gradCheckSparse(f, x, grad(x), { numChecks: 12 });
    expect(checks).toHaveLength(12);
    for (const c of checks) {
      expect(c.relError).toBeLessThan(1e-8);
      expect(c.analytic).toBe(grad(x).data[c.index]);
      expect(Math.abs(c.numerical - c.analytic)).toBeLessThan(1e-8);
    }
  });

  it('flags a wrong coordinate when it is checked', () => {
    const x = randn([5], { rng: new Rng(2), dtype: 'float64' });
    const wrong = grad(x);
    for (let i = 0; i < wrong.size; i++) wrong.data[i] *= 1.01;
    const checks = gradCheckSparse(f, x, wrong, { numChecks: 5 });
    for (const c of checks) expect(c.relError).toBeGreaterThan(1e-3);
  });

  it('draws the coordinates from the given Rng (default new Rng(0)), reproducibly', () => {
    const x = randn([50], { rng: new Rng(3), dtype: 'float64' });
    const a = gradCheckSparse(f, x, grad(x), { numChecks: 6 }).map((c) => c.index);
    const b = gradCheckSparse(f, x, grad(x), { numChecks: 6, rng: new Rng(0) }).map((c) => c.index);
    const r = new Rng(0);
    expect(a).toEqual(b);
    expect(a).toEqual(Array.from({ length: 6 }, () => r.integer(0, 50)));
  });

  it('restores x exactly', () => {
    const x = randn([10], { rng: new Rng(4), dtype: 'float64' });
    const before = Array.from(x.data);
    gradCheckSparse(f, x, grad(x));
    expect(Array.from(x.data)).toEqual(before);
  });

  it('rejects bad arguments', () => {
    const x = zeros([3], 'float64');
    expectError(
      () => gradCheckSparse(f, x, zeros([4], 'float64')),
      new ShapeError('gradCheckSparse', 'analyticGrad', 'has shape [4], expected [3] to match x'),
    );
    expectError(
      () => gradCheckSparse(f, x, x, { numChecks: 0 }),
      new ValueError('gradCheckSparse', 'opts.numChecks', 'must be an integer >= 1, got 0'),
    );
    expectError(
      () => gradCheckSparse(f, zeros([0]), zeros([0])),
      new ShapeError('gradCheckSparse', 'x', 'has shape [0], expected at least one element'),
    );
  });
});
