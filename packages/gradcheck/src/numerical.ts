// Centered-difference numerical gradients, as CS231n's gradient_check.py computes them:
//   df/dx_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h,  error O(h²).
// x is perturbed in place and restored after each coordinate, so f must read x afresh on each call.
// Run these in float64: in float32 the rounding error of f swamps the O(h²) term.
import { ShapeError, type Tensor, checkNumber, checkTensor, formatShape, zeros } from '@backprop/tensor';

export interface NumericalGradientOptions {
  /** Step size; default 1e-5. */
  h?: number;
}

/**
 * The numerical gradient of a scalar function at x.
 * @param f - reads x (which this function perturbs in place) and returns a number
 * @param x - the point, any shape; restored exactly on return
 * @returns a tensor shaped like x
 */
export function evalNumericalGradient(f: (x: Tensor) => number, x: Tensor, opts: NumericalGradientOptions = {}): Tensor {
  const h = checkStep('evalNumericalGradient', opts);
  checkTensor('evalNumericalGradient', 'x', x);
  const grad = zeros(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) {
    const old = x.data[i];
    x.data[i] = old + h;
    const plus = f(x);
    x.data[i] = old - h;
    const minus = f(x);
    x.data[i] = old;
    grad.data[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/**
 * The numerical gradient of sum(f(x) · df) at x: the vector-Jacobian product a backward pass computes
 * for an upstream gradient df.
 * @param f - reads x and returns a tensor shaped like df
 * @param x - the point; restored exactly on return
 * @param df - upstream gradient, shaped like f(x)
 */
export function evalNumericalGradientArray(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  df: Tensor,
  opts: NumericalGradientOptions = {},
): Tensor {
  const fn = 'evalNumericalGradientArray';
  const h = checkStep(fn, opts);
  checkTensor(fn, 'x', x);
  checkTensor(fn, 'df', df);
  const grad = zeros(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) {
    const old = x.data[i];
    x.data[i] = old + h;
    const plus = f(x).data.slice(); // copy: f may return a view it later reuses
    x.data[i] = old - h;
    const minus = f(x).data;
    x.data[i] = old;
    if (plus.length !== df.size || minus.length !== df.size) {
      throw new ShapeError(fn, 'df', `has ${df.size} elements (shape ${formatShape(df.shape)}), f(x) has ${minus.length}`);
    }
    let s = 0;
    for (let j = 0; j < df.size; j++) s += (plus[j] - minus[j]) * df.data[j];
    grad.data[i] = s / (2 * h);
  }
  return grad;
}

function checkStep(fn: string, opts: NumericalGradientOptions): number {
  return checkNumber(fn, 'opts.h', opts.h ?? 1e-5, { greaterThan: 0 });
}

