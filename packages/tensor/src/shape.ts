/** Shape helpers shared by Tensor and the ops. Shapes are row-major (C order). */
import { ShapeError } from './errors';

/** Throws a ShapeError unless `shape` is an array (or typed array) of dimensions. */
function checkShapeLike(fn: string, arg: string, shape: unknown): void {
  if (!Array.isArray(shape) && !(ArrayBuffer.isView(shape) && !(shape instanceof DataView))) {
    throw new ShapeError(
      fn,
      arg,
      `must be an array of dimensions, got ${shape === null ? 'null' : typeof shape}`,
    );
  }
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: readonly number[]): number {
  checkShapeLike('sizeOf', 'shape', shape);
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  checkShapeLike('stridesOf', 'shape', shape);
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** `[2,3,4]`, the form every error message uses. Anything else is shown as `String(shape)` (it is used inside error messages, so it never throws). */
export function formatShape(shape: readonly (number | string | null)[]): string {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) return String(shape);
  if (!Array.isArray(shape)) return `[${Array.from(shape as unknown as ArrayLike<number>).join(',')}]`;
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** True when two shapes have the same dimensions. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  checkShapeLike('shapesEqual', 'a', a);
  checkShapeLike('shapesEqual', 'b', b);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
