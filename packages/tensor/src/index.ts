export { Tensor, type NestedArray } from './tensor';
export { type DType, type FloatArray, DTYPES, allocate, dtypeOf, bytesPerElement } from './dtype';
export { sizeOf, stridesOf, formatShape, shapesEqual } from './shape';
export { BackpropError, ShapeError, DTypeError, ValueError, FormatError } from './errors';
export {
  checkTensor,
  checkShape,
  checkRank,
  checkSameDType,
  checkDType,
  checkNumber,
  checkOneOf,
  checkLabels,
  describe,
  type DimSpec,
  type NumberRule,
  type Labels,
} from './check';
export { Rng, type RngState } from './rng';
export { tensor, zeros, ones, full, linspace, arange, randn, rand, type TensorOptions, type RandomOptions } from './create';
export { gemm, setGemmBackend, getGemmBackend, type GemmOptions, type GemmBackend } from './kernels/gemm';
export { matmul } from './ops/matmul';
