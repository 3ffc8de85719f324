// The experiment config: one schema for everything a training run needs (data, model, solver,
// seed), validated here and nowhere else. The CLI's --config file and flags, and the playground's
// URL, all end in `parseExperiment` / `overrideExperiment`.
import { DATASET_NAMES, type DatasetName, isToyName } from '@backprop/data';
import { describe, ValueError } from '@backprop/tensor';

/** Model families an experiment can build. */
export const MODEL_TYPES = ['fc', 'two-layer', 'convnet'] as const;
/** Normalization layers of the fully-connected net (`'none'` maps to the model's `null`). */
export const NORMALIZATIONS = ['none', 'batchnorm', 'layernorm'] as const;
/** Update rules, spelled as @backprop/optim names them (the CLI spells sgdMomentum `sgd-momentum`). */
export const UPDATE_RULES = ['sgd', 'sgdMomentum', 'rmsprop', 'adam'] as const;
/** Element types of the model's parameters and of the prepared data. */
export const EXPERIMENT_DTYPES = ['float32', 'float64'] as const;

export type ModelType = (typeof MODEL_TYPES)[number];
export type Normalization = (typeof NORMALIZATIONS)[number];
export type UpdateRuleName = (typeof UPDATE_RULES)[number];

/** Which data, and how much of it. */
export interface DataConfig {
  dataset: DatasetName;
  /** Directory of the dataset's files (image sets); default: the embedded subset / the system install. */
  dataDir?: string;
  /** Validation examples held out of the training split (toy sets: at most the test split's size). */
  numVal: number;
  /** Cap on the training examples after the validation split, for quick runs; absent = all. */
  numTrain?: number;
  /** Toy sets: standard deviation of the noise added to each point. */
  noise: number;
  /** Toy sets: points generated in all (train + val + test). */
  numPoints: number;
  /** Toy sets: number of classes (spiral arms, rings, blobs; xor always has 2). */
  classes: number;
  /** Toy sets: fraction of the points held out for test, in (0, 0.4] (validation takes as many at most). */
  testFraction: number;
}

/** The network and its initialisation; fields a model type does not use are ignored by it. */
export interface ModelConfig {
  type: ModelType;
  /** fc: the hidden layers' widths, e.g. [256, 128]; [] is a softmax classifier. */
  hiddenDims: number[];
  /** two-layer and convnet: the width of the hidden affine layer. */
  hiddenDim: number;
  /** fc: normalization after each hidden affine layer. */
  normalization: Normalization;
  /** fc: dropout keep probability in (0, 1]; 1 turns dropout off. */
  dropout: number;
  /** convnet: number of filters of the conv layer. */
  numFilters: number;
  /** convnet: side of the square filters (odd, so 'same' padding keeps the size). */
  filterSize: number;
  /** L2 strength: the loss adds 0.5 * reg * sum(W^2) over weights. */
  reg: number;
  /** Standard deviation of the initial weights. */
  weightScale: number;
  dtype: 'float32' | 'float64';
}

/** The Solver's options. */
export interface SolverConfig {
  updateRule: UpdateRuleName;
  learningRate: number;
  /** sgdMomentum: the momentum (the optimizer's default 0.9 when absent). */
  momentum?: number;
  /** The learning rate is multiplied by lrDecay at every epoch end. */
  lrDecay: number;
  batchSize: number;
  numEpochs: number;
  /** Training examples sampled for the train-accuracy check at each epoch end. */
  numTrainSamples: number;
  /** Validation examples sampled for the val-accuracy check; null = all. */
  numValSamples: number | null;
  /** Progress every printEvery iterations. */
  printEvery: number;
}

/** One training run, reproducible from this object alone. */
export interface ExperimentConfig {
  /** Schema version; always 1. */
  version: 1;
  /** Seeds the data (toy sets), the model's initial weights and the Solver's minibatches. */
  seed: number;
  data: DataConfig;
  model: ModelConfig;
  solver: SolverConfig;
}

/** Any part of a config; what `parseExperiment` and `overrideExperiment` accept. */
export interface ExperimentPatch {
  version?: number;
  seed?: number;
  data?: Partial<DataConfig>;
  model?: Partial<ModelConfig>;
  solver?: Partial<SolverConfig>;
}

/**
 * The defaults, which are also the `pnpm start` job: a fully-connected net [256, 128] with batchnorm
 * trained by Adam on the embedded 10,000-image Fashion-MNIST subset (9,000 train, 1,000 val,
 * 2,000 test) in float32. Toy-set fields hold the playground's defaults.
 */
export const defaultExperiment: ExperimentConfig = deepFreeze({
  version: 1,
  seed: 0,
  data: {
    dataset: 'embedded',
    numVal: 1000,
    noise: 0.1,
    numPoints: 600,
    classes: 3,
    testFraction: 0.2,
  },
  model: {
    type: 'fc',
    hiddenDims: [256, 128],
    hiddenDim: 100,
    normalization: 'batchnorm',
    dropout: 1,
    numFilters: 32,
    filterSize: 7,
    reg: 0.0001,
    weightScale: 0.01,
    dtype: 'float32',
  },
  solver: {
    updateRule: 'adam',
    learningRate: 0.001,
    lrDecay: 0.9,
    batchSize: 100,
    numEpochs: 10,
    numTrainSamples: 1000,
    numValSamples: null,
    printEvery: 100,
  },
} satisfies ExperimentConfig) as ExperimentConfig;

/**
 * Seeds derived from `config.seed`, one per consumer, so the weight initialisation and the
 * minibatch sampling draw from different streams (toy data uses `config.seed` itself).
 */
export function experimentSeeds(config: ExperimentConfig): { data: number; model: number; solver: number } {
  const s = config.seed;
  return { data: s, model: (s + 1) >>> 0, solver: (s + 2) >>> 0 };
}

/** How one field is written and checked; the CLI and the playground can build forms from this table. */
export interface ExperimentField {
  /** Dotted path in the config, e.g. `model.hiddenDims`. */
  path: string;
  /** Short kebab-case name used in URLs (and matching the CLI flag where one exists), e.g. `hidden-dims`. */
  key: string;
  kind: 'integer' | 'number' | 'enum' | 'string' | 'integer-list' | 'integer-or-null';
  /** The allowed values of an enum field. */
  options?: readonly string[];
  /** Optional fields may be absent from a config. */
  optional?: boolean;
  /** What the field must be, as error messages say it. */
  rule: string;
}

type Section = 'data' | 'model' | 'solver';
type Check = (v: unknown) => boolean;

interface FieldDef extends ExperimentField {
  check: Check;
}

/** No lone surrogates: such a string cannot be put in a URL (encodeURIComponent throws). */
const isWellFormed = (s: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const intRange =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    isInt(v) && v >= min && v <= max;

function field(
  path: string,
  key: string,
  kind: ExperimentField['kind'],
  rule: string,
  check: Check,
  extra: Partial<ExperimentField> = {},
): FieldDef {
  return { path, key, kind, rule, check, ...extra };
}

function enumField(path: string, key: string, options: readonly string[]): FieldDef {
  const rule = `one of ${options.map((o) => `'${o}'`).join(', ')}`;
  return field(path, key, 'enum', rule, (v) => options.includes(v as string), { options });
}

const FIELDS: readonly FieldDef[] = [
  field('version', 'v', 'integer', '1 (the only schema version)', (v) => v === 1),
  field('seed', 'seed', 'integer', 'an integer in [0, 4294967295]', intRange(0, 0xffffffff)),
  enumField('data.dataset', 'dataset', DATASET_NAMES),
  field(
    'data.dataDir',
    'data-dir',
    'string',
    'a non-empty string of valid Unicode',
    (v) => typeof v === 'string' && v !== '' && isWellFormed(v),
    {
      optional: true,
    },
  ),
  field('data.numVal', 'num-val', 'integer', 'an integer >= 1', intRange(1)),
  field('data.numTrain', 'num-train', 'integer', 'an integer >= 1', intRange(1), { optional: true }),
  field('data.noise', 'noise', 'number', 'a number in [0, 10]', (v) => isNum(v) && v >= 0 && v <= 10),
  field('data.numPoints', 'points', 'integer', 'an integer in [10, 1000000]', intRange(10, 1_000_000)),
  field('data.classes', 'classes', 'integer', 'an integer in [2, 10]', intRange(2, 10)),
  field(
    'data.testFraction',
    'test-fraction',
    'number',
    'a number > 0 and <= 0.4',
    (v) => isNum(v) && v > 0 && v <= 0.4,
  ),
  enumField('model.type', 'model', MODEL_TYPES),
  field(
    'model.hiddenDims',
    'hidden-dims',
    'integer-list',
    'an array of integers >= 1',
    (v) => Array.isArray(v) && v.every(intRange(1)),
  ),
  field('model.hiddenDim', 'hidden-dim', 'integer', 'an integer >= 1', intRange(1)),
  enumField('model.normalization', 'normalization', NORMALIZATIONS),
  field(
    'model.dropout',
    'dropout',
    'number',
    'a keep probability > 0 and <= 1',
    (v) => isNum(v) && v > 0 && v <= 1,
  ),
  field('model.numFilters', 'num-filters', 'integer', 'an integer >= 1', intRange(1)),
  field(
    'model.filterSize',
    'filter-size',
    'integer',
    'an odd integer >= 1',
    (v) => isInt(v) && v >= 1 && v % 2 === 1,
  ),
  field('model.reg', 'reg', 'number', 'a number >= 0', (v) => isNum(v) && v >= 0),
  field('model.weightScale', 'weight-scale', 'number', 'a number > 0', (v) => isNum(v) && v > 0),
  enumField('model.dtype', 'dtype', EXPERIMENT_DTYPES),
  enumField('solver.updateRule', 'update-rule', UPDATE_RULES),
  field('solver.learningRate', 'learning-rate', 'number', 'a number > 0', (v) => isNum(v) && v > 0),
  field('solver.momentum', 'momentum', 'number', 'a number in [0, 1)', (v) => isNum(v) && v >= 0 && v < 1, {
    optional: true,
  }),
  field('solver.lrDecay', 'lr-decay', 'number', 'a number > 0 and <= 1', (v) => isNum(v) && v > 0 && v <= 1),
  field('solver.batchSize', 'batch-size', 'integer', 'an integer >= 1', intRange(1)),
  field('solver.numEpochs', 'epochs', 'integer', 'an integer >= 1', intRange(1)),
  field('solver.numTrainSamples', 'num-train-samples', 'integer', 'an integer >= 1', intRange(1)),
  field(
    'solver.numValSamples',
    'num-val-samples',
    'integer-or-null',
    'null (all) or an integer >= 1',
    (v) => v === null || intRange(1)(v),
  ),
  field('solver.printEvery', 'print-every', 'integer', 'an integer >= 1', intRange(1)),
];

/** Every field of the config, in a fixed order: path, URL key, kind, rule. */
export const experimentFields: readonly ExperimentField[] = Object.freeze(
  FIELDS.map(({ check: _check, ...rest }) => Object.freeze(rest)),
);

const SECTIONS: readonly Section[] = ['data', 'model', 'solver'];

/**
 * Validates a (partial) config and fills the rest from `defaultExperiment`. Sections merge field by
 * field; arrays (hiddenDims) replace. The input is not modified; the result shares nothing with it.
 * @param input - usually JSON from a --config file: `{ model: { hiddenDims: [100, 100] } }`
 * @throws ValueError naming the full field path, e.g.
 *   `parseExperiment: model.hiddenDims[1] must be an integer >= 1, got 0`; unknown keys are errors too
 */
export function parseExperiment(input: unknown): ExperimentConfig {
  return mergeAndValidate('parseExperiment', defaultExperiment, input);
}

/**
 * `base` with the fields of `patch` replaced (each section field by field), then validated: how the
 * CLI applies its flags on top of a --config file.
 * @throws ValueError naming the full field path, as `parseExperiment`
 */
export function overrideExperiment(base: ExperimentConfig, patch: ExperimentPatch): ExperimentConfig {
  return mergeAndValidate('overrideExperiment', base, patch);
}

/**
 * Throws unless `config` is a complete, valid config (every field present and in range, no unknown
 * key). Returns it unchanged.
 * @throws ValueError naming the full field path
 */
export function validateExperiment(config: unknown, fn = 'validateExperiment'): ExperimentConfig {
  if (!isPlainObject(config))
    throw new ValueError(fn, 'config', `must be an object, got ${describe(config)}`);
  checkKeys(fn, '', config, ['version', 'seed', ...SECTIONS]);
  for (const s of SECTIONS) {
    const section = config[s];
    if (!isPlainObject(section)) throw new ValueError(fn, s, `must be an object, got ${describe(section)}`);
    checkKeys(
      fn,
      `${s}.`,
      section,
      FIELDS.filter((f) => f.path.startsWith(`${s}.`)).map((f) => f.path.slice(s.length + 1)),
    );
  }
  for (const f of FIELDS) {
    const v = getPath(config, f.path);
    if (v === undefined && f.optional) continue;
    if (!f.check(v)) {
      if (f.kind === 'integer-list' && Array.isArray(v)) {
        const bad = v.findIndex((d) => !intRange(1)(d));
        throw new ValueError(fn, `${f.path}[${bad}]`, `must be an integer >= 1, got ${describe(v[bad])}`);
      }
      throw new ValueError(fn, f.path, `must be ${f.rule}, got ${describe(v)}`);
    }
  }
  const c = config as unknown as ExperimentConfig;
  if (c.model.type === 'convnet' && isToyName(c.data.dataset)) {
    throw new ValueError(
      fn,
      'model.type',
      `'convnet' needs an image dataset, got data.dataset '${c.data.dataset}' (2-D points): use 'fc' or 'two-layer'`,
    );
  }
  return c;
}

function mergeAndValidate(fn: string, base: ExperimentConfig, patch: unknown): ExperimentConfig {
  if (!isPlainObject(patch)) throw new ValueError(fn, 'config', `must be an object, got ${describe(patch)}`);
  checkKeys(fn, '', patch, ['version', 'seed', ...SECTIONS]);
  const out = cloneConfig(base) as unknown as Record<string, unknown>;
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if ((SECTIONS as readonly string[]).includes(key)) {
      if (value === undefined) continue;
      if (!isPlainObject(value)) throw new ValueError(fn, key, `must be an object, got ${describe(value)}`);
      const section = out[key] as Record<string, unknown>;
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (v === undefined) continue;
        section[k] = Array.isArray(v) ? [...v] : v;
      }
    } else if (value !== undefined) {
      out[key] = value;
    }
  }
  normaliseZeros(out);
  return validateExperiment(out, fn);
}

/** A deep copy of a config (sections and hiddenDims copied). */
export function cloneConfig(config: ExperimentConfig): ExperimentConfig {
  return {
    version: config.version,
    seed: config.seed,
    data: { ...config.data },
    model: { ...config.model, hiddenDims: [...config.model.hiddenDims] },
    solver: { ...config.solver },
  };
}

/** -0 passes every range check but does not survive a round trip through text: store it as 0. */
function normaliseZeros(obj: Record<string, unknown>): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (Object.is(v, -0)) obj[k] = 0;
    else if (Array.isArray(v)) obj[k] = v.map((x) => (Object.is(x, -0) ? 0 : x));
    else if (isPlainObject(v)) normaliseZeros(v);
  }
}

function checkKeys(fn: string, prefix: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) {
      throw new ValueError(fn, `${prefix}${k}`, `is not a known field; expected one of ${known.join(', ')}`);
    }
  }
}

/** The value at a dotted path (`model.hiddenDims`). */
export function getPath(config: object, path: string): unknown {
  let v: unknown = config;
  for (const part of path.split('.')) v = isPlainObject(v) ? v[part] : undefined;
  return v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function deepFreeze<T>(obj: T): T {
  if (typeof obj === 'object' && obj !== null) {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
