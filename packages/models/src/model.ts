// The Model contract the Solver trains against, and the small pieces every built-in model shares:
// option, input, parameter and state checks, and the L2 term 0.5·reg·Σ W² (gradient reg·W).
import {
  checkDType,
  checkNumber,
  checkTensor,
  type DType,
  DTypeError,
  describe,
  type FloatArray,
  formatShape,
  Rng,
  type RngState,
  ShapeError,
  shapesEqual,
  sumSquaresAddScaledF32,
  type Tensor,
  ValueError,
} from '@backprop/tensor';

/** What `loss(X, y)` returns in train mode: the scalar loss and one gradient per parameter, same keys. */
export interface LossResult {
  loss: number;
  grads: Record<string, Tensor>;
}

/**
 * Anything the Solver can train: parameters by name and a loss function.
 * `loss(X)` runs in test mode and returns the class scores [N, C]; `loss(X, y)` runs in train mode and
 * returns the loss and the gradient of every parameter (keys as in `params`).
 */
export interface Model {
  params: Record<string, Tensor>;
  loss(X: Tensor): Tensor;
  loss(X: Tensor, y: ArrayLike<number>): LossResult;
}

/** The built-in architectures, as written in checkpoints and on the command line. */
export type ModelKind = 'two-layer' | 'fc' | 'convnet';

/** The kinds in a fixed order (for messages and validation). */
export const MODEL_KINDS: readonly ModelKind[] = ['two-layer', 'fc', 'convnet'];

/**
 * A model's non-parameter state: batchnorm running statistics by name (`'bn1.runningMean'`) and the
 * state of the generator that draws dropout masks (`null` for models without one).
 */
export interface ModelState {
  tensors: Record<string, Tensor>;
  rng: RngState | null;
}

/** Throws unless `options` is a plain object whose keys are all in `known`. */
function checkOptions(fn: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(fn, 'options', `must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValueError(fn, `options.${key}`, `is not an option; expected one of ${known.join(', ')}`);
    }
  }
  return options as Record<string, unknown>;
}

/**
 * Checks `options` as `checkOptions` does and returns the values the model validates: with `defaults`
 * filled in where an option is absent or null (`??`, the constructors), or as they are when `defaults`
 * is null (a checkpoint's config, which records every option). A fresh object either way.
 */
export function readOptions(
  fn: string,
  options: unknown,
  known: readonly string[],
  defaults: Readonly<Record<string, unknown>> | null,
): Record<string, unknown> {
  const o = checkOptions(fn, options, known);
  const out: Record<string, unknown> = { ...o };
  if (defaults !== null) for (const key of Object.keys(defaults)) out[key] = o[key] ?? defaults[key];
  return out;
}

/** Validates the options every model shares (defaults already filled in, if any apply). */
export function checkCommonOptions(
  fn: string,
  options: Record<string, unknown>,
): { weightScale: number; reg: number; dtype: DType; seed: number } {
  const weightScale = checkNumber(fn, 'options.weightScale', options.weightScale, { min: 0 });
  const reg = checkNumber(fn, 'options.reg', options.reg, { min: 0 });
  const dtype = options.dtype;
  checkDType(fn, 'options.dtype', dtype);
  const seed = checkNumber(fn, 'options.seed', options.seed, { integer: true, min: 0, max: 0xffffffff });
  return { weightScale, reg, dtype, seed };
}

/** The defaults every model shares (weightScale differs per model). */
export const COMMON_DEFAULTS = { reg: 0, dtype: 'float32', seed: 0 } as const;

/**
 * The shape of every parameter and every state tensor of a model, by name, in the order the model
 * creates them: what a config implies, computed without allocating anything.
 */
export interface ModelShapes {
  paramShapes: Record<string, number[]>;
  stateShapes: Record<string, number[]>;
}

/** Tensors to build a model from instead of a random initialisation (see each model's `fromTensors`). */
export interface ModelTensors {
  params: Record<string, Tensor>;
  state: ModelState;
}

/**
 * Calls a model class's constructor with the tensors argument its public type hides (`fromTensors`):
 * the model is built around `params` and `state`, with no random initialisation.
 */
export function constructFromTensors<M, C>(
  Model: abstract new (options: C) => M,
  config: C,
  params: Record<string, Tensor>,
  state: ModelState,
): M {
  const Restore = Model as unknown as new (options: C, tensors: ModelTensors) => M;
  return new Restore(config, { params, state });
}

/** A positive integer option (a layer size). */
export function checkSize(fn: string, arg: string, v: unknown): number {
  return checkNumber(fn, arg, v, { integer: true, min: 1 });
}

/**
 * Checks that `params` holds every expected parameter with its shape and the model's dtype, so a
 * parameter replaced by the caller fails here with its name rather than deep inside a layer.
 */
export function checkParams(
  fn: string,
  params: Record<string, Tensor>,
  shapes: Readonly<Record<string, readonly number[]>>,
  dtype: DType,
  where = 'params',
): void {
  if (params === null || typeof params !== 'object') {
    throw new ValueError(fn, where, `must be an object of tensors, got ${describe(params)}`);
  }
  for (const name in shapes) {
    const p = params[name];
    const arg = `${where}.${name}`;
    checkTensor(fn, arg, p);
    if (!shapesEqual(p.shape, shapes[name])) {
      throw new ShapeError(
        fn,
        arg,
        `has shape ${formatShape(p.shape)}, expected ${formatShape(shapes[name])}`,
      );
    }
    if (p.dtype !== dtype) {
      throw new DTypeError(fn, arg, `has dtype ${p.dtype}, expected the model's ${dtype}`);
    }
  }
}

/**
 * Checks the input batch against the model's feature shape and returns it in the model's dtype
 * (cast only when the dtypes differ, as CS231n casts X to the model's dtype).
 * @param features - the shape of one example
 * @param exact - true: X must be [N, ...features] (the convnet); false: any [N, d1, …, dk] with
 *   prod(features) features (the fully-connected models flatten it, as CS231n's affine layer does)
 */
export function checkInput(
  fn: string,
  X: unknown,
  dtype: DType,
  features: readonly number[],
  exact: boolean,
): Tensor {
  checkTensor(fn, 'X', X);
  const D = features.reduce((a, b) => a * b, 1);
  let ok: boolean;
  if (exact) {
    ok = X.shape.length === features.length + 1 && features.every((d, i) => X.shape[i + 1] === d);
  } else {
    ok = X.shape.length >= 2 && X.shape.slice(1).reduce((a, b) => a * b, 1) === D;
  }
  if (!ok) {
    const expected = exact
      ? `[N, ${features.join(', ')}]`
      : `[N, ${D}] (or [N, d1, …, dk] with ${D} features)`;
    throw new ShapeError(
      fn,
      'X',
      `has shape ${formatShape(X.shape)}, expected ${expected} to match inputDim`,
    );
  }
  if (X.shape[0] === 0)
    throw new ShapeError(fn, 'X', `has shape ${formatShape(X.shape)}, expected at least one example`);
  return X.dtype === dtype ? X : X.astype(dtype);
}

/**
 * Adds the L2 penalty of one weight: returns 0.5·reg·Σ w² and adds reg·w into `dw` in place
 * (`dw` is a fresh gradient the model owns). One pass over the weights, no temporaries.
 */
export function addL2(reg: number, w: Tensor, dw: Tensor): number {
  if (reg === 0) return 0;
  // float32: the same loop on the WebAssembly SIMD kernels (the same bits).
  const simd =
    w.data instanceof Float32Array && dw.data instanceof Float32Array
      ? sumSquaresAddScaledF32(w.data, dw.data, reg)
      : undefined;
  return 0.5 * reg * (simd ?? sumSquaresAddScaled(w.data, dw.data, reg));
}

/**
 * Σ w² (returned) and g += reg·w in one pass. Four partial sums, combined as (s0 + s1) + (s2 + s3):
 * a single running sum waits on the add latency every element (0.96 against 1.20 ms on the convnet's
 * 627k-weight layer).
 */
function sumSquaresAddScaled(wd: FloatArray, gd: FloatArray, reg: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < wd.length; i += 4) {
    const a = wd[i];
    const b = wd[i + 1];
    const c = wd[i + 2];
    const d = wd[i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
    gd[i] += reg * a;
    gd[i + 1] += reg * b;
    gd[i + 2] += reg * c;
    gd[i + 3] += reg * d;
  }
  for (; i < wd.length; i++) {
    const v = wd[i];
    s0 += v * v;
    gd[i] += reg * v;
  }
  return s0 + s1 + (s2 + s3);
}

/** Deep copy of a record of tensors (snapshots must not alias live state). */
export function cloneTensors(tensors: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name in tensors) out[name] = tensors[name].clone();
  return out;
}

/**
 * Checks a state passed to `setState`: exactly the expected tensors with the expected shapes and dtype,
 * and an rng state when the model has a generator. Throws before anything changes.
 */
export function checkState(
  fn: string,
  state: unknown,
  shapes: Readonly<Record<string, readonly number[]>>,
  dtype: DType,
  hasRng: boolean,
): ModelState {
  if (state === null || typeof state !== 'object') {
    throw new ValueError(fn, 'state', `must be an object { tensors, rng }, got ${describe(state)}`);
  }
  const s = state as ModelState;
  if (s.tensors === null || typeof s.tensors !== 'object') {
    throw new ValueError(fn, 'state.tensors', `must be an object of tensors, got ${describe(s.tensors)}`);
  }
  for (const name of Object.keys(s.tensors)) {
    // Own keys only: 'constructor' or 'toString' is not a state tensor just because every object has one.
    if (!Object.hasOwn(shapes, name)) {
      const known = Object.keys(shapes);
      throw new ValueError(
        fn,
        `state.tensors.${name}`,
        `is not part of this model's state; expected ${known.length ? known.join(', ') : 'no tensors'}`,
      );
    }
  }
  checkParams(fn, s.tensors, shapes, dtype, 'state.tensors');
  if (hasRng) {
    if (s.rng === null || typeof s.rng !== 'object') {
      throw new ValueError(
        fn,
        'state.rng',
        `must be an Rng state { s, spareNormal }, got ${describe(s.rng)}`,
      );
    }
    try {
      new Rng(0).setState(s.rng); // validates on a scratch generator, so a bad state changes nothing
    } catch (e) {
      throw new ValueError(fn, 'state.rng', `is not a valid Rng state (${(e as Error).message})`);
    }
  } else if (s.rng !== null && s.rng !== undefined) {
    throw new ValueError(
      fn,
      'state.rng',
      `must be null: this model draws no random numbers, got ${describe(s.rng)}`,
    );
  }
  return s;
}

/**
 * Checks the tensors a model is built from instead of a random initialisation (`fromTensors`): exactly
 * the parameters `shapes.paramShapes` names, each with its shape and `dtype`, and a valid state.
 * @returns the parameters as a fresh record in `paramShapes` order (the tensors themselves, not copies)
 */
export function checkModelTensors(
  fn: string,
  tensors: ModelTensors,
  shapes: ModelShapes,
  dtype: DType,
  hasRng: boolean,
): Record<string, Tensor> {
  if (tensors === null || typeof tensors !== 'object') {
    throw new ValueError(fn, 'tensors', `must be an object { params, state }, got ${describe(tensors)}`);
  }
  checkParams(fn, tensors.params, shapes.paramShapes, dtype);
  for (const name of Object.keys(tensors.params)) {
    if (!Object.hasOwn(shapes.paramShapes, name)) {
      throw new ValueError(fn, `params.${name}`, `is not a parameter of this model`);
    }
  }
  checkState(fn, tensors.state, shapes.stateShapes, dtype, hasRng);
  const params: Record<string, Tensor> = {};
  for (const name of Object.keys(shapes.paramShapes)) params[name] = tensors.params[name];
  return params;
}
