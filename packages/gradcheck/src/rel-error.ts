// CS231n's rel_error: max over elements of |a − b| / max(1e-8, |a| + |b|).
import { ShapeError, type Tensor, checkTensor, formatShape } from '@backprop/tensor';

/** The largest elementwise relative error between two tensors (or numbers) of one shape. */
export function relError(a: Tensor | number, b: Tensor | number): number {
  if (typeof a === 'number' && typeof b === 'number') return relOne(a, b);
  checkTensor('relError', 'a', a);
  checkTensor('relError', 'b', b);
  if (a.size !== b.size || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError('relError', 'b', `has shape ${formatShape(b.shape)}, expected ${formatShape(a.shape)} to match a`);
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
  return Math.abs(a - b) / Math.max(1e-8, Math.abs(a) + Math.abs(b));
}
