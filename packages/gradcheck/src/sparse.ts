// CS231n's grad_check_sparse: compare an analytic gradient with the numerical one at a few random
// coordinates — for models too large to check every coordinate.
import { Rng, type Tensor, ShapeError, checkNumber, checkTensor, formatShape } from '@backprop/tensor';

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
  checkTensor(fn, 'x', x);
  checkTensor(fn, 'analyticGrad', analyticGrad);
  if (analyticGrad.size !== x.size) {
    throw new ShapeError(fn, 'analyticGrad', `has shape ${formatShape(analyticGrad.shape)}, expected ${formatShape(x.shape)} to match x`);
  }
  const numChecks = checkNumber(fn, 'opts.numChecks', opts.numChecks ?? 10, { integer: true, min: 1 });
  const h = checkNumber(fn, 'opts.h', opts.h ?? 1e-5, { greaterThan: 0 });
  const rng = opts.rng ?? new Rng(0);
  const results: SparseCheck[] = [];
  for (let c = 0; c < numChecks; c++) {
    const index = rng.integer(0, x.size);
    const old = x.data[index];
    x.data[index] = old + h;
    const plus = f(x);
    x.data[index] = old - h;
    const minus = f(x);
    x.data[index] = old;
    const numerical = (plus - minus) / (2 * h);
    const analytic = analyticGrad.data[index];
    const relError = Math.abs(numerical - analytic) / Math.max(1e-8, Math.abs(numerical) + Math.abs(analytic));
    results.push({ index, numerical, analytic, relError });
  }
  return results;
}
