// Solver options: the CS231n keyword arguments in camelCase, their defaults (written once, here), and
// the up-front validation that names the option at fault.
import { type OptimConfig, optimizers, type UpdateRule, type UpdateRuleName } from '@backprop/optim';
import {
  checkNumber,
  checkTensor,
  describe,
  formatShape,
  ShapeError,
  type Tensor,
  ValueError,
} from '@backprop/tensor';

/**
 * Writes one epoch-end checkpoint. Synchronous, so `train()` stays synchronous and a crash never
 * leaves a write in flight; for asynchronous storage (IndexedDB, fetch) listen to the 'checkpoint' event.
 * `@backprop/solver/node` has `fileCheckpointWriter()`, which writes files atomically.
 */
export type CheckpointWriter = (name: string, bytes: Uint8Array) => void;

/** Extra entries a caller stores in every checkpoint (e.g. the experiment config, the training mean image). */
export interface CheckpointExtra {
  /** Extra metadata strings; keys must not clash with the model's or the solver's own keys. */
  metadata?: Record<string, string>;
  /** Extra tensors, stored as `solver/extra/<name>` so `loadModel` ignores them. */
  tensors?: Record<string, Tensor>;
}

export interface SolverOptions {
  /** A built-in rule name ('sgd', 'sgdMomentum', 'rmsprop', 'adam') or an update function. Default 'sgd'. */
  updateRule?: UpdateRuleName | UpdateRule;
  /** Hyperparameters handed to the update rule; each parameter gets its own shallow copy. Default {}. */
  optimConfig?: OptimConfig;
  /** The learning rate is multiplied by this at each epoch end, in (0, 1]. Default 1. */
  lrDecay?: number;
  /** Minibatch size (sampled with replacement). Default 100. */
  batchSize?: number;
  /** Default 10. */
  numEpochs?: number;
  /** Training examples subsampled (with replacement) for each train-accuracy check; null = all. Default 1000. */
  numTrainSamples?: number | null;
  /** Validation examples subsampled for each val-accuracy check; null = all (the default). */
  numValSamples?: number | null;
  /** When set, a checkpoint named `${checkpointName}_epoch_${epoch}.safetensors` is made at each epoch end. */
  checkpointName?: string | null;
  /** Where epoch-end checkpoints go (besides the 'checkpoint' event). Default: nowhere. */
  checkpointWriter?: CheckpointWriter | null;
  /** Stored in every checkpoint this solver makes. */
  checkpointExtra?: CheckpointExtra | null;
  /** Print the loss every this many iterations when verbose. Default 10. */
  printEvery?: number;
  /** Print progress through `logger`. Default true. */
  verbose?: boolean;
  /** Where verbose lines go. Default console.log. */
  logger?: (line: string) => void;
  /** Seeds the minibatch and accuracy-subsample sampling. Default 0. */
  seed?: number;
}

/** Options with every default filled in. */
export interface ResolvedSolverOptions {
  updateRule: UpdateRuleName | UpdateRule;
  optimConfig: OptimConfig;
  lrDecay: number;
  batchSize: number;
  numEpochs: number;
  numTrainSamples: number | null;
  numValSamples: number | null;
  checkpointName: string | null;
  checkpointWriter: CheckpointWriter | null;
  checkpointExtra: CheckpointExtra | null;
  printEvery: number;
  verbose: boolean;
  logger: (line: string) => void;
  seed: number;
}

/** The training and validation data. Labels are integers in [0, numClasses). */
export interface SolverData {
  /** Training inputs, shape [N, ...] (e.g. [N, D] or [N, C, H, W]). */
  XTrain: Tensor;
  /** Training labels, length N. */
  yTrain: ArrayLike<number>;
  /** Validation inputs, shape [NVal, ...] with the same trailing shape as XTrain. */
  XVal: Tensor;
  /** Validation labels, length NVal. */
  yVal: ArrayLike<number>;
}

export const SOLVER_OPTION_DEFAULTS = {
  updateRule: 'sgd',
  lrDecay: 1,
  batchSize: 100,
  numEpochs: 10,
  numTrainSamples: 1000,
  numValSamples: null,
  checkpointName: null,
  printEvery: 10,
  verbose: true,
  seed: 0,
} as const;

const OPTION_NAMES: readonly (keyof SolverOptions)[] = [
  'updateRule',
  'optimConfig',
  'lrDecay',
  'batchSize',
  'numEpochs',
  'numTrainSamples',
  'numValSamples',
  'checkpointName',
  'checkpointWriter',
  'checkpointExtra',
  'printEvery',
  'verbose',
  'logger',
  'seed',
];

/** Looks up a rule name, or accepts a function. */
export function resolveUpdateRule(fn: string, rule: unknown): UpdateRule {
  if (typeof rule === 'function') return rule as UpdateRule;
  if (typeof rule === 'string' && Object.hasOwn(optimizers, rule)) return optimizers[rule as UpdateRuleName];
  const names = Object.keys(optimizers)
    .map((n) => `'${n}'`)
    .join(', ');
  throw new ValueError(
    fn,
    'options.updateRule',
    `must be one of ${names} or an update function, got ${describe(rule)}`,
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Fills defaults and validates every option; unknown keys are errors (as CS231n's `Unrecognized arguments`). */
export function resolveOptions(fn: string, options: unknown): ResolvedSolverOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options))
    throw new ValueError(fn, 'options', `must be an object, got ${describe(options)}`);
  const o = options as SolverOptions;
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.includes(key as keyof SolverOptions)) {
      throw new ValueError(
        fn,
        'options',
        `has unrecognized option '${key}'; expected any of ${OPTION_NAMES.join(', ')}`,
      );
    }
  }
  const d = SOLVER_OPTION_DEFAULTS;
  const updateRule = o.updateRule ?? d.updateRule;
  resolveUpdateRule(fn, updateRule);
  const optimConfig = o.optimConfig ?? {};
  if (!isPlainObject(optimConfig)) {
    throw new ValueError(fn, 'options.optimConfig', `must be an object, got ${describe(optimConfig)}`);
  }
  if ((optimConfig as { learningRate?: unknown }).learningRate !== undefined) {
    checkNumber(
      fn,
      'options.optimConfig.learningRate',
      (optimConfig as { learningRate?: unknown }).learningRate,
      {
        greaterThan: 0,
      },
    );
  }
  const lrDecay = checkNumber(fn, 'options.lrDecay', o.lrDecay ?? d.lrDecay, { greaterThan: 0, max: 1 });
  const batchSize = checkNumber(fn, 'options.batchSize', o.batchSize ?? d.batchSize, {
    integer: true,
    min: 1,
  });
  const numEpochs = checkNumber(fn, 'options.numEpochs', o.numEpochs ?? d.numEpochs, {
    integer: true,
    min: 1,
  });
  const numTrainSamples = o.numTrainSamples === undefined ? d.numTrainSamples : o.numTrainSamples;
  if (numTrainSamples !== null) {
    checkNumber(fn, 'options.numTrainSamples', numTrainSamples, { integer: true, min: 1 });
  }
  const numValSamples = o.numValSamples === undefined ? d.numValSamples : o.numValSamples;
  if (numValSamples !== null)
    checkNumber(fn, 'options.numValSamples', numValSamples, { integer: true, min: 1 });
  const checkpointName = o.checkpointName ?? d.checkpointName;
  if (checkpointName !== null && (typeof checkpointName !== 'string' || checkpointName === '')) {
    throw new ValueError(
      fn,
      'options.checkpointName',
      `must be a non-empty string or null, got ${describe(checkpointName)}`,
    );
  }
  const checkpointWriter = o.checkpointWriter ?? null;
  if (checkpointWriter !== null && typeof checkpointWriter !== 'function') {
    throw new ValueError(
      fn,
      'options.checkpointWriter',
      `must be a function or null, got ${describe(checkpointWriter)}`,
    );
  }
  const checkpointExtra = o.checkpointExtra ?? null;
  if (checkpointExtra !== null) checkCheckpointExtra(fn, 'options.checkpointExtra', checkpointExtra);
  const printEvery = checkNumber(fn, 'options.printEvery', o.printEvery ?? d.printEvery, {
    integer: true,
    min: 1,
  });
  const verbose = o.verbose ?? d.verbose;
  if (typeof verbose !== 'boolean') {
    throw new ValueError(fn, 'options.verbose', `must be true or false, got ${describe(verbose)}`);
  }
  const logger = o.logger ?? ((line: string) => console.log(line));
  if (typeof logger !== 'function')
    throw new ValueError(fn, 'options.logger', `must be a function, got ${describe(logger)}`);
  const seed = checkNumber(fn, 'options.seed', o.seed ?? d.seed, { integer: true });
  return {
    updateRule,
    optimConfig: { ...optimConfig } as OptimConfig,
    lrDecay,
    batchSize,
    numEpochs,
    numTrainSamples,
    numValSamples,
    checkpointName,
    checkpointWriter,
    checkpointExtra,
    printEvery,
    verbose,
    logger,
    seed,
  };
}

/** Validates a CheckpointExtra's shape (names and value types). */
export function checkCheckpointExtra(
  fn: string,
  arg: string,
  extra: unknown,
): asserts extra is CheckpointExtra {
  if (!isPlainObject(extra)) throw new ValueError(fn, arg, `must be an object, got ${describe(extra)}`);
  const { metadata, tensors, ...rest } = extra as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined)
    throw new ValueError(fn, arg, `has unrecognized key '${unknownKey}'; expected metadata, tensors`);
  if (metadata !== undefined) {
    if (!isPlainObject(metadata))
      throw new ValueError(fn, `${arg}.metadata`, `must be an object, got ${describe(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new ValueError(fn, `${arg}.metadata.${k}`, `must be a string, got ${describe(v)}`);
    }
  }
  if (tensors !== undefined) {
    if (!isPlainObject(tensors))
      throw new ValueError(fn, `${arg}.tensors`, `must be an object, got ${describe(tensors)}`);
    for (const [k, v] of Object.entries(tensors)) checkTensor(fn, `${arg}.tensors.${k}`, v);
  }
}

/** What the solver learns about the data up front. */
export interface DataFacts {
  numTrain: number;
  numVal: number;
  /** The shape of one example (XTrain's shape without N). */
  sampleShape: number[];
}

/**
 * Validates the data against the model: tensors of rank >= 2 with matching trailing shapes,
 * at least one example each, and labels that are integers in [0, numClasses).
 */
export function checkData(
  fn: string,
  data: unknown,
  numClassesOf: (x: Tensor) => number,
): DataFacts & { numClasses: number } {
  if (!isPlainObject(data))
    throw new ValueError(
      fn,
      'data',
      `must be an object { XTrain, yTrain, XVal, yVal }, got ${describe(data)}`,
    );
  const { XTrain, yTrain, XVal, yVal } = data as unknown as SolverData;
  checkTensor(fn, 'data.XTrain', XTrain);
  checkTensor(fn, 'data.XVal', XVal);
  if (XTrain.ndim < 2 || XTrain.shape[0] < 1) {
    throw new ShapeError(
      fn,
      'data.XTrain',
      `has shape ${formatShape(XTrain.shape)}, expected [N, ...] with N >= 1 examples`,
    );
  }
  const sampleShape = XTrain.shape.slice(1);
  const valOk =
    XVal.ndim === XTrain.ndim &&
    XVal.shape[0] >= 1 &&
    sampleShape.every((dim, i) => XVal.shape[i + 1] === dim);
  if (!valOk) {
    throw new ShapeError(
      fn,
      'data.XVal',
      `has shape ${formatShape(XVal.shape)}, expected [NVal, ${sampleShape.join(', ')}] with NVal >= 1 to match XTrain`,
    );
  }
  const numClasses = numClassesOf(XTrain.slice(0, 1));
  checkLabelsFor(fn, 'data.yTrain', yTrain, XTrain.shape[0], numClasses);
  checkLabelsFor(fn, 'data.yVal', yVal, XVal.shape[0], numClasses);
  return { numTrain: XTrain.shape[0], numVal: XVal.shape[0], sampleShape, numClasses };
}

/** Like checkLabels, with a message that names the data set rather than a batch. */
export function checkLabelsFor(fn: string, arg: string, y: unknown, n: number, numClasses: number): void {
  if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<number>).length !== 'number') {
    throw new ValueError(fn, arg, `must be an array of ${n} integer labels, got ${describe(y)}`);
  }
  const labels = y as ArrayLike<number>;
  if (labels.length !== n)
    throw new ValueError(fn, arg, `has ${labels.length} labels, expected ${n} to match the inputs`);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new ValueError(
        fn,
        `${arg}[${i}]`,
        `is ${describe(c)}, expected an integer label in [0, ${numClasses}) for the model's ${numClasses} classes`,
      );
    }
  }
}
