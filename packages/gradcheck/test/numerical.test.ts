import { evalNumericalGradient, evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import { linspace, matmul, Rng, randn, ShapeError, type Tensor, tensor, ValueError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

const f64 = (values: number[], shape?: number[]) => tensor(values, { dtype: 'float64', shape });

function map(x: Tensor, fn: (v: number) => number): Tensor {
  return tensor(Array.from(x.data, fn), { shape: [...x.shape], dtype: x.dtype });
}

function transpose(a: Tensor): Tensor {
  return a.transpose();
}

describe('evalNumericalGradient', () => {
  it('d/dx Σ x³ = 3x² to within relError 1e-9 in float64', () => {
    const x = linspace(-2, 2, 12, 'float64').reshape([3, 4]);
    const grad = evalNumericalGradient((t) => Array.from(t.data).reduce((s, v) => s + v ** 3, 0), x);
    expect(grad.shape).toEqual([3, 4]);
    expect(grad.dtype).toBe('float64');
    expect(
      relError(
        grad,
        map(x, (v) => 3 * v * v),
      ),
    ).toBeLessThan(1e-9);
  });

  it('of a quadratic form xᵀAx is (A + Aᵀ)x', () => {
    const rng = new Rng(1);
    const A = randn([5, 5], { rng, dtype: 'float64' });
    const x = randn([5, 1], { rng, dtype: 'float64' });
    const f = (t: Tensor) => matmul(transpose(t), matmul(A, t)).item();
    const analytic = matmul(A, x).data.map((v, i) => v + matmul(transpose(A), x).data[i]);
    expect(relError(evalNumericalGradient(f, x), tensor(analytic, { shape: [5, 1] }))).toBeLessThan(1e-8);
  });

  it('is exact for a linear function, whatever h', () => {
    const x = f64([1, -2, 3]);
    const grad = evalNumericalGradient((t) => 2 * t.data[0] - 0.5 * t.data[1] + 0.25 * t.data[2], x, {
      h: 0.5,
    });
    expect(Array.from(grad.data)).toEqual([2, -0.5, 0.25]);
  });

  it('restores x exactly (bit for bit), even when f throws', () => {
    const x = randn([4], { rng: new Rng(2), dtype: 'float64' });
    const before = Array.from(x.data);
    evalNumericalGradient((t) => Math.sin(t.data[0] * t.data[1]) + t.data[2] / 3, x);
    expect(Array.from(x.data)).toEqual(before);
    let calls = 0;
    expect(() =>
      evalNumericalGradient(() => {
        if (++calls === 4) throw new Error('boom');
        return 0;
      }, x),
    ).toThrow('boom');
    expect(Array.from(x.data)).toEqual(before);
  });

  it('reads x afresh: f sees each perturbation', () => {
    const seen: number[] = [];
    evalNumericalGradient(
      (t) => {
        seen.push(t.data[0]);
        return 0;
      },
      f64([1]),
      { h: 0.25 },
    );
    expect(seen).toEqual([1.25, 0.75]);
  });

  it('rejects a bad step and a non-tensor', () => {
    expectError(
      () => evalNumericalGradient(() => 0, f64([1]), { h: 0 }),
      new ValueError('evalNumericalGradient', 'opts.h', 'must be a finite number > 0, got 0'),
    );
    expectError(
      () => evalNumericalGradient(() => 0, [1] as never),
      new ValueError('evalNumericalGradient', 'x', 'must be a Tensor, got an array'),
    );
  });
});

describe('evalNumericalGradientArray', () => {
  it('equals the analytic vector-Jacobian product of matmul: dx = df · Wᵀ', () => {
    const rng = new Rng(3);
    const x = randn([4, 5], { rng, dtype: 'float64' });
    const W = randn([5, 3], { rng, dtype: 'float64' });
    const df = randn([4, 3], { rng, dtype: 'float64' });
    const dx = evalNumericalGradientArray((t) => matmul(t, W), x, df);
    expect(relError(dx, matmul(df, transpose(W)))).toBeLessThan(1e-9);
    const dW = evalNumericalGradientArray((t) => matmul(x, t), W, df);
    expect(relError(dW, matmul(transpose(x), df))).toBeLessThan(1e-9);
  });

  it('equals df ⊙ f′(x) for an elementwise function (tanh)', () => {
    const x = linspace(-1.5, 1.5, 7, 'float64');
    const df = linspace(0.5, -1, 7, 'float64');
    const grad = evalNumericalGradientArray((t) => map(t, Math.tanh), x, df);
    const analytic = map(x, (v) => 1 - Math.tanh(v) ** 2).data.map((v, i) => v * df.data[i]);
    expect(relError(grad, tensor(analytic, { dtype: 'float64' }))).toBeLessThan(1e-8);
  });

  it('copies f(x) before calling f again, so an f that reuses its output buffer still works', () => {
    const out = f64([0, 0]);
    const f = (t: Tensor) => {
      out.data[0] = 2 * t.data[0];
      out.data[1] = t.data[0] * t.data[1];
      return out;
    };
    const x = f64([1, 3]);
    const grad = evalNumericalGradientArray(f, x, f64([1, 1]));
    // d/dx0 (2x0 + x0x1) = 2 + x1 = 5; d/dx1 = x0 = 1
    expect(relError(grad, f64([5, 1]))).toBeLessThan(1e-9);
  });

  it('restores x exactly', () => {
    const x = randn([3, 2], { rng: new Rng(4), dtype: 'float64' });
    const before = Array.from(x.data);
    evalNumericalGradientArray(
      (t) => map(t, Math.exp),
      x,
      randn([3, 2], { rng: new Rng(5), dtype: 'float64' }),
    );
    expect(Array.from(x.data)).toEqual(before);
  });

  it('rejects a df that does not match f(x)', () => {
    expectError(
      () => evalNumericalGradientArray((t) => t, f64([1, 2]), f64([1, 2, 3])),
      new ShapeError('evalNumericalGradientArray', 'df', 'has 3 elements (shape [3]), f(x) has 2'),
    );
    expectError(
      () => evalNumericalGradientArray(() => 3 as never, f64([1]), f64([1])),
      new ValueError('evalNumericalGradientArray', 'f(x)', 'must be a Tensor, got number'),
    );
    expectError(
      () => evalNumericalGradientArray((t) => t, f64([1]), 1 as never),
      new ValueError('evalNumericalGradientArray', 'df', 'must be a Tensor, got number'),
    );
  });
});
