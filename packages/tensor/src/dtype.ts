import { DTypeError, ValueError } from './errors';

/** The element types a Tensor can hold: float64 for gradient checks, float32 for speed. */
export type DType = 'float32' | 'float64';

/** The typed array behind a Tensor of either dtype. */
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** A zero-filled typed array of `dtype` with `length` elements. */
export function allocate(dtype: DType, length: number): FloatArray {
  if (!Number.isInteger(length) || length < 0) {
    throw new ValueError('allocate', 'length', `must be a non-negative integer, got ${String(length)}`);
  }
  if (dtype === 'float32') return new Float32Array(length);
  if (dtype === 'float64') return new Float64Array(length);
  throw badDType('allocate', dtype);
}

/** The dtype of a typed array, or undefined if it is not a Float32Array / Float64Array. */
export function dtypeOf(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

/** Bytes per element. */
export function bytesPerElement(dtype: DType): number {
  if (dtype === 'float32') return 4;
  if (dtype === 'float64') return 8;
  throw badDType('bytesPerElement', dtype);
}

function badDType(fn: string, dtype: unknown): DTypeError {
  const got = typeof dtype === 'string' ? `'${dtype}'` : String(dtype);
  return new DTypeError(fn, 'dtype', `must be 'float32' or 'float64', got ${got}`);
}
