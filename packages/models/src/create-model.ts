// One place that maps a ModelKind and a config to a model: checkpoints, the CLI and the playground build
// models through it, so a config means the same thing everywhere.
import { checkOneOf, ValueError } from '@backprop/tensor';
import { FullyConnectedNet, type FullyConnectedNetOptions } from './fully-connected-net';
import { MODEL_KINDS, type ModelKind } from './model';
import { ThreeLayerConvNet, type ThreeLayerConvNetOptions } from './three-layer-convnet';
import { TwoLayerNet, type TwoLayerNetOptions } from './two-layer-net';

/** Any of the built-in models: they all have `kind`, `config`, `paramShapes`, `stateShapes`, `getState`, `setState`. */
export type BuiltinModel = TwoLayerNet | FullyConnectedNet | ThreeLayerConvNet;

/** The options each kind's constructor takes. */
export interface ModelOptionsByKind {
  'two-layer': TwoLayerNetOptions;
  fc: FullyConnectedNetOptions;
  convnet: ThreeLayerConvNetOptions;
}

/**
 * Builds a model of `kind` from its options (e.g. a checkpoint's `config`); the constructor validates them.
 * @example createModel('fc', { hiddenDims: [100, 100], inputDim: 784, normalization: 'batchnorm' })
 */
export function createModel<K extends ModelKind>(kind: K, options: ModelOptionsByKind[K]): BuiltinModel {
  checkOneOf('createModel', 'kind', kind, MODEL_KINDS);
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
      'createModel',
      'options',
      `must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  switch (kind) {
    case 'two-layer':
      return new TwoLayerNet(options as TwoLayerNetOptions);
    case 'fc':
      return new FullyConnectedNet(options as FullyConnectedNetOptions);
    default:
      return new ThreeLayerConvNet(options as ThreeLayerConvNetOptions);
  }
}

/** True for instances of the built-in model classes (which checkpoints can save and load). */
export function isBuiltinModel(model: unknown): model is BuiltinModel {
  return (
    model instanceof TwoLayerNet || model instanceof FullyConnectedNet || model instanceof ThreeLayerConvNet
  );
}
