// The model and the Solver an experiment config describes. The CLI and the playground both build
// through here, so the same config trains the same network the same way everywhere.
import { FullyConnectedNet, type Model, ThreeLayerConvNet, TwoLayerNet } from '@backprop/models';
import { Solver, type SolverOptions } from '@backprop/solver';
import { checkNumber, ShapeError, ValueError } from '@backprop/tensor';
import { type ExperimentConfig, experimentSeeds, validateExperiment } from './config';
import type { PreparedData } from './prepare';

/**
 * The model of `config.model` for inputs of `inputShape` (one example: `[D]`, or `[C, H, W]`).
 * - 'fc': FullyConnectedNet(hiddenDims, normalization ('none' is null), dropout, reg, weightScale, dtype)
 * - 'two-layer': TwoLayerNet(hiddenDim, reg, weightScale, dtype)
 * - 'convnet': ThreeLayerConvNet(numFilters, filterSize, hiddenDim, reg, weightScale, dtype); needs `[C, H, W]`
 * @param inputShape - `PreparedData.inputShape`
 * @param numClasses - `PreparedData.numClasses`
 * @throws ShapeError when the convnet gets a non-image input shape
 */
export function buildModel(
  config: ExperimentConfig,
  inputShape: readonly number[],
  numClasses: number,
): Model {
  const fn = 'buildModel';
  validateExperiment(config, fn);
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    throw new ValueError(fn, 'inputShape', 'must be a non-empty array of dimensions, e.g. [1, 28, 28]');
  }
  inputShape.forEach((d, i) => {
    checkNumber(fn, `inputShape[${i}]`, d, { integer: true, min: 1 });
  });
  checkNumber(fn, 'numClasses', numClasses, { integer: true, min: 2 });
  const m = config.model;
  const seed = experimentSeeds(config).model;
  const inputDim = inputShape.reduce((a, b) => a * b, 1);
  switch (m.type) {
    case 'fc':
      return new FullyConnectedNet({
        hiddenDims: [...m.hiddenDims],
        inputDim,
        numClasses,
        dropout: m.dropout,
        normalization: m.normalization === 'none' ? null : m.normalization,
        reg: m.reg,
        weightScale: m.weightScale,
        dtype: m.dtype,
        seed,
      });
    case 'two-layer':
      return new TwoLayerNet({
        inputDim,
        hiddenDim: m.hiddenDim,
        numClasses,
        reg: m.reg,
        weightScale: m.weightScale,
        dtype: m.dtype,
        seed,
      });
    case 'convnet': {
      if (inputShape.length !== 3) {
        throw new ShapeError(
          fn,
          'inputShape',
          `is [${inputShape.join(',')}], expected [C, H, W]: model.type 'convnet' needs image data`,
        );
      }
      return new ThreeLayerConvNet({
        inputDim: [inputShape[0], inputShape[1], inputShape[2]],
        numFilters: m.numFilters,
        filterSize: m.filterSize,
        hiddenDim: m.hiddenDim,
        numClasses,
        reg: m.reg,
        weightScale: m.weightScale,
        dtype: m.dtype,
        seed,
      });
    }
  }
}

/**
 * A Solver for `model` on the train and val splits of `data`, with `config.solver`'s options
 * (`learningRate` and `momentum` go into `optimConfig`) and a seed derived from `config.seed`.
 * `verbose` is off: callers subscribe to the Solver's events to show progress.
 * @param extra - Solver options that override the config's (e.g. `{ checkpointName, verbose: true }`)
 */
export function buildSolver(
  config: ExperimentConfig,
  model: Model,
  data: PreparedData,
  extra: Partial<SolverOptions> = {},
): Solver {
  validateExperiment(config, 'buildSolver');
  const s = config.solver;
  const optimConfig: Record<string, number> = { learningRate: s.learningRate };
  if (s.momentum !== undefined) optimConfig.momentum = s.momentum;
  const options: SolverOptions = {
    updateRule: s.updateRule,
    optimConfig,
    lrDecay: s.lrDecay,
    batchSize: s.batchSize,
    numEpochs: s.numEpochs,
    numTrainSamples: s.numTrainSamples,
    numValSamples: s.numValSamples,
    printEvery: s.printEvery,
    verbose: false,
    seed: experimentSeeds(config).solver,
    ...extra,
  };
  return new Solver(
    model,
    { XTrain: data.XTrain, yTrain: data.yTrain, XVal: data.XVal, yVal: data.yVal },
    options,
  );
}
