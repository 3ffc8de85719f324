export {
  deserializeModel,
  loadModel,
  loadModelInto,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type SerializedModel,
  SOLVER_PREFIX,
  saveModel,
  serializeModel,
} from './checkpoint';
export { type BuiltinModel, createModel, isBuiltinModel, type ModelOptionsByKind } from './create-model';
export {
  FullyConnectedNet,
  type FullyConnectedNetConfig,
  type FullyConnectedNetOptions,
} from './fully-connected-net';
export {
  type LossResult,
  MODEL_KINDS,
  type Model,
  type ModelKind,
  type ModelState,
} from './model';
export {
  ThreeLayerConvNet,
  type ThreeLayerConvNetConfig,
  type ThreeLayerConvNetOptions,
} from './three-layer-convnet';
export { TwoLayerNet, type TwoLayerNetConfig, type TwoLayerNetOptions } from './two-layer-net';
