export {
  checkDType,
  checkLabels,
  checkNumber,
  checkOneOf,
  checkRank,
  checkSameDType,
  checkShape,
  checkTensor,
  type DimSpec,
  describe,
  type Labels,
  type NumberRule,
} from './check';
export {
  arange,
  full,
  linspace,
  ones,
  type RandomOptions,
  rand,
  randn,
  type TensorOptions,
  tensor,
  zeros,
} from './create';
export { allocate, bytesPerElement, DTYPES, type DType, dtypeOf, type FloatArray } from './dtype';
export { BackpropError, DTypeError, FormatError, ShapeError, ValueError } from './errors';
export { readSafetensors, type Safetensors, writeSafetensors } from './io/safetensors';
export { convBackwardF32, convForwardF32 } from './kernels/conv-wasm';
export {
  type GemmBackend,
  type GemmInfo,
  type GemmOptions,
  gemm,
  gemmInfo,
  getGemmBackend,
  getGemmThreads,
  setGemmBackend,
  setGemmThreads,
  setGemmThreadThreshold,
} from './kernels/gemm';
export { relaxedSimdValidates } from './kernels/gemm-wasm';
export {
  type AdamStep,
  adamF32,
  firstNotNonNegativeF32,
  getKernelBackend,
  type KernelBackend,
  maxPool2x2BackwardF32,
  maxPool2x2F32,
  reluBackwardF32,
  reluF32,
  setKernelBackend,
  sumSquaresAddScaledF32,
} from './kernels/simd-kernels';
export { broadcastShapes, broadcastStrides } from './ops/broadcast';
export {
  abs,
  add,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  type Operand,
  pow,
  sqrt,
  square,
  sub,
  where,
} from './ops/elementwise';
export {
  type ConvGeometry,
  type ConvGeometryNames,
  col2im,
  col2imImage,
  convGeometry,
  type Im2colOptions,
  im2col,
  im2colImage,
} from './ops/im2col';
export { matmul } from './ops/matmul';
export { pad } from './ops/pad';
export {
  type Axis,
  argmax,
  argmin,
  max,
  mean,
  min,
  normalizeAxes,
  type ReduceOptions,
  sum,
  variance,
} from './ops/reduce';
export { Rng, type RngState } from './rng';
export { formatShape, shapesEqual, sizeOf, stridesOf } from './shape';
export { type NestedArray, Tensor } from './tensor';
