export { type AffineBackwardOptions, type AffineCache, affineBackward, affineForward } from './affine';
export {
  type BatchnormCache,
  type BatchnormParam,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type NormGrads,
  type NormMode,
} from './batchnorm';
export { type ConvBackwardOptions, type ConvCache, convBackward, convForward } from './conv/fast';
export { type ConvNaiveCache, type ConvParam, convBackwardNaive, convForwardNaive } from './conv/naive';
export { type DropoutCache, type DropoutParam, dropoutBackward, dropoutForward } from './dropout';
export { type LayernormCache, type LayernormParam, layernormBackward, layernormForward } from './layernorm';
export { type MaxPoolCache, maxPoolBackward, maxPoolForward } from './pool/fast';
export {
  type MaxPoolNaiveCache,
  maxPoolBackwardNaive,
  maxPoolForwardNaive,
  type PoolParam,
} from './pool/naive';
export { type ReluCache, reluBackward, reluForward } from './relu';
export {
  type AffineNormReluCache,
  type AffineNormReluGrads,
  type AffineReluCache,
  affineNormReluBackward,
  affineNormReluForward,
  affineReluBackward,
  affineReluForward,
  type ConvBnReluCache,
  type ConvBnReluGrads,
  type ConvReluCache,
  type ConvReluPoolCache,
  convBnReluBackward,
  convBnReluForward,
  convReluBackward,
  convReluForward,
  convReluPoolBackward,
  convReluPoolForward,
  type Normalization,
} from './sandwich';
export {
  type SpatialBatchnormCache,
  spatialBatchnormBackward,
  spatialBatchnormForward,
} from './spatial-batchnorm';
export {
  type GroupnormParam,
  type SpatialGroupnormCache,
  spatialGroupnormBackward,
  spatialGroupnormForward,
} from './spatial-groupnorm';
