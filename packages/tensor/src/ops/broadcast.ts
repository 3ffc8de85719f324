// numpy broadcasting: align shapes on the right; each pair of dimensions must be equal or one of them 1.
// Every elementwise op goes through these two helpers, so the rule and its error message live here only.
import { ShapeError } from '../errors';
import { formatShape } from '../shape';

/**
 * The shape two operands broadcast to (numpy's rule), e.g. `[2,1,4]` and `[3,1]` give `[2,3,4]`.
 * @param a - shape of the first operand
 * @param b - shape of the second operand
 * @param fn - the op to name in the error (default 'broadcastShapes')
 * @param names - the operands' argument names in the error (default ['a', 'b'])
 * @throws ShapeError `add: b has shape [3,4], cannot broadcast with a's [2,3]`
 */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
  fn = 'broadcastShapes',
  names: readonly [string, string] = ['a', 'b'],
): number[] {
  for (const [name, shape] of [
    [names[0], a],
    [names[1], b],
  ] as const) {
    if (!Array.isArray(shape)) {
      throw new ShapeError(fn, name, `must have a shape (an array of dimensions), got ${typeof shape}`);
    }
  }
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        fn,
        names[1],
        `has shape ${formatShape(b)}, cannot broadcast with ${names[0]}'s ${formatShape(a)}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Element strides of an operand of `shape` read as if it had `outShape` (which it broadcasts to):
 * 0 along the dimensions it is repeated on.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const n = outShape.length;
  const offset = n - shape.length;
  const strides = new Array<number>(n).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i + offset] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}
