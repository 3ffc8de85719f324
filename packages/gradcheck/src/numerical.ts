// Centered-difference numerical gradients, as CS231n's gradient_check.py computes them:
//   df/dx_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h,  error O(h²).
// x is perturbed in place and restored after each coordinate, so f must read x afresh on each call.
// Run these in float64: in float32 the rounding error of f swamps the O(h²) term.
import {
  checkNumber,
  checkTensor,
  describe,
  type FloatArray,
  formatShape,
  ShapeError,
  type Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';

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
export function evalNumericalGradient(
  f: (x: Tensor) => number,
  x: Tensor,
  opts: NumericalGradientOptions = {},
): Tensor {
  const fn = 'evalNumericalGradient';
  checkFunction(fn, f);
  const h = checkStep(fn, opts);
  checkTensor(fn, 'x', x);
  const grad = zeros(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) {
    const old = x.data[i];
    let plus: number;
    let minus: number;
    try {
      x.data[i] = old + h;
      plus = f(x);
      x.data[i] = old - h;
      minus = f(x);
    } finally {
      x.data[i] = old; // restored even when f throws
    }
    checkValue(fn, plus, i, '+');
    checkValue(fn, minus, i, '-');
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
  checkFunction(fn, f);
  const h = checkStep(fn, opts);
  checkTensor(fn, 'x', x);
  checkTensor(fn, 'df', df);
  const grad = zeros(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) {
    const old = x.data[i];
    let plus: FloatArray;
    let minus: FloatArray;
    try {
      x.data[i] = old + h;
      plus = output(fn, f(x)).data.slice(); // copy: f may return a view it later reuses
      x.data[i] = old - h;
      minus = output(fn, f(x)).data;
    } finally {
      x.data[i] = old; // restored even when f throws
    }
    if (plus.length !== df.size || minus.length !== df.size) {
      throw new ShapeError(
        fn,
        'df',
        `has ${df.size} elements (shape ${formatShape(df.shape)}), f(x) has ${minus.length}`,
      );
    }
    let s = 0;
    for (let j = 0; j < df.size; j++) s += (plus[j] - minus[j]) * df.data[j];
    if (!Number.isFinite(s)) {
      throw new ValueError(
        fn,
        'f(x)',
        `is not finite near x[${i}] (or df holds a non-finite value): a numerical gradient needs finite values`,
      );
    }
    grad.data[i] = s / (2 * h);
  }
  return grad;
}

function output(fn: string, y: unknown): Tensor {
  checkTensor(fn, 'f(x)', y);
  return y;
}

function checkStep(fn: string, opts: NumericalGradientOptions): number {
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError(fn, 'opts', `must be an object { h? }, got ${describe(opts)}`);
  }
  return checkNumber(fn, 'opts.h', opts.h ?? 1e-5, { greaterThan: 0 });
}

/** Throws a ValueError unless `f` is a function. @internal */
export function checkFunction(fn: string, f: unknown): void {
  if (typeof f !== 'function') throw new ValueError(fn, 'f', `must be a function, got ${describe(f)}`);
}

/** Throws a ValueError unless f returned a finite number at x[i] ± h. @internal */
export function checkValue(fn: string, v: unknown, i: number, sign: '+' | '-'): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ValueError(
      fn,
      'f(x)',
      `returned ${describe(v)} at x[${i}] ${sign} h, expected a finite number (a numerical gradient needs finite values)`,
    );
  }
}
