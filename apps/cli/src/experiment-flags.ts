// The experiment flags of `backprop train`: one flag per field of the experiment config, named by
// the field's kebab-case key in @backprop/experiment's `experimentFields` (the same key the
// playground URL uses). Kinds and allowed values come from that table; the range rules are
// checked once, by the experiment package. This file adds only what a command line needs: help
// text, the CLI's spelling of update rules, and mapping errors back to the flag that caused them.
import {
  defaultExperiment,
  type ExperimentField,
  type ExperimentPatch,
  experimentFields,
} from '@backprop/experiment';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseIntegerArg, parseIntegerListArg, parseNumberArg, parsePathArg } from './options';

/** One flag and the config field it sets. */
export interface ExperimentFlag {
  /** `--batch-size` */
  readonly name: string;
  /** Commander's flag spec: `--batch-size <n>`. */
  readonly flags: string;
  /** Dotted path of the field in ExperimentConfig: `solver.batchSize`. */
  readonly path: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly parse?: (value: string) => unknown;
  /** The CLI's spelling to the config's (`sgd-momentum` -> `sgdMomentum`). */
  readonly toConfig: (value: unknown) => unknown;
  /** The config's spelling to the CLI's, for help defaults. */
  readonly fromConfig: (value: unknown) => string;
}

/** Help text per field; the rule from the experiment package is appended. */
const descriptions: Record<string, string> = {
  seed: 'seed of every random choice (toy data, initial weights, minibatches)',
  'data.dataset': 'dataset',
  'data.dataDir': 'directory holding the dataset files',
  'data.numVal': 'training examples held out for validation',
  'data.numTrain': 'use at most this many training examples (quick runs)',
  'data.noise': 'toy sets: noise added to each point',
  'data.numPoints': 'toy sets: points generated (train + val + test)',
  'data.classes': 'toy sets: classes (xor always has 2)',
  'data.testFraction': 'toy sets: fraction of the points held out for test',
  'model.type': 'model',
  'model.hiddenDims': 'fc: hidden layer sizes, comma-separated (empty: softmax classifier)',
  'model.hiddenDim': 'two-layer, convnet: hidden layer size',
  'model.normalization': 'fc: normalization after each hidden affine layer',
  'model.dropout': 'fc: dropout keep probability (1 = no dropout)',
  'model.numFilters': 'convnet: conv filters',
  'model.filterSize': 'convnet: conv filter size (odd)',
  'model.reg': 'L2 regularization strength',
  'model.weightScale': 'standard deviation of the initial weights',
  'model.dtype': 'float type of the model and the data',
  'solver.updateRule': 'optimizer',
  'solver.learningRate': 'learning rate',
  'solver.momentum': 'sgd-momentum: momentum (optimizer default 0.9)',
  'solver.lrDecay': 'learning rate factor applied at each epoch end',
  'solver.batchSize': 'minibatch size',
  'solver.numEpochs': 'number of epochs',
  'solver.numTrainSamples': 'training examples sampled to measure train accuracy',
  'solver.numValSamples': "validation examples sampled to measure val accuracy ('all' for all)",
  'solver.printEvery': 'without a terminal, print progress every this many iterations',
};

const metavars: Record<ExperimentField['kind'], string> = {
  integer: '<n>',
  number: '<x>',
  enum: '<name>',
  string: '<dir>',
  'integer-list': '<list>',
  'integer-or-null': '<n>',
};

/** camelCase to kebab-case: `sgdMomentum` -> `sgd-momentum`. */
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function parseIntegerOrAll(value: string): number | null {
  if (value === 'all') return null;
  try {
    return parseIntegerArg(value);
  } catch {
    throw new InvalidArgumentError(`Expected an integer or 'all', got '${value}'.`);
  }
}

const parsers: Record<ExperimentField['kind'], ((value: string) => unknown) | undefined> = {
  integer: parseIntegerArg,
  number: parseNumberArg,
  enum: undefined,
  string: parsePathArg,
  'integer-list': parseIntegerListArg,
  'integer-or-null': parseIntegerOrAll,
};

function toFlag(field: ExperimentField): ExperimentFlag {
  const name = `--${field.key}`;
  // Enum values are camelCase in the config (sgdMomentum) and kebab-case on the command line.
  const choices = field.options?.map(kebab);
  const toConfig = field.options
    ? (v: unknown) => field.options?.find((o) => kebab(o) === v) ?? v
    : (v: unknown) => v;
  const fromConfig = (v: unknown): string =>
    Array.isArray(v) ? v.join(',') : v === null ? 'all' : field.options ? kebab(String(v)) : String(v);
  return {
    name,
    flags: `${name} ${metavars[field.kind]}`,
    path: field.path,
    description: descriptions[field.path] ?? field.path,
    ...(choices && { choices }),
    ...(parsers[field.kind] && { parse: parsers[field.kind] }),
    toConfig,
    fromConfig,
  };
}

/** Every experiment flag of `backprop train` (all fields but the schema version), in the schema's order. */
export const experimentFlags: readonly ExperimentFlag[] = experimentFields
  .filter((f) => f.path !== 'version')
  .map(toFlag);

/** Reads the field at a dotted path (`solver.batchSize`) of a plain object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const key of keys.slice(0, -1)) {
    if (cur[key] === null || typeof cur[key] !== 'object') cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

/** Commander's attribute name of a flag: `--batch-size` -> `batchSize`. */
export function attributeOf(flag: ExperimentFlag): string {
  return new Option(flag.flags).attributeName();
}

/** Adds every experiment flag to `command`, showing the default experiment's values in the help. */
export function addExperimentFlags(command: Command): Command {
  for (const flag of experimentFlags) {
    // The default goes in the text, not option.default(): an unset flag must leave the field to
    // --config or to the experiment defaults.
    const fallback = getPath(defaultExperiment, flag.path);
    const shown = fallback === undefined ? '' : ` (default: ${flag.fromConfig(fallback)})`;
    const option = new Option(flag.flags, `${flag.description}${shown}`);
    if (flag.choices) option.choices(flag.choices);
    if (flag.parse) option.argParser(flag.parse);
    command.addOption(option);
  }
  return command;
}

/** The flags the user gave, as a patch for `overrideExperiment`. */
export function flagPatch(opts: Record<string, unknown>): {
  patch: ExperimentPatch;
  given: ExperimentFlag[];
} {
  const patch: Record<string, unknown> = {};
  const given: ExperimentFlag[] = [];
  for (const flag of experimentFlags) {
    const value = opts[attributeOf(flag)];
    if (value === undefined) continue;
    setPath(patch, flag.path, flag.toConfig(value));
    given.push(flag);
  }
  return { patch: patch as ExperimentPatch, given };
}

/**
 * The given flag that set the field an error names: `solver.batchSize` -> `--batch-size <n>`,
 * `model.hiddenDims[1]` -> `--hidden-dims <list>`.
 */
export function flagForField(field: string, given: readonly ExperimentFlag[]): ExperimentFlag | undefined {
  return given.find(
    (f) => field === f.path || field.startsWith(`${f.path}[`) || field.startsWith(`${f.path}.`),
  );
}
