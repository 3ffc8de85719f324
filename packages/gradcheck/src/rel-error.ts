// CS231n's rel_error: max over elements of |a − b| / max(1e-8, |a| + |b|).
import { checkTensor, formatShape, ShapeError, type Tensor } from '@backprop/tensor';

/**
 * The largest elementwise relative error between two tensors (or numbers) of one shape. NaN if any
 * element pair gives NaN (a NaN or two infinities), so a `relError(a, b) < tol` check fails, never passes.
 * @throws ValueError for a non-tensor; ShapeError for tensors of different shapes
 */
export function relError(a: Tensor | number, b: Tensor | number): number {
  if (typeof a === 'number' && typeof b === 'number') return relOne(a, b);
  checkTensor('relError', 'a', a);
  checkTensor('relError', 'b', b);
  if (a.size !== b.size || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(
      'relError',
      'b',
      `has shape ${formatShape(b.shape)}, expected ${formatShape(a.shape)} to match a`,
    );
  }
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const e = relOne(a.data[i], b.data[i]);
    if (e > worst || Number.isNaN(e)) worst = e;
    if (Number.isNaN(worst)) return worst;
  }
  return worst;
}

function relOne(a: number, b: number): number {
  const scale = Math.abs(a) + Math.abs(b);
  if (scale === Number.POSITIVE_INFINITY && Number.isFinite(a) && Number.isFinite(b)) {
    // |a| + |b| overflowed (both near the float64 limit): halving both is exact there and keeps the ratio.
    return Math.abs(a / 2 - b / 2) / (Math.abs(a / 2) + Math.abs(b / 2));
  }
  return Math.abs(a - b) / Math.max(1e-8, scale);
}
