import { toyDataset } from '@backprop/data';
import { FullyConnectedNet, ThreeLayerConvNet, TwoLayerNet } from '@backprop/models';
import { Solver } from '@backprop/solver';
import { ShapeError, ValueError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { buildModel, buildSolver, type ExperimentPatch, parseExperiment, prepareData } from '../src/index';
import { expectError } from './helpers';

describe('buildModel', () => {
  it('builds the fc net with the configured layers, normalization and dtype', () => {
    const config = parseExperiment({
      model: { type: 'fc', hiddenDims: [7, 5], normalization: 'layernorm', dtype: 'float64' },
    });
    const model = buildModel(config, [1, 4, 4], 3);
    expect(model).toBeInstanceOf(FullyConnectedNet);
    expect(model.params.W1.shape).toEqual([16, 7]);
    expect(model.params.W2.shape).toEqual([7, 5]);
    expect(model.params.W3.shape).toEqual([5, 3]);
    expect(model.params.gamma1.shape).toEqual([7]);
    expect(model.params.W1.dtype).toBe('float64');
  });

  it("maps normalization 'none' to no gamma/beta", () => {
    const model = buildModel(parseExperiment({ model: { hiddenDims: [4], normalization: 'none' } }), [2], 2);
    expect(Object.keys(model.params).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
  });

  it('builds the two-layer net and the convnet', () => {
    const two = buildModel(parseExperiment({ model: { type: 'two-layer', hiddenDim: 9 } }), [2], 4);
    expect(two).toBeInstanceOf(TwoLayerNet);
    expect(two.params.W1.shape).toEqual([2, 9]);
    expect(two.params.W2.shape).toEqual([9, 4]);
    const conv = buildModel(
      parseExperiment({ model: { type: 'convnet', numFilters: 3, filterSize: 3, hiddenDim: 6 } }),
      [1, 8, 8],
      10,
    );
    expect(conv).toBeInstanceOf(ThreeLayerConvNet);
    expect(conv.params.W1.shape).toEqual([3, 1, 3, 3]);
    expect(conv.params.W2.shape).toEqual([3 * 4 * 4, 6]);
  });

  it('draws the same weights from the same seed and others from another', () => {
    const w = (seed: number) =>
      buildModel(parseExperiment({ seed, model: { hiddenDims: [5] } }), [3], 2).params.W1.data;
    expect(w(4)).toEqual(w(4));
    expect(w(4)).not.toEqual(w(5));
  });

  it('scales the initial weights by weightScale', () => {
    const model = buildModel(
      parseExperiment({ model: { hiddenDims: [200], weightScale: 0.5, dtype: 'float64' } }),
      [100],
      2,
    );
    const w = model.params.W1.data;
    let s2 = 0;
    for (const v of w) s2 += v * v;
    expect(Math.sqrt(s2 / w.length)).toBeGreaterThan(0.48);
    expect(Math.sqrt(s2 / w.length)).toBeLessThan(0.52);
  });

  it('rejects a convnet input that is not an image, and bad shapes', () => {
    expectError(
      () => buildModel(parseExperiment({ model: { type: 'convnet' } }), [784], 10),
      ShapeError,
      "buildModel: inputShape is [784], expected [C, H, W]: model.type 'convnet' needs image data",
    );
    expectError(
      () => buildModel(parseExperiment({}), [], 10),
      ValueError,
      'buildModel: inputShape must be a non-empty array of dimensions, e.g. [1, 28, 28]',
    );
    expectError(
      () => buildModel(parseExperiment({}), [2, 0], 10),
      ValueError,
      'buildModel: inputShape[1] must be an integer >= 1, got 0',
    );
    expectError(
      () => buildModel(parseExperiment({}), [2], 1),
      ValueError,
      'buildModel: numClasses must be an integer >= 2, got 1',
    );
  });
});

describe('buildSolver', () => {
  const toy = (patch: ExperimentPatch) => {
    const config = parseExperiment(patch);
    const data = prepareData(config, toyDataset(config.data.dataset as 'spiral'));
    const model = buildModel(config, data.inputShape, data.numClasses);
    return { config, data, model };
  };

  it('hands the config’s options to the Solver', () => {
    const { config, data, model } = toy({
      data: { dataset: 'gaussian' },
      model: { hiddenDims: [16] },
      solver: { updateRule: 'sgdMomentum', learningRate: 0.05, momentum: 0.8, batchSize: 16, numEpochs: 2 },
    });
    const solver = buildSolver(config, model, data);
    expect(solver).toBeInstanceOf(Solver);
    solver.train();
    expect(solver.trainAccHistory.length).toBe(3);
    expect(solver.lossHistory.length).toBe(2 * Math.floor(data.XTrain.shape[0] / 16));
    const cfg = solver.optimConfigs.W1 as Record<string, unknown>;
    expect(cfg.momentum).toBe(0.8);
    expect(cfg.learningRate).toBeCloseTo(0.05 * config.solver.lrDecay ** 2, 12);
  });

  it('trains an fc net on the spiral to high accuracy', () => {
    const { config, data, model } = toy({
      seed: 1,
      data: { dataset: 'spiral', numPoints: 600, noise: 0.05, classes: 3 },
      model: { hiddenDims: [64, 64], normalization: 'none', weightScale: 0.1, reg: 0 },
      solver: { learningRate: 0.01, lrDecay: 1, batchSize: 50, numEpochs: 40, numValSamples: null },
    });
    const solver = buildSolver(config, model, data);
    solver.train();
    expect(solver.bestValAcc).toBeGreaterThan(0.9);
    expect(solver.checkAccuracy(data.XTest, data.yTest)).toBeGreaterThan(0.9);
  });

  it('is reproducible: the same config gives the same loss history', () => {
    const run = () => {
      const { config, data, model } = toy({ data: { dataset: 'xor' }, solver: { numEpochs: 1 } });
      const solver = buildSolver(config, model, data);
      solver.train();
      return solver.lossHistory;
    };
    expect(run()).toEqual(run());
  });

  it('lets extra options override the config', () => {
    const { config, data, model } = toy({ data: { dataset: 'xor' } });
    const solver = buildSolver(config, model, data, { numEpochs: 1, batchSize: 1000 });
    solver.train();
    expect(solver.lossHistory.length).toBe(1);
  });
});
