// The solver checkpoint: ONE safetensors file that is also a model file.
//   model tensors + metadata        as serializeModel (@backprop/models) writes them, so loadModel(bytes) works
//   solver/optim/<param>/<key>      optimizer state tensors (velocity, cache, m, v)
//   solver/best/<param>             bestParams
//   solver/extra/<name>             caller's extra tensors (CheckpointExtra)
//   metadata 'solver'               JSON SolverCheckpointMeta: counters, histories, scalar optimizer
//                                   state, the sampling Rng's state, the options and the data's size
// Numbers go through JSON, which round-trips every finite double exactly, so a resumed run is bit-exact.
import { isBuiltinModel, type Model, serializeModel } from '@backprop/models';
import {
  describe,
  FormatError,
  type RngState,
  readSafetensors,
  type Tensor,
  ValueError,
  writeSafetensors,
} from '@backprop/tensor';
import type { CheckpointExtra } from './options';

/** Bumped when the 'solver' metadata changes incompatibly. */
export const SOLVER_FORMAT_VERSION = 1;

/** Tensor name prefixes of the solver's own state (`loadModel` ignores everything under 'solver/'). */
export const OPTIM_PREFIX = 'solver/optim/';
export const BEST_PREFIX = 'solver/best/';
export const EXTRA_PREFIX = 'solver/extra/';

/** A scalar optimizer config entry (learningRate, t, momentum, …). */
export type ConfigScalar = number | string | boolean | null;

/** The options a checkpoint records; resuming requires the ones that shape the numbers to match. */
export interface StoredSolverOptions {
  /** Rule name, or null when the solver was given a function. */
  updateRule: string | null;
  /** The scalar entries of options.optimConfig. */
  optimConfig: Record<string, ConfigScalar>;
  lrDecay: number;
  batchSize: number;
  numEpochs: number;
  numTrainSamples: number | null;
  numValSamples: number | null;
  checkpointName: string | null;
  printEvery: number;
  verbose: boolean;
  seed: number;
}

/** The JSON under the metadata key 'solver'. */
export interface SolverCheckpointMeta {
  formatVersion: number;
  /** Epochs completed. */
  epoch: number;
  /** Iterations (gradient steps) completed. */
  iteration: number;
  numIterations: number;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  /** Parameter names of bestParams (empty before the first accuracy check). */
  bestParams: string[];
  /** Per parameter, the config's scalar entries; its tensors are under solver/optim/<param>/<key>. */
  optimConfigs: Record<string, Record<string, ConfigScalar>>;
  /** The sampling Rng. */
  rng: RngState;
  options: StoredSolverOptions;
  data: { numTrain: number; numVal: number; sampleShape: number[] };
  /** How the model part was written: 'backprop.model' (serializeModel) or 'params' (a custom Model). */
  model: 'backprop.model' | 'params';
}

/** Everything the solver needs to write, gathered by Solver.checkpoint(). */
export interface CheckpointParts {
  model: Model;
  meta: Omit<SolverCheckpointMeta, 'model' | 'formatVersion'>;
  optimTensors: Record<string, Record<string, Tensor>>;
  bestParams: Record<string, Tensor>;
  extra: CheckpointExtra | null;
}

export function encodeCheckpoint(fn: string, parts: CheckpointParts): Uint8Array {
  const builtin = isBuiltinModel(parts.model);
  let tensors: Record<string, Tensor>;
  let metadata: Record<string, string>;
  if (isBuiltinModel(parts.model)) {
    const s = serializeModel(parts.model);
    tensors = { ...s.tensors };
    metadata = { ...s.metadata };
  } else {
    // A custom Model: its parameters by name (its other state, if any, is its own business).
    tensors = { ...parts.model.params };
    metadata = { format: 'backprop.params', formatVersion: '1' };
  }
  for (const [param, config] of Object.entries(parts.optimTensors)) {
    for (const [key, t] of Object.entries(config)) tensors[`${OPTIM_PREFIX}${param}/${key}`] = t;
  }
  for (const [param, t] of Object.entries(parts.bestParams)) tensors[`${BEST_PREFIX}${param}`] = t;
  if (parts.extra?.tensors) {
    for (const [name, t] of Object.entries(parts.extra.tensors)) tensors[`${EXTRA_PREFIX}${name}`] = t;
  }
  if (parts.extra?.metadata) {
    for (const [key, value] of Object.entries(parts.extra.metadata)) {
      if (key in metadata || key === 'solver') {
        throw new ValueError(
          fn,
          `extra.metadata.${key}`,
          `clashes with a metadata key the checkpoint uses itself`,
        );
      }
      metadata[key] = value;
    }
  }
  const meta: SolverCheckpointMeta = {
    formatVersion: SOLVER_FORMAT_VERSION,
    ...parts.meta,
    model: builtin ? 'backprop.model' : 'params',
  };
  metadata.solver = JSON.stringify(meta);
  return writeSafetensors(tensors, metadata);
}

/** A parsed, structurally validated checkpoint. */
export interface DecodedCheckpoint {
  meta: SolverCheckpointMeta;
  /** Model tensors (everything not under 'solver/'). */
  modelTensors: Record<string, Tensor>;
  optimTensors: Record<string, Record<string, Tensor>>;
  bestParams: Record<string, Tensor>;
  extra: { metadata: Record<string, string>; tensors: Record<string, Tensor> };
}

function bad(fn: string, detail: string): FormatError {
  return new FormatError(fn, 'bytes', detail);
}

const MODEL_METADATA_KEYS = ['format', 'formatVersion', 'kind', 'config', 'state'];

/**
 * Parses a solver checkpoint and validates the structure of its 'solver' metadata.
 * @throws FormatError for anything malformed (a plain model file has no 'solver' key)
 */
export function decodeCheckpoint(fn: string, bytes: Uint8Array): DecodedCheckpoint {
  if (!(bytes instanceof Uint8Array))
    throw new ValueError(fn, 'bytes', `must be a Uint8Array, got ${describe(bytes)}`);
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw bad(fn, `is not a readable checkpoint: ${e.detail}`);
    throw e;
  }
  const text = file.metadata.solver;
  if (text === undefined)
    throw bad(fn, "has no 'solver' metadata: it is a model file, not a solver checkpoint");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad(fn, "has 'solver' metadata that is not valid JSON");
  }
  const meta = checkMeta(fn, raw);
  const modelTensors: Record<string, Tensor> = {};
  const optimTensors: Record<string, Record<string, Tensor>> = {};
  const bestParams: Record<string, Tensor> = {};
  const extraTensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.startsWith(OPTIM_PREFIX)) {
      const rest = name.slice(OPTIM_PREFIX.length);
      const slash = rest.lastIndexOf('/');
      if (slash <= 0 || slash === rest.length - 1)
        throw bad(fn, `has tensor '${name}', expected solver/optim/<param>/<key>`);
      const param = rest.slice(0, slash);
      optimTensors[param] ??= {};
      optimTensors[param][rest.slice(slash + 1)] = t;
    } else if (name.startsWith(BEST_PREFIX)) {
      bestParams[name.slice(BEST_PREFIX.length)] = t;
    } else if (name.startsWith(EXTRA_PREFIX)) {
      extraTensors[name.slice(EXTRA_PREFIX.length)] = t;
    } else if (name.startsWith('solver/')) {
      throw bad(fn, `has tensor '${name}', which this version does not know`);
    } else {
      modelTensors[name] = t;
    }
  }
  const expectedBest = [...meta.bestParams].sort().join(',');
  if (Object.keys(bestParams).sort().join(',') !== expectedBest) {
    throw bad(
      fn,
      `has best-parameter tensors [${Object.keys(bestParams).join(', ')}], expected [${meta.bestParams.join(', ')}]`,
    );
  }
  for (const param of Object.keys(optimTensors)) {
    if (!(param in meta.optimConfigs))
      throw bad(fn, `has optimizer state for '${param}', which has no optimizer config`);
  }
  const extraMetadata: Record<string, string> = {};
  const reserved = meta.model === 'backprop.model' ? MODEL_METADATA_KEYS : ['format', 'formatVersion'];
  for (const [key, value] of Object.entries(file.metadata)) {
    if (key !== 'solver' && !reserved.includes(key)) extraMetadata[key] = value;
  }
  return {
    meta,
    modelTensors,
    optimTensors,
    bestParams,
    extra: { metadata: extraMetadata, tensors: extraTensors },
  };
}

/**
 * What a checkpoint holds besides the model: the solver's counters and histories, and the caller's extras.
 * For `backprop eval` and UIs that show a run's history; load the model itself with `loadModel(bytes)`.
 * @throws FormatError when `bytes` is not a solver checkpoint
 */
export function readCheckpointInfo(bytes: Uint8Array): {
  solver: SolverCheckpointMeta;
  extra: { metadata: Record<string, string>; tensors: Record<string, Tensor> };
} {
  const decoded = decodeCheckpoint('readCheckpointInfo', bytes);
  return { solver: decoded.meta, extra: decoded.extra };
}

// ---- structural validation of the JSON (a checkpoint may come from anywhere) ----

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function need(fn: string, ok: boolean, what: string): void {
  if (!ok) throw bad(fn, `has 'solver' metadata with ${what}`);
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isFiniteNumber);
const isScalar = (v: unknown): v is ConfigScalar =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v);
const isNullableCount = (v: unknown) => v === null || (isCount(v) && v >= 1);

function checkMeta(fn: string, raw: unknown): SolverCheckpointMeta {
  need(fn, isObject(raw), 'a non-object value');
  const m = raw as Record<string, unknown>;
  need(
    fn,
    m.formatVersion === SOLVER_FORMAT_VERSION,
    `formatVersion ${describe(m.formatVersion)}, expected ${SOLVER_FORMAT_VERSION}`,
  );
  for (const key of ['epoch', 'iteration', 'numIterations'] as const) {
    need(fn, isCount(m[key]), `${key} ${describe(m[key])}, expected a non-negative integer`);
  }
  need(fn, (m.iteration as number) <= (m.numIterations as number), 'iteration past numIterations');
  for (const key of ['lossHistory', 'trainAccHistory', 'valAccHistory'] as const) {
    need(fn, isNumberArray(m[key]), `${key} that is not an array of finite numbers`);
  }
  need(fn, (m.lossHistory as number[]).length === m.iteration, 'a lossHistory whose length is not iteration');
  need(
    fn,
    (m.trainAccHistory as number[]).length === (m.valAccHistory as number[]).length,
    'train and val accuracy histories of different lengths',
  );
  need(fn, isFiniteNumber(m.bestValAcc), `bestValAcc ${describe(m.bestValAcc)}, expected a number`);
  need(
    fn,
    Array.isArray(m.bestParams) && m.bestParams.every((p) => typeof p === 'string'),
    'bestParams that is not an array of names',
  );
  need(fn, isObject(m.optimConfigs), 'optimConfigs that is not an object');
  for (const [param, config] of Object.entries(m.optimConfigs as object)) {
    need(
      fn,
      isObject(config) && Object.values(config).every(isScalar),
      `optimConfigs.${param} that is not an object of scalars`,
    );
  }
  const rng = m.rng as Record<string, unknown>;
  need(
    fn,
    isObject(rng) &&
      Array.isArray(rng.s) &&
      rng.s.length === 4 &&
      rng.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) &&
      (rng.spareNormal === null || isFiniteNumber(rng.spareNormal)),
    'an rng that is not an Rng state { s: [4 words], spareNormal }',
  );
  const o = m.options as Record<string, unknown>;
  need(fn, isObject(o), 'options that is not an object');
  need(
    fn,
    o.updateRule === null || typeof o.updateRule === 'string',
    'options.updateRule that is not a name or null',
  );
  need(
    fn,
    isObject(o.optimConfig) && Object.values(o.optimConfig).every(isScalar),
    'options.optimConfig that is not an object of scalars',
  );
  need(fn, isFiniteNumber(o.lrDecay), 'options.lrDecay that is not a number');
  for (const key of ['batchSize', 'numEpochs', 'printEvery'] as const) {
    need(fn, isCount(o[key]) && (o[key] as number) >= 1, `options.${key} that is not a positive integer`);
  }
  need(
    fn,
    isNullableCount(o.numTrainSamples),
    'options.numTrainSamples that is not a positive integer or null',
  );
  need(fn, isNullableCount(o.numValSamples), 'options.numValSamples that is not a positive integer or null');
  need(
    fn,
    o.checkpointName === null || typeof o.checkpointName === 'string',
    'options.checkpointName that is not a string or null',
  );
  need(fn, typeof o.verbose === 'boolean', 'options.verbose that is not a boolean');
  need(fn, Number.isSafeInteger(o.seed), 'options.seed that is not an integer');
  const d = m.data as Record<string, unknown>;
  need(
    fn,
    isObject(d) &&
      isCount(d.numTrain) &&
      isCount(d.numVal) &&
      Array.isArray(d.sampleShape) &&
      d.sampleShape.every(isCount),
    'data that is not { numTrain, numVal, sampleShape }',
  );
  need(
    fn,
    m.model === 'backprop.model' || m.model === 'params',
    `model ${describe(m.model)}, expected 'backprop.model' or 'params'`,
  );
  return m as unknown as SolverCheckpointMeta;
}
