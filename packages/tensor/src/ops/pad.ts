// Constant padding (numpy's np.pad with mode='constant'): conv layers pad H and W with zeros.
import { checkTensor, describe } from '../check';
import { allocate } from '../dtype';
import { ValueError } from '../errors';
import { sizeOf, stridesOf } from '../shape';
import { Tensor } from '../tensor';

/**
 * x surrounded by `value`: `widths[d] = [before, after]` elements added along axis d.
 * @param x - any shape [D0, D1, …]
 * @param widths - one [before, after] pair of non-negative integers per axis of x
 * @param value - the fill (default 0)
 * @returns shape [D0 + before0 + after0, D1 + before1 + after1, …], x's dtype
 * @example pad(x, [[0, 0], [0, 0], [1, 1], [1, 1]]) // x: [N, C, H, W] -> [N, C, H+2, W+2]
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  const fn = 'pad';
  checkTensor(fn, 'x', x);
  if (!Array.isArray(widths) || widths.length !== x.ndim) {
    throw new ValueError(
      fn,
      'widths',
      `must hold one [before, after] pair per axis of x (${x.ndim}), got ${describe(widths)}`,
    );
  }
  widths.forEach((w, d) => {
    if (!Array.isArray(w) || w.length !== 2 || !w.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new ValueError(
        fn,
        `widths[${d}]`,
        `must be [before, after] with non-negative integers, got ${JSON.stringify(w)}`,
      );
    }
  });
  if (typeof value !== 'number')
    throw new ValueError(fn, 'value', `must be a number, got ${describe(value)}`);
  const n = x.ndim;
  const outShape = x.shape.map((d, i) => d + widths[i][0] + widths[i][1]);
  const out = allocate(x.dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  if (x.size === 0) return new Tensor(out, outShape);
  if (n === 0) {
    out[0] = x.data[0];
    return new Tensor(out, outShape);
  }
  // Copy x one innermost row at a time; an odometer over the outer axes tracks the output offset.
  const outStrides = stridesOf(outShape);
  const row = x.shape[n - 1];
  let offset = 0;
  for (let d = 0; d < n; d++) offset += widths[d][0] * outStrides[d];
  const index = new Array<number>(n - 1).fill(0);
  for (let start = 0; start < x.size; start += row) {
    out.set(x.data.subarray(start, start + row), offset);
    for (let d = n - 2; d >= 0; d--) {
      index[d]++;
      offset += outStrides[d];
      if (index[d] < x.shape[d]) break;
      offset -= outStrides[d] * x.shape[d];
      index[d] = 0;
    }
  }
  return new Tensor(out, outShape);
}
