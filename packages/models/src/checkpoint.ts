// Checkpoints: a model as one safetensors file. Tensors are the parameters by name (W1, b1, …) plus the
// non-parameter state tensors ('bn1.runningMean', …); metadata records what the tensors belong to:
//   { format: 'backprop.model', formatVersion: '1', kind, config: JSON, state: JSON { rng } }.
// Tensors named 'solver/…' belong to a Solver checkpoint that shares the file; loading a model ignores them.
// Loading validates everything before it changes anything, and every problem is a FormatError naming it.
// It builds nothing until the shapes the recorded config implies (pure arithmetic: the model class's
// static `shapes`) match the file's tensors, so a small file whose config claims huge layers costs
// nothing to reject. The option rules and shapes live only in the model classes (`resolveConfig`,
// `shapes`, used by their constructors too); a loaded model is built from the file's tensors
// (`fromTensors`), never from a throwaway random initialisation.
import {
  BackpropError,
  describe,
  FormatError,
  formatShape,
  type RngState,
  readSafetensors,
  shapesEqual,
  type Tensor,
  ValueError,
  writeSafetensors,
} from '@backprop/tensor';
import { type BuiltinModel, isBuiltinModel } from './create-model';
import { FullyConnectedNet } from './fully-connected-net';
import {
  checkParams,
  checkState,
  MODEL_KINDS,
  type ModelKind,
  type ModelShapes,
  type ModelState,
} from './model';
import { ThreeLayerConvNet } from './three-layer-convnet';
import { TwoLayerNet } from './two-layer-net';

/** The metadata `format` value of a model checkpoint. */
export const MODEL_FORMAT = 'backprop.model';
/** The metadata `formatVersion` this version writes and reads. */
export const MODEL_FORMAT_VERSION = '1';
/** Tensors under this prefix belong to the Solver and are ignored by the model loaders. */
export const SOLVER_PREFIX = 'solver/';

/** A model as tensors plus string metadata: exactly what goes into a safetensors file. */
export interface SerializedModel {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * The model as named tensors and metadata. The parameter tensors are the model's own (not copies:
 * `writeSafetensors` copies them into bytes); state tensors are snapshots.
 * @throws ValueError / ShapeError if the model is not a built-in one or its params were replaced by
 *   tensors of the wrong name, shape or dtype (so a bad checkpoint is never written).
 */
export function serializeModel(model: BuiltinModel): SerializedModel {
  const fn = 'serializeModel';
  if (!isBuiltinModel(model)) {
    throw new ValueError(
      fn,
      'model',
      `must be a TwoLayerNet, FullyConnectedNet or ThreeLayerConvNet, got ${describe(model)}`,
    );
  }
  checkParams(fn, model.params, model.paramShapes, model.config.dtype, 'model.params');
  for (const name of Object.keys(model.params)) {
    if (!Object.hasOwn(model.paramShapes, name)) {
      throw new ValueError(fn, `model.params.${name}`, `is not a parameter of this '${model.kind}' model`);
    }
  }
  const state = model.getState();
  const tensors: Record<string, Tensor> = { ...model.params, ...state.tensors };
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    kind: model.kind,
    config: JSON.stringify(model.config),
    state: JSON.stringify({ rng: state.rng }),
  };
  return { tensors, metadata };
}

/**
 * Rebuilds a model from `serializeModel`'s output (or a read checkpoint). Validates the metadata, the
 * config (every option present, each checked as the model's constructor checks it) and every tensor's
 * presence, shape and dtype against the shapes the config implies, all before it allocates anything;
 * tensors named 'solver/…' are ignored. The returned model owns copies of the tensors.
 * @throws FormatError naming the first problem
 */
export function deserializeModel(serialized: SerializedModel): BuiltinModel {
  return restore('deserializeModel', serialized, null, true);
}

/**
 * The model as safetensors bytes (a standard file: Python's `safetensors` reads it).
 * @example writeFileSync('model.safetensors', saveModel(net))
 */
export function saveModel(model: BuiltinModel): Uint8Array {
  const { tensors, metadata } = serializeModel(model);
  return writeSafetensors(tensors, metadata);
}

/**
 * A model from safetensors bytes written by `saveModel` or by the Solver's checkpointing.
 * @throws FormatError for a truncated or non-safetensors file, another format, a bad config, or a
 *   missing, extra, mis-shaped or wrongly typed tensor
 */
export function loadModel(bytes: Uint8Array): BuiltinModel {
  return restore('loadModel', parse('loadModel', bytes), null, false);
}

/**
 * Loads a checkpoint's parameters and state into an existing model of the same kind and config
 * (every config entry must be equal). All or nothing: on any error the model is unchanged.
 * @throws FormatError naming what differs or is wrong
 */
export function loadModelInto(model: BuiltinModel, bytes: Uint8Array): void {
  if (!isBuiltinModel(model)) {
    throw new ValueError(
      'loadModelInto',
      'model',
      `must be a TwoLayerNet, FullyConnectedNet or ThreeLayerConvNet, got ${describe(model)}`,
    );
  }
  restore('loadModelInto', parse('loadModelInto', bytes), model, false);
}

function parse(fn: string, bytes: Uint8Array): SerializedModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(fn, 'bytes', `must be a Uint8Array, got ${describe(bytes)}`);
  }
  try {
    return readSafetensors(bytes);
  } catch (e) {
    if (e instanceof BackpropError) {
      throw new FormatError(fn, 'bytes', `are not a readable safetensors file (${e.message})`);
    }
    throw e;
  }
}

/**
 * Validates `s` completely, then either builds a new model (`target` null) or loads into `target`.
 * `copy` says whether the tensors must be copied (they may be shared with the caller).
 */
function restore(fn: string, s: SerializedModel, target: BuiltinModel | null, copy: boolean): BuiltinModel {
  if (s === null || typeof s !== 'object' || s.tensors === null || typeof s.tensors !== 'object') {
    throw new FormatError(fn, 'tensors', `must be an object of tensors, got ${describe(s?.tensors)}`);
  }
  const metadata = s.metadata;
  if (metadata === null || typeof metadata !== 'object') {
    throw new FormatError(fn, 'metadata', `must be an object of strings, got ${describe(metadata)}`);
  }
  if (metadata.format !== MODEL_FORMAT) {
    throw new FormatError(
      fn,
      'metadata.format',
      `is ${describe(metadata.format)}, expected '${MODEL_FORMAT}': not a backprop model checkpoint (write one with saveModel)`,
    );
  }
  if (metadata.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new FormatError(
      fn,
      'metadata.formatVersion',
      `is ${describe(metadata.formatVersion)}, expected '${MODEL_FORMAT_VERSION}' (this version reads only that)`,
    );
  }
  const kind = metadata.kind as ModelKind;
  if (!MODEL_KINDS.includes(kind)) {
    throw new FormatError(
      fn,
      'metadata.kind',
      `is ${describe(kind)}, expected one of ${MODEL_KINDS.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const fileConfig = parseJsonObject(fn, 'metadata.config', metadata.config);
  const state = parseJsonObject(fn, 'metadata.state', metadata.state);
  for (const key of Object.keys(state)) {
    if (key !== 'rng')
      throw new FormatError(fn, `metadata.state.${key}`, "is not part of a model's state (only 'rng')");
  }
  if (target !== null && target.kind !== kind) {
    throw new FormatError(fn, 'metadata.kind', `is '${kind}', but the model is a '${target.kind}' model`);
  }

  // The shapes the tensors must have, from the config alone: nothing is allocated until they all fit,
  // so a small file whose config claims huge layers fails here, cheaply.
  const Model = MODEL_CLASSES[kind];
  const config = checkFileConfig(fn, kind, fileConfig, target);
  const { paramShapes, stateShapes } = Model.shapes(config);
  const dtype = config.dtype;
  const expected: Record<string, readonly number[]> = { ...paramShapes, ...stateShapes };
  const tensors = s.tensors;
  for (const name of Object.keys(tensors)) {
    if (name.startsWith(SOLVER_PREFIX)) continue;
    if (!Object.hasOwn(expected, name)) {
      throw new FormatError(
        fn,
        `tensor '${name}'`,
        `is not part of a '${kind}' model with this config (expected ${Object.keys(expected).join(', ')})`,
      );
    }
  }
  for (const name of Object.keys(expected)) {
    const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (t === undefined) {
      throw new FormatError(
        fn,
        `tensor '${name}'`,
        `is missing (expected shape ${formatShape(expected[name])})`,
      );
    }
    if (t === null || typeof t !== 'object' || !Array.isArray(t.shape) || !('data' in t)) {
      throw new FormatError(fn, `tensor '${name}'`, `must be a Tensor, got ${describe(t)}`);
    }
    if (!shapesEqual(t.shape, expected[name])) {
      throw new FormatError(
        fn,
        `tensor '${name}'`,
        `has shape ${formatShape(t.shape)}, expected ${formatShape(expected[name])}`,
      );
    }
    if (t.dtype !== dtype) {
      throw new FormatError(fn, `tensor '${name}'`, `has dtype ${t.dtype}, expected ${dtype} (config.dtype)`);
    }
  }
  const stateTensors: Record<string, Tensor> = {};
  for (const name of Object.keys(stateShapes)) stateTensors[name] = tensors[name];
  const rng = Object.hasOwn(state, 'rng') ? state.rng : null;
  const modelState: ModelState = { tensors: stateTensors, rng: rng as RngState | null };
  try {
    checkState(fn, modelState, stateShapes, dtype, kind === 'fc');
  } catch (e) {
    if (e instanceof BackpropError)
      throw new FormatError(fn, 'metadata.state', `is invalid: ${e.arg} ${e.detail}`);
    throw e;
  }

  // Everything is valid: from here nothing can fail.
  if (target === null) {
    // Built from the file's tensors (their size bounds the model's), not from a random initialisation.
    const params: Record<string, Tensor> = {};
    for (const name of Object.keys(paramShapes)) params[name] = copy ? tensors[name].clone() : tensors[name];
    if (copy) for (const name of Object.keys(stateTensors)) stateTensors[name] = stateTensors[name].clone();
    return Model.fromTensors(config, params, modelState);
  }
  if (!sameShapes(target.paramShapes, paramShapes) || !sameShapes(target.stateShapes, stateShapes)) {
    // A bug, not a bad file: the target's shapes are not what its own class computes for its config.
    throw new Error(`${fn}: internal error: the '${kind}' model's shapes differ from its class's shapes()`);
  }
  for (const name of Object.keys(paramShapes)) {
    target.params[name] = copy ? tensors[name].clone() : tensors[name];
  }
  target.setState(modelState); // copies the state tensors
  return target;
}

function parseJsonObject(fn: string, arg: string, text: unknown): Record<string, unknown> {
  if (typeof text !== 'string')
    throw new FormatError(fn, arg, `is ${describe(text)}, expected a JSON string`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FormatError(fn, arg, `is not valid JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FormatError(fn, arg, `must hold a JSON object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A built-in model class's static side: its option rules, its shapes and its loader entry point. */
interface ModelClass<C> {
  readonly OPTIONS: readonly string[];
  resolveConfig(options: unknown, defaults: boolean): C;
  shapes(config: C): ModelShapes;
  fromTensors(config: C, params: Record<string, Tensor>, state: ModelState): BuiltinModel;
}

/** The class of each kind: the one source of its options, config rules and shapes. */
const MODEL_CLASSES: Readonly<Record<ModelKind, ModelClass<BuiltinModel['config']>>> = {
  'two-layer': TwoLayerNet,
  fc: FullyConnectedNet,
  convnet: ThreeLayerConvNet,
};

/**
 * Checks a checkpoint's recorded config without building anything: exactly this kind's options, each an
 * own key (so `__proto__` is an unknown option like any other), each value valid as the model's
 * constructor checks it (the class's `resolveConfig` without defaults: `null` only where it is a value,
 * `normalization`; a checkpoint records every option, so null never stands for a default), and, when
 * loading into `target`, equal to the target's.
 * Every check is shallow: no value is stringified or walked before it is known to be a number, a
 * string, null or a flat array of numbers, so a value nested 10^5 deep is just "not a number".
 * @returns the complete, valid config of `kind` that `file` records
 */
function checkFileConfig(
  fn: string,
  kind: ModelKind,
  file: Record<string, unknown>,
  target: BuiltinModel | null,
): BuiltinModel['config'] {
  const Model = MODEL_CLASSES[kind];
  const keys = Model.OPTIONS;
  for (const key of Object.keys(file)) {
    if (!keys.includes(key)) {
      throw new FormatError(
        fn,
        `metadata.config.${key}`,
        `is not an option of a '${kind}' model (its options: ${keys.join(', ')})`,
      );
    }
  }
  const ours = target === null ? null : (target.config as unknown as Record<string, unknown>);
  for (const key of keys) {
    if (!Object.hasOwn(file, key)) {
      const has = ours === null ? '' : ` (the model has ${JSON.stringify(ours[key])})`;
      throw new FormatError(fn, `metadata.config.${key}`, `is missing${has}`);
    }
  }
  let config: BuiltinModel['config'];
  try {
    config = Model.resolveConfig(file, false);
  } catch (e) {
    if (e instanceof BackpropError) throw new FormatError(fn, 'metadata.config', `is invalid: ${e.message}`);
    throw e;
  }
  if (ours !== null) {
    for (const key of keys) {
      // Safe to stringify now: each value is a number, a string, null or a flat array of numbers.
      const theirs = JSON.stringify(file[key]);
      const mine = JSON.stringify(ours[key]);
      if (theirs !== mine) {
        throw new FormatError(fn, `metadata.config.${key}`, `is ${theirs}, but the model has ${mine}`);
      }
    }
  }
  return config;
}

/** Same names (own keys) and the same shape for each. */
function sameShapes(
  a: Readonly<Record<string, readonly number[]>>,
  b: Readonly<Record<string, readonly number[]>>,
): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => Object.hasOwn(b, name) && shapesEqual(a[name], b[name]));
}
