import type { Model } from '@backprop/models';
import { DTypeError, ShapeError, type Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, test } from 'vitest';
import { SOLVER_OPTION_DEFAULTS, Solver, type SolverOptions } from '../src';
import { overfitData, SoftmaxRegression } from './helpers';

const data = overfitData(20, [3], 2, 1);
const make = (options: unknown, d: unknown = data, model: unknown = new SoftmaxRegression(3, 2)) =>
  new Solver(model as Model, d as typeof data, options as SolverOptions);

describe('Solver options', () => {
  test('defaults are CS231n’s', () => {
    const solver = make({ logger: () => {} });
    expect(solver.options).toMatchObject({
      updateRule: 'sgd',
      optimConfig: {},
      lrDecay: 1,
      batchSize: 100,
      numEpochs: 10,
      numTrainSamples: 1000,
      numValSamples: null,
      checkpointName: null,
      checkpointWriter: null,
      printEvery: 10,
      verbose: true,
      seed: 0,
    });
    expect(SOLVER_OPTION_DEFAULTS.batchSize).toBe(100);
    expect(Object.isFrozen(solver.options)).toBe(true);
  });

  test('every bad option throws a ValueError naming it', () => {
    const cases: [unknown, string][] = [
      [{ batchSize: 0 }, 'Solver: options.batchSize must be an integer >= 1, got 0'],
      [{ batchSize: 2.5 }, 'Solver: options.batchSize must be an integer >= 1, got 2.5'],
      [{ numEpochs: 0 }, 'Solver: options.numEpochs must be an integer >= 1, got 0'],
      [{ lrDecay: 0 }, 'Solver: options.lrDecay must be a finite number in (0, 1], got 0'],
      [{ lrDecay: 1.5 }, 'Solver: options.lrDecay must be a finite number in (0, 1], got 1.5'],
      [{ numTrainSamples: 0 }, 'Solver: options.numTrainSamples must be an integer >= 1, got 0'],
      [{ numValSamples: -3 }, 'Solver: options.numValSamples must be an integer >= 1, got -3'],
      [{ printEvery: 0 }, 'Solver: options.printEvery must be an integer >= 1, got 0'],
      [{ seed: 0.5 }, 'Solver: options.seed must be an integer, got 0.5'],
      [{ verbose: 'yes' }, "Solver: options.verbose must be true or false, got 'yes'"],
      [{ logger: 3 }, 'Solver: options.logger must be a function, got 3'],
      [{ checkpointName: '' }, "Solver: options.checkpointName must be a non-empty string or null, got ''"],
      [
        { checkpointWriter: 'disk' },
        "Solver: options.checkpointWriter must be a function or null, got 'disk'",
      ],
      [
        { checkpointExtra: { tensors: { mean: [1] } } },
        'Solver: options.checkpointExtra.tensors.mean must be a Tensor, got an array',
      ],
      [
        { checkpointExtra: { other: 1 } },
        "Solver: options.checkpointExtra has unrecognized key 'other'; expected metadata, tensors",
      ],
      [{ optimConfig: 3 }, 'Solver: options.optimConfig must be an object, got 3'],
      [
        { optimConfig: { learningRate: -1 } },
        'Solver: options.optimConfig.learningRate must be a finite number > 0, got -1',
      ],
      [
        { updateRule: 'nesterov' },
        "Solver: options.updateRule must be one of 'sgd', 'sgdMomentum', 'rmsprop', 'adam' or an update function, got 'nesterov'",
      ],
      [
        { learning_rate: 1 },
        "Solver: options has unrecognized option 'learning_rate'; expected any of updateRule, optimConfig, lrDecay, batchSize, numEpochs, numTrainSamples, numValSamples, checkpointName, checkpointWriter, checkpointExtra, printEvery, verbose, logger, seed",
      ],
      ['fast', "Solver: options must be an object, got 'fast'"],
    ];
    for (const [options, message] of cases) {
      expect(() => make(options)).toThrow(ValueError);
      expect(() => make(options)).toThrow(message);
    }
  });

  test('an update function is accepted as the rule', () => {
    const calls: string[] = [];
    const solver = make({
      verbose: false,
      batchSize: 5,
      updateRule: (w: Tensor, _dw: Tensor, config = {}) => {
        calls.push(w.shape.join('x'));
        return { nextW: w, config };
      },
    });
    solver.step();
    expect(calls).toEqual(['3x2', '2']);
  });
});

describe('Solver data and model checks', () => {
  test('bad data throws naming the field', () => {
    const X3 = zeros([20, 3], 'float64');
    const cases: [unknown, string, typeof ValueError][] = [
      [null, 'Solver: data must be an object { XTrain, yTrain, XVal, yVal }, got null', ValueError],
      [{ ...data, XTrain: [[1]] }, 'Solver: data.XTrain must be a Tensor, got an array', ValueError],
      [
        { ...data, XTrain: zeros([20]) },
        'Solver: data.XTrain has shape [20], expected [N, ...] with N >= 1 examples',
        ShapeError,
      ],
      [
        { ...data, XTrain: zeros([0, 3]), yTrain: [] },
        'Solver: data.XTrain has shape [0,3], expected [N, ...] with N >= 1 examples',
        ShapeError,
      ],
      [
        { ...data, XVal: zeros([5, 4]) },
        'Solver: data.XVal has shape [5,4], expected [NVal, 3] with NVal >= 1 to match XTrain',
        ShapeError,
      ],
      [
        { ...data, XTrain: X3, yTrain: [0, 1] },
        'Solver: data.yTrain has 2 labels, expected 20 to match the inputs',
        ValueError,
      ],
      [
        { ...data, yVal: Int32Array.from({ length: 20 }, (_, i) => (i === 4 ? 2 : 0)) },
        "Solver: data.yVal[4] is 2, expected an integer label in [0, 2) for the model's 2 classes",
        ValueError,
      ],
      [
        { ...data, yTrain: 'abc' },
        "Solver: data.yTrain must be an array of 20 integer labels, got 'abc'",
        ValueError,
      ],
    ];
    for (const [d, message, cls] of cases) {
      expect(() => make({ verbose: false }, d)).toThrow(cls);
      expect(() => make({ verbose: false }, d)).toThrow(message);
    }
  });

  test('inputs of another dtype than the parameters are converted as batches are gathered', () => {
    const d32 = overfitData(20, [3], 2, 1, 'float32');
    const a = make({ verbose: false, batchSize: 5, numEpochs: 2 }, d32);
    const b = make(
      { verbose: false, batchSize: 5, numEpochs: 2 },
      { ...d32, XTrain: d32.XTrain.astype('float64'), XVal: d32.XVal.astype('float64') },
    );
    a.train();
    b.train();
    expect(a.lossHistory).toEqual(b.lossHistory);
  });

  test('a bad model throws naming the part', () => {
    const good = new SoftmaxRegression(3, 2);
    const cases: [unknown, string, typeof ValueError][] = [
      [null, 'Solver: model must be a Model, got null', ValueError],
      [{ params: good.params }, 'Solver: model.loss must be a function, got undefined', ValueError],
      [{ params: {}, loss: () => 0 }, 'Solver: model.params is empty: there is nothing to train', ValueError],
      [
        { params: { W: [1] }, loss: () => 0 },
        'Solver: model.params.W must be a Tensor, got an array',
        ValueError,
      ],
      [
        { params: { W: zeros([3, 2], 'float64'), b: zeros([2], 'float32') }, loss: () => 0 },
        'Solver: model.params.b has dtype float32, expected float64 to match model.params.W',
        DTypeError,
      ],
      [
        { params: good.params, loss: () => tensor([1, 2]) },
        'Solver: model.loss returned a float32 Tensor of shape [2] for one example, expected scores of shape [1, C]',
        ShapeError,
      ],
    ];
    for (const [model, message, cls] of cases) {
      expect(() => make({ verbose: false }, data, model)).toThrow(cls);
      expect(() => make({ verbose: false }, data, model)).toThrow(message);
    }
  });

  test('gradients missing or mis-shaped are reported by name', () => {
    const model = new SoftmaxRegression(3, 2);
    model.onLoss = (result) => ({ loss: result.loss, grads: { W: result.grads.W } });
    const solver = make({ verbose: false, batchSize: 5 }, data, model);
    expect(() => solver.step()).toThrow(ShapeError);
    expect(() => solver.step()).toThrow(
      'Solver.step: grads.b is undefined, expected a Tensor of shape [2] like params.b',
    );
  });
});
