// CS231n's grad_check_sparse: compare an analytic gradient with the numerical one at a few random
// coordinates — for models too large to check every coordinate.
import {
  checkNumber,
  checkTensor,
  describe,
  formatShape,
  Rng,
  ShapeError,
  shapesEqual,
  type Tensor,
  ValueError,
} from '@backprop/tensor';
import { checkFunction, checkValue } from './numerical';

export interface SparseCheck {
  /** Flat index of the coordinate checked. */
  index: number;
  numerical: number;
  analytic: number;
  relError: number;
}

export interface GradCheckSparseOptions {
  /** Coordinates to check; default 10. */
  numChecks?: number;
  /** Step size; default 1e-5. */
  h?: number;
  /** Picks the coordinates; default `new Rng(0)`. */
  rng?: Rng;
}

/**
 * Checks `analyticGrad` against centered differences of `f` at `numChecks` random coordinates of x.
 * x is perturbed in place and restored.
 */
export function gradCheckSparse(
  f: (x: Tensor) => number,
  x: Tensor,
  analyticGrad: Tensor,
  opts: GradCheckSparseOptions = {},
): SparseCheck[] {
  const fn = 'gradCheckSparse';
  checkFunction(fn, f);
  checkTensor(fn, 'x', x);
  checkTensor(fn, 'analyticGrad', analyticGrad);
  if (!shapesEqual(analyticGrad.shape, x.shape)) {
    throw new ShapeError(
      fn,
      'analyticGrad',
      `has shape ${formatShape(analyticGrad.shape)}, expected ${formatShape(x.shape)} to match x`,
    );
  }
  if (x.size === 0)
    throw new ShapeError(fn, 'x', `has shape ${formatShape(x.shape)}, expected at least one element`);
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError(fn, 'opts', `must be an object { numChecks?, h?, rng? }, got ${describe(opts)}`);
  }
  if (opts.rng !== undefined && !(opts.rng instanceof Rng)) {
    throw new ValueError(fn, 'opts.rng', `must be an Rng, got ${describe(opts.rng)}`);
  }
  const numChecks = checkNumber(fn, 'opts.numChecks', opts.numChecks ?? 10, { integer: true, min: 1 });
  const h = checkNumber(fn, 'opts.h', opts.h ?? 1e-5, { greaterThan: 0 });
  const rng = opts.rng ?? new Rng(0);
  const results: SparseCheck[] = [];
  for (let c = 0; c < numChecks; c++) {
    const index = rng.integer(0, x.size);
    const old = x.data[index];
    let plus: number;
    let minus: number;
    try {
      x.data[index] = old + h;
      plus = f(x);
      x.data[index] = old - h;
      minus = f(x);
    } finally {
      x.data[index] = old; // restored even when f throws
    }
    checkValue(fn, plus, index, '+');
    checkValue(fn, minus, index, '-');
    const numerical = (plus - minus) / (2 * h);
    const analytic = analyticGrad.data[index];
    const relError =
      Math.abs(numerical - analytic) / Math.max(1e-8, Math.abs(numerical) + Math.abs(analytic));
    results.push({ index, numerical, analytic, relError });
  }
  return results;
}
