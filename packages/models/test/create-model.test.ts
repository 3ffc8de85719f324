import { ValueError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import {
  createModel,
  FullyConnectedNet,
  isBuiltinModel,
  MODEL_KINDS,
  ThreeLayerConvNet,
  TwoLayerNet,
} from '../src/index';
import { expectError } from './helpers';

describe('createModel', () => {
  it('builds the class of each kind from its options, equal to calling the constructor', () => {
    const two = createModel('two-layer', { inputDim: 4, hiddenDim: 3, numClasses: 2, seed: 9 });
    expect(two).toBeInstanceOf(TwoLayerNet);
    expect(Array.from(two.params.W1.data)).toEqual(
      Array.from(new TwoLayerNet({ inputDim: 4, hiddenDim: 3, numClasses: 2, seed: 9 }).params.W1.data),
    );
    const fc = createModel('fc', { hiddenDims: [3], inputDim: 4, numClasses: 2, normalization: 'layernorm' });
    expect(fc).toBeInstanceOf(FullyConnectedNet);
    expect(fc.config).toMatchObject({ hiddenDims: [3], normalization: 'layernorm' });
    const conv = createModel('convnet', { inputDim: [1, 4, 4], numFilters: 2, filterSize: 3, hiddenDim: 3 });
    expect(conv).toBeInstanceOf(ThreeLayerConvNet);
    expect(MODEL_KINDS.map((k) => k)).toEqual(['two-layer', 'fc', 'convnet']);
  });

  it("rebuilds a model from another's config (what a checkpoint records)", () => {
    const model = new FullyConnectedNet({
      hiddenDims: [5, 4],
      inputDim: 3,
      numClasses: 2,
      dropout: 0.5,
      seed: 7,
    });
    const again = createModel(model.kind, JSON.parse(JSON.stringify(model.config)));
    expect(again.config).toEqual(model.config);
    expect(Array.from(again.params.W2.data)).toEqual(Array.from(model.params.W2.data));
  });

  it('rejects an unknown kind and options that are not an object; the constructors check the rest', () => {
    expectError(
      () => createModel('mlp' as never, {} as never),
      ValueError,
      "createModel: kind must be one of 'two-layer', 'fc', 'convnet', got 'mlp'",
    );
    expectError(
      () => createModel('fc', null as never),
      ValueError,
      'createModel: options must be an object, got null',
    );
    expectError(
      () => createModel('convnet', { filterSize: 2 }),
      ValueError,
      'ThreeLayerConvNet: options.filterSize must be odd so that padding (filterSize-1)/2 keeps the input size, got 2',
    );
  });
});

describe('isBuiltinModel', () => {
  it('is true for the three model classes only', () => {
    expect(isBuiltinModel(new TwoLayerNet({ inputDim: 2, hiddenDim: 2, numClasses: 2 }))).toBe(true);
    expect(isBuiltinModel(new ThreeLayerConvNet({ inputDim: [1, 2, 2], numFilters: 1, filterSize: 1 }))).toBe(
      true,
    );
    expect(isBuiltinModel({ params: {}, loss: () => null, kind: 'fc', config: {} })).toBe(false);
    expect(isBuiltinModel(null)).toBe(false);
  });
});
