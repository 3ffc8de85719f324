// CS231n's preprocessing (data_utils.get_CIFAR10_data), one step per function: bytes to floats,
// the train/val split, the mean image of the TRAIN split subtracted from every split, flattening
// for fully-connected models. Each is one explicit loop over typed arrays.
import {
  allocate,
  checkDType,
  checkNumber,
  checkSameDType,
  checkShape,
  checkTensor,
  type DType,
  describe,
  formatShape,
  ShapeError,
  Tensor,
  ValueError,
} from '@backprop/tensor';

/** Options of `toFloatNCHW`. */
export interface ToFloatOptions {
  /** Default 'float32'. */
  dtype?: DType;
  /** Each byte is multiplied by this. Default 1/255, so pixels land in [0, 1]. */
  scale?: number;
  /** Layout of `bytes`: 'NCHW' (IDX, CIFAR-10 binary) or 'NHWC' (canvas pixels without alpha). Default 'NCHW'. */
  layout?: 'NCHW' | 'NHWC';
}

/**
 * Pixel bytes to a float tensor [N, C, H, W], scaled (default to [0, 1]).
 * @param bytes - N·C·H·W bytes in `options.layout` order
 * @param shape - [N, C, H, W] of the result
 * @throws ValueError when the byte count does not match the shape
 */
export function toFloatNCHW(
  bytes: Uint8Array,
  shape: readonly number[],
  options: ToFloatOptions = {},
): Tensor {
  const fn = 'toFloatNCHW';
  if (!(bytes instanceof Uint8Array))
    throw new ValueError(fn, 'bytes', `must be a Uint8Array, got ${describe(bytes)}`);
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw new ValueError(
      fn,
      'shape',
      `must be [N, C, H, W], got ${Array.isArray(shape) ? formatShape(shape) : describe(shape)}`,
    );
  }
  shape.forEach((d, i) => {
    checkNumber(fn, `shape[${i}]`, d, { integer: true, min: 0 });
  });
  const dtype = options.dtype ?? 'float32';
  checkDType(fn, 'options.dtype', dtype);
  const scale = checkNumber(fn, 'options.scale', options.scale ?? 1 / 255);
  const layout = options.layout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') {
    throw new ValueError(fn, 'options.layout', `must be 'NCHW' or 'NHWC', got ${describe(layout)}`);
  }
  const [N, C, H, W] = shape;
  const size = N * C * H * W;
  if (bytes.length !== size) {
    throw new ValueError(fn, 'bytes', `has ${bytes.length} bytes, expected ${formatShape(shape)} = ${size}`);
  }
  const out = allocate(dtype, size);
  if (layout === 'NCHW') {
    for (let i = 0; i < size; i++) out[i] = bytes[i] * scale;
  } else {
    const HW = H * W;
    for (let n = 0; n < N; n++) {
      const base = n * C * HW;
      for (let p = 0; p < HW; p++) {
        for (let c = 0; c < C; c++) out[base + c * HW + p] = bytes[base + p * C + c] * scale;
      }
    }
  }
  return new Tensor(out, shape);
}

/**
 * The mean example: the average of `X` over its first axis, accumulated in float64.
 * @param X - [N, ...rest] with N >= 1
 * @returns [...rest], X's dtype
 */
export function meanImage(X: Tensor): Tensor {
  const fn = 'meanImage';
  checkTensorRank(fn, X);
  const N = X.shape[0];
  if (N === 0)
    throw new ShapeError(fn, 'X', `has shape ${formatShape(X.shape)}, expected at least one example`);
  const D = X.size / N;
  const sum = new Float64Array(D);
  const x = X.data;
  for (let n = 0; n < N; n++) {
    const base = n * D;
    for (let j = 0; j < D; j++) sum[j] += x[base + j];
  }
  const out = allocate(X.dtype, D);
  for (let j = 0; j < D; j++) out[j] = sum[j] / N;
  return new Tensor(out, X.shape.slice(1));
}

/**
 * `X - mean`, the mean broadcast over the first axis: a new tensor, or X itself changed when
 * `options.inPlace` (saves a copy of the whole set: 600 MB for CIFAR-10's training images in float32).
 * @param X - [N, ...rest]
 * @param mean - [...rest] (as `meanImage` returns), same dtype
 */
export function subtractMean(X: Tensor, mean: Tensor, options: { inPlace?: boolean } = {}): Tensor {
  const fn = 'subtractMean';
  checkTensorRank(fn, X);
  checkShape(fn, 'mean', mean, X.shape.slice(1), 'to match one example of X');
  checkSameDType(fn, { X, mean });
  const N = X.shape[0];
  const D = mean.size;
  const x = X.data;
  const m = mean.data;
  const out = options.inPlace ? x : allocate(X.dtype, X.size);
  for (let n = 0; n < N; n++) {
    const base = n * D;
    for (let j = 0; j < D; j++) out[base + j] = x[base + j] - m[j];
  }
  return options.inPlace ? X : new Tensor(out, X.shape);
}

/** The two splits `trainValSplit` returns; views of its inputs. */
export interface TrainValSplit {
  XTrain: Tensor;
  yTrain: Int32Array;
  XVal: Tensor;
  yVal: Int32Array;
}

/**
 * Holds out the LAST `numVal` examples for validation, as CS231n takes rows [49000, 50000) of
 * CIFAR-10's training set. Shuffle first if the order is meaningful. The results are views (no copy).
 * @param X - [N, ...]
 * @param y - N labels
 * @param numVal - 0 <= numVal < N
 */
export function trainValSplit(X: Tensor, y: Int32Array, numVal: number): TrainValSplit {
  const fn = 'trainValSplit';
  checkTensorRank(fn, X);
  const N = X.shape[0];
  if (!(y instanceof Int32Array))
    throw new ValueError(fn, 'y', `must be an Int32Array of labels, got ${describe(y)}`);
  if (y.length !== N) throw new ValueError(fn, 'y', `has ${y.length} labels, expected ${N} to match X`);
  checkNumber(fn, 'numVal', numVal, { integer: true, min: 0, lessThan: N });
  const cut = N - numVal;
  return {
    XTrain: X.slice(0, cut),
    yTrain: y.subarray(0, cut),
    XVal: X.slice(cut, N),
    yVal: y.subarray(cut, N),
  };
}

/**
 * `[N, d1, …, dk]` to `[N, d1·…·dk]`, a view (the fully-connected models' input layout).
 * @param X - rank >= 1
 */
export function flatten(X: Tensor): Tensor {
  checkTensorRank('flatten', X);
  const N = X.shape[0];
  return X.reshape([N, N === 0 ? 0 : X.size / N]);
}

function checkTensorRank(fn: string, X: unknown): asserts X is Tensor {
  checkTensor(fn, 'X', X);
  if (X.shape.length === 0)
    throw new ShapeError(fn, 'X', 'has shape [], expected [N, ...] with at least one dimension');
}
