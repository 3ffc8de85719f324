// From raw bytes (or a toy set's name) to the tensors a Solver trains on, the same way for the CLI
// and the playground: pixels scaled to [0, 1], the train/val split, the mean of the TRAIN split
// subtracted from every split (CS231n's get_CIFAR10_data), flattened for the fully-connected models.
import {
  generateToy,
  type ImageDataset,
  meanImage,
  type RawDataset,
  subtractMean,
  toFloatNCHW,
  trainValSplit,
} from '@backprop/data';
import { FormatError, type Tensor, ValueError } from '@backprop/tensor';
import { type ExperimentConfig, experimentSeeds, validateExperiment } from './config';

/** The splits a run trains, validates and tests on, ready for the model the config describes. */
export interface PreparedData {
  /** `[N, D]` for 'fc' and 'two-layer', `[N, C, H, W]` for 'convnet'; mean-subtracted. */
  XTrain: Tensor;
  yTrain: Int32Array;
  XVal: Tensor;
  yVal: Int32Array;
  XTest: Tensor;
  yTest: Int32Array;
  /** The shape of one example before flattening: `[C, H, W]` for images, `[2]` for toy sets. */
  inputShape: number[];
  numClasses: number;
  classNames: string[];
  /**
   * The mean of the training split, shape `inputShape`, already subtracted from all three splits.
   * Subtract it from any new input (a drawn digit, a decision-boundary grid) before `model.loss`.
   */
  mean: Tensor;
}

/**
 * Turns a raw dataset into train / val / test tensors as `config` asks.
 * - Image sets: bytes to floats in [0, 1] (dtype `config.model.dtype`), NCHW; the LAST
 *   `config.data.numVal` training images are the validation split (as CS231n takes rows
 *   [49000, 50000)); `config.data.numTrain` caps the rest; the test split is used whole.
 * - Toy sets (`raw.kind === 'toy'`): `config.data.numPoints` points generated with `config.seed`
 *   (shuffled); `round(numPoints * testFraction)` are the test split, the validation split takes
 *   `min(numVal, that many)` of the rest, so one `numVal` default suits both kinds of data.
 * Then the mean of the training split is subtracted from all splits, and the splits are flattened
 * to `[N, D]` unless the model is the convnet.
 * @throws ValueError when `raw` does not match `config.data.dataset`, or `numVal` leaves no training data
 */
export function prepareData(config: ExperimentConfig, raw: RawDataset): PreparedData {
  const fn = 'prepareData';
  validateExperiment(config, fn);
  if (raw === null || typeof raw !== 'object' || (raw.kind !== 'images' && raw.kind !== 'toy')) {
    throw new ValueError(
      fn,
      'raw',
      "must be a RawDataset ({ kind: 'images' | 'toy', … }) from @backprop/data",
    );
  }
  const dataset = config.data.dataset;
  if (raw.name !== dataset) {
    throw new ValueError(
      fn,
      'raw',
      `is the '${raw.name}' dataset, expected '${dataset}' as config.data.dataset says`,
    );
  }
  const splits = raw.kind === 'toy' ? toySplits(config) : imageSplits(config, raw);
  const mean = meanImage(splits.XTrain);
  // The splits are views of buffers made here, so the mean is subtracted in place: no second copy.
  for (const buffer of splits.buffers) subtractMean(buffer, mean, { inPlace: true });
  const flatten = config.model.type !== 'convnet';
  const finish = (X: Tensor): Tensor => (flatten ? X.reshape([X.shape[0], -1]) : X);
  return {
    XTrain: finish(splits.XTrain),
    yTrain: splits.yTrain,
    XVal: finish(splits.XVal),
    yVal: splits.yVal,
    XTest: finish(splits.XTest),
    yTest: splits.yTest,
    inputShape: [...splits.XTrain.shape.slice(1)],
    numClasses: splits.classNames.length,
    classNames: splits.classNames,
    mean,
  };
}

interface Splits {
  XTrain: Tensor;
  yTrain: Int32Array;
  XVal: Tensor;
  yVal: Int32Array;
  XTest: Tensor;
  yTest: Int32Array;
  classNames: string[];
  /** The freshly made tensors the splits are views of. */
  buffers: Tensor[];
}

function imageSplits(config: ExperimentConfig, raw: ImageDataset): Splits {
  const fn = 'prepareData';
  const { numVal, numTrain } = config.data;
  const dtype = config.model.dtype;
  const [C, H, W] = raw.imageShape;
  if (raw.train.count <= numVal) {
    throw new ValueError(
      fn,
      'config.data.numVal',
      `must be < ${raw.train.count} (the training images of '${raw.name}'), got ${numVal}`,
    );
  }
  if (raw.train.labels.length !== raw.train.count || raw.test.labels.length !== raw.test.count) {
    throw new FormatError(fn, 'raw', `has label counts that do not match its image counts`);
  }
  const XAll = toFloatNCHW(raw.train.images, [raw.train.count, C, H, W], { dtype });
  const XTest = toFloatNCHW(raw.test.images, [raw.test.count, C, H, W], { dtype });
  const yAll = Int32Array.from(raw.train.labels);
  const split = trainValSplit(XAll, yAll, numVal);
  const keep = numTrain === undefined ? split.XTrain.shape[0] : Math.min(numTrain, split.XTrain.shape[0]);
  return {
    XTrain: split.XTrain.slice(0, keep),
    yTrain: split.yTrain.slice(0, keep),
    XVal: split.XVal,
    yVal: split.yVal,
    XTest,
    yTest: Int32Array.from(raw.test.labels),
    classNames: [...raw.classNames],
    buffers: [XAll, XTest],
  };
}

function toySplits(config: ExperimentConfig): Splits {
  const { dataset, numPoints, classes, noise, testFraction, numVal, numTrain } = config.data;
  const kind = dataset as 'spiral' | 'circles' | 'xor' | 'gaussian';
  const numClasses = kind === 'xor' ? 2 : classes;
  const { X, y } = generateToy(kind, {
    n: numPoints,
    classes: numClasses,
    noise,
    seed: experimentSeeds(config).data,
    dtype: config.model.dtype,
  });
  const numTest = Math.max(1, Math.round(numPoints * testFraction));
  const val = Math.min(numVal, numTest);
  const rest = numPoints - numTest - val;
  const keep = numTrain === undefined ? rest : Math.min(numTrain, rest);
  return {
    XTrain: X.slice(0, keep),
    yTrain: y.slice(0, keep),
    XVal: X.slice(rest, rest + val),
    yVal: y.slice(rest, rest + val),
    XTest: X.slice(rest + val, numPoints),
    yTest: y.slice(rest + val, numPoints),
    classNames: Array.from({ length: numClasses }, (_, k) => `class ${k}`),
    buffers: [X],
  };
}
