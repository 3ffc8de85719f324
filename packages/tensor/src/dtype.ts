/** The element types a Tensor can hold: float64 for gradient checks, float32 for speed. */
export type DType = 'float32' | 'float64';

/** The typed array behind a Tensor of either dtype. */
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** A zero-filled typed array of `dtype` with `length` elements. */
export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** The dtype of a typed array, or undefined if it is not a Float32Array / Float64Array. */
export function dtypeOf(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

/** Bytes per element. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float32' ? 4 : 8;
}
