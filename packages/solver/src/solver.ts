// The CS231n Solver: minibatch SGD-style training with per-parameter optimizer configs, learning-rate
// decay at each epoch end, train/val accuracy checks, and the best-validation parameters kept.
//   iterationsPerEpoch = max(floor(numTrain / batchSize), 1);  numIterations = numEpochs · iterationsPerEpoch
//   each iteration: sample batchSize rows WITH replacement → loss, grads → w ← update(w, dw, config)
// One iteration is `step()`; `train()` and `trainAsync()` just call it, so all three give identical numbers.
import { isBuiltinModel, loadModel, loadModelInto, type Model } from '@backprop/models';
import type { OptimConfig, UpdateRule } from '@backprop/optim';
import {
  allocate,
  BackpropError,
  checkNumber,
  checkTensor,
  type DType,
  DTypeError,
  describe,
  type FloatArray,
  FormatError,
  formatShape,
  Rng,
  ShapeError,
  shapesEqual,
  Tensor,
  ValueError,
} from '@backprop/tensor';
import {
  type ConfigScalar,
  decodeCheckpoint,
  encodeCheckpoint,
  type SolverCheckpointMeta,
  type StoredSolverOptions,
} from './checkpoint';
import { NonFiniteError, type NonFiniteSource } from './errors';
import { Emitter, type SolverEventName, type SolverListener } from './events';
import {
  type CheckpointExtra,
  checkCheckpointExtra,
  checkData,
  checkLabelsFor,
  type ResolvedSolverOptions,
  resolveOptions,
  resolveUpdateRule,
  type SolverData,
  type SolverOptions,
} from './options';
import { now, yieldToEventLoop } from './yield';

/** How a `train()` / `trainAsync()` call ended. */
export interface TrainResult {
  /** 'done': all iterations ran; 'stopped': `stop()` ended it early at a step boundary (resumable). */
  status: 'done' | 'stopped';
  /** Iterations completed. */
  iteration: number;
  /** Epochs completed. */
  epoch: number;
}

export interface TrainAsyncOptions {
  /** Aborting ends training after the current step and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Steps run back to back for about this long before yielding to the event loop. Default 16 (one frame). */
  sliceMs?: number;
}

/** 'idle' (not training, iterations left), 'running', 'paused' (inside trainAsync) or 'done'. */
export type SolverState = 'idle' | 'running' | 'paused' | 'done';

/** Options `Solver.resume` takes: the overrides for the stored options, and optionally the model to load into. */
export interface ResumeOptions extends SolverOptions {
  /** Model to restore into (same architecture and config); default: `loadModel(bytes)`. */
  model?: Model;
}

/** Default chunk size of accuracy checks, as CS231n's `check_accuracy(batch_size=100)`. */
const ACCURACY_BATCH_SIZE = 100;

/** The options that shape the numbers: a checkpoint resumes only into a solver that agrees on all of them. */
const NUMERIC_OPTIONS = [
  'lrDecay',
  'batchSize',
  'numEpochs',
  'numTrainSamples',
  'numValSamples',
  'seed',
] as const;

/**
 * Trains a model on `data`, CS231n style.
 *
 * ```ts
 * const solver = new Solver(model, { XTrain, yTrain, XVal, yVal }, {
 *   updateRule: 'adam', optimConfig: { learningRate: 1e-3 }, numEpochs: 5, batchSize: 50,
 * });
 * solver.on('epoch', (e) => console.log(e.epoch, e.trainAcc, e.valAcc));
 * solver.train();                         // or: await solver.trainAsync()
 * const bytes = solver.checkpoint();      // resume later with Solver.resume(bytes, data)
 * ```
 *
 * The minibatch handed to `model.loss` is gathered into one buffer reused by every step: a model must
 * not keep a reference to its X or y past the call.
 */
export class Solver {
  readonly model: Model;
  readonly data: SolverData;
  /** The options with every default filled in. */
  readonly options: Readonly<ResolvedSolverOptions>;
  /** The update rule in use (looked up once from `options.updateRule`). */
  readonly updateRule: UpdateRule;
  readonly numTrain: number;
  readonly numVal: number;
  /** Classes the model scores (from the width of its scores). */
  readonly numClasses: number;
  readonly iterationsPerEpoch: number;
  readonly numIterations: number;

  /** Per-parameter optimizer config (CS231n's `optim_configs`): a copy of optimConfig each, plus state. */
  optimConfigs: Record<string, OptimConfig> = {};
  /** One minibatch loss per iteration. */
  lossHistory: number[] = [];
  /** One entry per accuracy check (first iteration, each epoch end, last iteration). */
  trainAccHistory: number[] = [];
  valAccHistory: number[] = [];
  /** Best validation accuracy so far (starts at 0; only a strictly greater one replaces it). */
  bestValAcc = 0;
  /** Copies of the parameters at the best validation accuracy; {} until one beats 0. */
  bestParams: Record<string, Tensor> = {};
  /** Epochs completed. */
  epoch = 0;
  /** Iterations (gradient steps) completed. */
  iteration = 0;

  private readonly paramNames: string[];
  private readonly dtype: DType;
  private readonly rowSize: number;
  private readonly sampleShape: number[];
  private rng: Rng;
  private readonly emitter = new Emitter();
  // The minibatch is gathered into these every step instead of allocating (numTrain may be 50 000 rows).
  private readonly batchRows: Int32Array;
  private readonly batchX: Tensor;
  private readonly batchY: Int32Array;
  private running: 'no' | 'sync' | 'async' = 'no';
  private pauseRequested = false;
  private stopRequested = false;
  private wake: (() => void) | null = null;

  /**
   * @param model - a Model: `params` by name and `loss(X)` / `loss(X, y)`
   * @param data - `{ XTrain [N, ...], yTrain (N labels), XVal [NVal, ...], yVal }`; inputs of another dtype than
   *   the parameters are converted row by row as minibatches are gathered
   * @param options - see SolverOptions; unknown keys are errors
   * @throws ValueError / ShapeError / DTypeError naming the option, data field or model part at fault
   */
  constructor(model: Model, data: SolverData, options: SolverOptions = {}) {
    const fn = 'Solver';
    const { names, dtype } = checkModel(fn, model);
    this.options = Object.freeze(resolveOptions(fn, options));
    this.updateRule = resolveUpdateRule(fn, this.options.updateRule);
    const facts = checkData(fn, data, (x) => probeNumClasses(fn, model, x, dtype));
    this.model = model;
    this.data = data;
    this.paramNames = names;
    this.dtype = dtype;
    this.numTrain = facts.numTrain;
    this.numVal = facts.numVal;
    this.numClasses = facts.numClasses;
    this.sampleShape = facts.sampleShape;
    this.rowSize = facts.sampleShape.reduce((a, b) => a * b, 1);
    this.iterationsPerEpoch = Math.max(Math.floor(this.numTrain / this.options.batchSize), 1);
    this.numIterations = this.options.numEpochs * this.iterationsPerEpoch;
    const B = this.options.batchSize;
    this.batchRows = new Int32Array(B);
    this.batchX = new Tensor(allocate(dtype, B * this.rowSize), [B, ...facts.sampleShape]);
    this.batchY = new Int32Array(B);
    this.rng = new Rng(this.options.seed);
    // A copy per parameter, tensors included: the update runs in place, so no two parameters may
    // share a state tensor someone passed in optimConfig.
    for (const name of names) {
      const own: Record<string, unknown> = { ...this.options.optimConfig };
      for (const [key, value] of Object.entries(own)) if (value instanceof Tensor) own[key] = value.clone();
      this.optimConfigs[name] = own as OptimConfig;
    }
  }

  /** Where training stands. */
  get state(): SolverState {
    if (this.iteration >= this.numIterations) return 'done';
    if (this.running === 'no') return 'idle';
    return this.running === 'async' && this.pauseRequested ? 'paused' : 'running';
  }

  /**
   * Listens to 'iteration' (every step), 'epoch' (every accuracy check), 'checkpoint' (epoch ends, with
   * checkpointName set) or 'done' (once, at the end). Listeners run synchronously inside the step.
   * @returns a function that removes the listener
   */
  on<K extends SolverEventName>(name: K, listener: SolverListener<K>): () => void {
    if (name !== 'iteration' && name !== 'epoch' && name !== 'done' && name !== 'checkpoint') {
      throw new ValueError(
        'Solver.on',
        'name',
        `must be one of 'iteration', 'epoch', 'done', 'checkpoint', got ${describe(name)}`,
      );
    }
    if (typeof listener !== 'function') {
      throw new ValueError('Solver.on', 'listener', `must be a function, got ${describe(listener)}`);
    }
    return this.emitter.on(name, listener);
  }

  /**
   * One iteration of CS231n's training loop: sample a minibatch (with replacement), compute the loss and
   * gradients, update every parameter; then print, decay the learning rate at an epoch end, check the
   * accuracies at the first iteration / epoch ends / the last iteration, keep the best parameters, emit
   * events, write the epoch-end checkpoint, and after the last iteration restore the best parameters.
   * @returns the minibatch loss
   * @throws NonFiniteError when the minibatch, the loss or a gradient holds NaN or ±Infinity: nothing is
   *   updated, and the best parameters so far are restored into the model
   * @throws ValueError when all iterations are done, or while trainAsync() is running
   */
  step(): number {
    const fn = 'Solver.step';
    if (this.running === 'async') {
      throw new ValueError(
        fn,
        'solver',
        'is training asynchronously; pause() or stop() it, or wait for it, before stepping',
      );
    }
    return this.advance(fn);
  }

  /**
   * Runs the remaining iterations synchronously (CS231n's `train()`); `stop()` from a listener ends it early.
   * At the end the model holds copies of `bestParams` (unchanged when no val accuracy ever beat 0).
   */
  train(): TrainResult {
    const fn = 'Solver.train';
    if (this.running !== 'no') throw new ValueError(fn, 'solver', 'is already training');
    this.running = 'sync';
    this.stopRequested = false;
    try {
      while (this.iteration < this.numIterations) {
        this.advance(fn);
        if (this.stopRequested && this.iteration < this.numIterations) return this.result('stopped');
      }
    } finally {
      this.running = 'no';
      this.stopRequested = false;
    }
    return this.result('done');
  }

  /**
   * Runs the remaining iterations in time slices of about `sliceMs`, yielding to the event loop between
   * slices, so a browser tab or worker stays responsive. Same numbers as `train()`.
   * `pause()` / `resume()` suspend and continue it; `stop()` ends it after the current step (resolving
   * with status 'stopped'; call trainAsync() or train() again to continue exactly where it stopped).
   * @throws the signal's reason when `opts.signal` aborts (after the current step; the solver stays resumable)
   */
  async trainAsync(opts: TrainAsyncOptions = {}): Promise<TrainResult> {
    const fn = 'Solver.trainAsync';
    if (opts === null || typeof opts !== 'object')
      throw new ValueError(fn, 'opts', `must be an object, got ${describe(opts)}`);
    const sliceMs = checkNumber(fn, 'opts.sliceMs', opts.sliceMs ?? 16, { min: 0 });
    const signal = opts.signal;
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) {
      throw new ValueError(fn, 'opts.signal', `must be an AbortSignal, got ${describe(signal)}`);
    }
    if (this.running !== 'no') throw new ValueError(fn, 'solver', 'is already training');
    this.running = 'async';
    this.stopRequested = false;
    const onAbort = () => this.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      // Return to the caller first: no step runs inside the trainAsync() call itself, so a pause() or
      // stop() right after it takes effect before any step.
      await yieldToEventLoop();
      while (this.iteration < this.numIterations) {
        if (signal?.aborted) throw signal.reason;
        if (this.stopRequested) return this.result('stopped');
        if (this.pauseRequested) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = null;
          continue;
        }
        const start = now();
        do this.advance(fn);
        while (
          this.iteration < this.numIterations &&
          !this.stopRequested &&
          !this.pauseRequested &&
          !signal?.aborted &&
          now() - start < sliceMs
        );
        if (this.iteration < this.numIterations) await yieldToEventLoop();
      }
      return this.result('done');
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.running = 'no';
      this.stopRequested = false;
      this.wake = null;
    }
  }

  /** Suspends trainAsync() after the current step (also before it starts, if called first). */
  pause(): void {
    this.pauseRequested = true;
  }

  /** Continues a paused trainAsync(). */
  resume(): void {
    this.pauseRequested = false;
    this.wake?.();
  }

  /** Ends train() / trainAsync() after the current step; nothing is half done, so training can continue later. */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /**
   * Accuracy of the model's predictions (argmax of `model.loss(X)`) on X, computed in chunks of `batchSize`.
   * With `numSamples` set and N > numSamples, it scores `numSamples` rows drawn with replacement from the
   * solver's Rng (as CS231n's `check_accuracy`), so calling it changes the sampling that follows.
   * @param X - inputs, shape [N, ...] with the training data's example shape
   * @param y - N labels
   * @returns the fraction of correct predictions, in [0, 1]
   */
  checkAccuracy(
    X: Tensor,
    y: ArrayLike<number>,
    numSamples: number | null = null,
    batchSize = ACCURACY_BATCH_SIZE,
  ): number {
    const fn = 'Solver.checkAccuracy';
    checkTensor(fn, 'X', X);
    const ok =
      X.ndim === this.sampleShape.length + 1 &&
      X.shape[0] >= 1 &&
      this.sampleShape.every((d, i) => X.shape[i + 1] === d);
    if (!ok) {
      throw new ShapeError(
        fn,
        'X',
        `has shape ${formatShape(X.shape)}, expected [N, ${this.sampleShape.join(', ')}] to match the training data`,
      );
    }
    checkLabelsFor(fn, 'y', y, X.shape[0], this.numClasses);
    if (numSamples !== null) checkNumber(fn, 'numSamples', numSamples, { integer: true, min: 1 });
    checkNumber(fn, 'batchSize', batchSize, { integer: true, min: 1 });
    return this.accuracy(fn, 'X', X, y, numSamples, batchSize);
  }

  /**
   * The whole training state as one safetensors file: the model (as `saveModel` writes it, so `loadModel`
   * reads it), optimizer state, best parameters, counters, histories and the sampling Rng's state.
   * Resume with `Solver.resume(bytes, data)` or `solver.restore(bytes)`: the run then continues to exactly
   * the numbers an uninterrupted run produces, from any iteration.
   * @param extra - metadata strings and tensors to store too (merged over `options.checkpointExtra`)
   */
  checkpoint(extra?: CheckpointExtra): Uint8Array {
    const fn = 'Solver.checkpoint';
    if (extra !== undefined) checkCheckpointExtra(fn, 'extra', extra);
    const base = this.options.checkpointExtra;
    const merged: CheckpointExtra = {
      metadata: { ...base?.metadata, ...extra?.metadata },
      tensors: { ...base?.tensors, ...extra?.tensors },
    };
    const optimConfigs: Record<string, Record<string, ConfigScalar>> = {};
    const optimTensors: Record<string, Record<string, Tensor>> = {};
    for (const name of this.paramNames) {
      const { scalars, tensors } = splitConfig(fn, `optimConfigs.${name}`, this.optimConfigs[name]);
      optimConfigs[name] = scalars;
      optimTensors[name] = tensors;
    }
    const meta: Omit<SolverCheckpointMeta, 'model' | 'formatVersion'> = {
      epoch: this.epoch,
      iteration: this.iteration,
      numIterations: this.numIterations,
      lossHistory: this.lossHistory,
      trainAccHistory: this.trainAccHistory,
      valAccHistory: this.valAccHistory,
      bestValAcc: this.bestValAcc,
      bestParams: Object.keys(this.bestParams),
      optimConfigs,
      rng: this.rng.getState(),
      options: this.storedOptions(),
      data: { numTrain: this.numTrain, numVal: this.numVal, sampleShape: this.sampleShape },
    };
    return encodeCheckpoint(fn, {
      model: this.model,
      meta,
      optimTensors,
      bestParams: this.bestParams,
      extra: merged,
    });
  }

  /**
   * Restores this solver and its model from `checkpoint()` bytes. The solver must have been made with the
   * same data sizes and the options that shape the numbers (update rule, optimConfig, lrDecay, batchSize,
   * numEpochs, numTrainSamples, numValSamples, seed); verbose, printEvery, logger and the checkpoint
   * options may differ. All or nothing: on any error neither the solver nor the model has changed.
   * @throws FormatError for a malformed or mismatched checkpoint, naming what differs
   */
  restore(bytes: Uint8Array): void {
    const fn = 'Solver.restore';
    if (this.running !== 'no') throw new ValueError(fn, 'solver', 'is training; stop() it before restoring');
    const { meta, modelTensors, optimTensors, bestParams } = decodeCheckpoint(fn, bytes);
    this.checkCompatible(fn, meta);
    const params = this.model.params;
    const checkLike = (arg: string, t: Tensor, param: string) => {
      const p = params[param];
      if (!shapesEqual(t.shape, p.shape) || t.dtype !== p.dtype) {
        throw new FormatError(
          fn,
          'bytes',
          `has ${arg} of shape ${formatShape(t.shape)} ${t.dtype}, expected ${formatShape(p.shape)} ${p.dtype} like the model's ${param}`,
        );
      }
    };
    const names = [...this.paramNames].sort().join(', ');
    if (Object.keys(meta.optimConfigs).sort().join(', ') !== names) {
      throw new FormatError(
        fn,
        'bytes',
        `has optimizer configs for [${Object.keys(meta.optimConfigs).join(', ')}], expected the model's [${names}]`,
      );
    }
    for (const [param, t] of Object.entries(bestParams)) {
      if (!(param in params))
        throw new FormatError(fn, 'bytes', `has best parameter '${param}', which the model does not have`);
      checkLike(`solver/best/${param}`, t, param);
    }
    for (const [param, config] of Object.entries(optimTensors)) {
      for (const [key, t] of Object.entries(config)) checkLike(`solver/optim/${param}/${key}`, t, param);
    }
    // The restored optimizer configs must be ones the update rule accepts: a file that sets adam's t to
    // -1 or a learningRate to 'x' is refused here, with nothing changed, not at the next step. The
    // built-in rules are pure functions, so one dry run per parameter on scratch copies (zero gradient)
    // checks every key; a custom rule function is not called (it may have effects of its own).
    const ruleName = this.options.updateRule;
    if (typeof ruleName === 'string') {
      for (const name of this.paramNames) {
        const scratch: Record<string, unknown> = { ...meta.optimConfigs[name] };
        for (const [key, t] of Object.entries(optimTensors[name] ?? {})) scratch[key] = t.clone();
        const w = params[name].clone();
        try {
          this.updateRule(w, new Tensor(allocate(w.dtype, w.size), [...w.shape]), scratch as OptimConfig);
        } catch (e) {
          if (!(e instanceof BackpropError)) throw e;
          throw new FormatError(
            fn,
            'bytes',
            `has an optimizer config for '${name}' that ${ruleName} refuses (${e.message})`,
          );
        }
      }
    }
    const model = this.model;
    const builtin = isBuiltinModel(model);
    if (builtin !== (meta.model === 'backprop.model')) {
      throw new FormatError(
        fn,
        'bytes',
        builtin
          ? "holds a custom model's parameters, but this solver trains a built-in model"
          : 'holds a built-in model, but this solver trains a custom model',
      );
    }
    if (isBuiltinModel(model)) {
      // Validates architecture and config itself and changes the model only when everything fits.
      loadModelInto(model, bytes);
    } else {
      if (Object.keys(modelTensors).sort().join(', ') !== names) {
        throw new FormatError(
          fn,
          'bytes',
          `has parameters [${Object.keys(modelTensors).join(', ')}], expected the model's [${names}]`,
        );
      }
      for (const [param, t] of Object.entries(modelTensors)) checkLike(param, t, param);
      for (const [param, t] of Object.entries(modelTensors)) params[param] = t;
    }
    // Nothing below can fail.
    const rng = new Rng(0);
    rng.setState(meta.rng);
    this.rng = rng;
    this.epoch = meta.epoch;
    this.iteration = meta.iteration;
    this.lossHistory = [...meta.lossHistory];
    this.trainAccHistory = [...meta.trainAccHistory];
    this.valAccHistory = [...meta.valAccHistory];
    this.bestValAcc = meta.bestValAcc;
    this.bestParams = bestParams;
    const configs: Record<string, OptimConfig> = {};
    for (const name of this.paramNames) {
      configs[name] = { ...meta.optimConfigs[name], ...optimTensors[name] } as OptimConfig;
    }
    this.optimConfigs = configs;
    // A run saved at its last iteration (the final epoch-end checkpoint) is finished: like train(), leave
    // the best parameters in the model. (Restoring them again after a post-training checkpoint changes nothing.)
    if (this.iteration >= this.numIterations) this.restoreBest();
  }

  /**
   * A solver that continues the run saved in `bytes`, with the options stored there (overridable:
   * verbose, printEvery, logger, checkpointName, checkpointWriter, checkpointExtra; an update *function*
   * is not stored, so pass it again as `updateRule`).
   * @param data - the same data the run was training on (sizes are checked)
   * @param options - overrides, and `model` to restore into (default: a new model from `loadModel(bytes)`)
   */
  static resume(bytes: Uint8Array, data: SolverData, options: ResumeOptions = {}): Solver {
    const fn = 'Solver.resume';
    if (options === null || typeof options !== 'object') {
      throw new ValueError(fn, 'options', `must be an object, got ${describe(options)}`);
    }
    const { meta } = decodeCheckpoint(fn, bytes);
    const { model: given, ...overrides } = options;
    const stored = meta.options;
    if (stored.updateRule === null && overrides.updateRule === undefined) {
      throw new ValueError(
        fn,
        'options.updateRule',
        'is required: the checkpoint was made with an update function, which a file cannot hold',
      );
    }
    let model = given;
    if (model === undefined) {
      if (meta.model !== 'backprop.model') {
        throw new ValueError(
          fn,
          'options.model',
          "is required: the checkpoint holds a custom model's parameters, not a built-in model",
        );
      }
      model = loadModel(bytes);
    }
    const solver = new Solver(model, data, {
      updateRule: (stored.updateRule ?? undefined) as SolverOptions['updateRule'],
      optimConfig: stored.optimConfig as OptimConfig,
      lrDecay: stored.lrDecay,
      batchSize: stored.batchSize,
      numEpochs: stored.numEpochs,
      numTrainSamples: stored.numTrainSamples,
      numValSamples: stored.numValSamples,
      checkpointName: stored.checkpointName,
      printEvery: stored.printEvery,
      verbose: stored.verbose,
      seed: stored.seed,
      ...overrides,
    });
    solver.restore(bytes);
    return solver;
  }

  // ---- the loop body ----

  private advance(fn: string): number {
    const T = this.numIterations;
    if (this.iteration >= T) {
      throw new ValueError(
        fn,
        'solver',
        `has finished: all ${T} iterations are done (make a new Solver to train again)`,
      );
    }
    const t = this.iteration; // CS231n's 0-based loop variable
    const { batchSize, lrDecay, verbose, printEvery, logger } = this.options;
    const { XTrain, yTrain } = this.data;

    // 1. A minibatch drawn with replacement (numpy's choice(numTrain, batchSize)), gathered into reused buffers.
    const rows = this.batchRows;
    for (let i = 0; i < batchSize; i++) rows[i] = this.rng.integer(0, this.numTrain);
    const bad = gatherRows(XTrain.data, rows, batchSize, this.rowSize, this.batchX.data);
    for (let i = 0; i < batchSize; i++) this.batchY[i] = yTrain[rows[i]];
    if (bad >= 0) {
      const row = rows[Math.floor(bad / this.rowSize)];
      const value = this.batchX.data[bad];
      this.fail(
        fn,
        'input',
        `data.XTrain[${row}]`,
        `holds ${value} (element ${bad % this.rowSize} of the row)`,
        t + 1,
        true,
      );
    }

    // 2. Loss and gradients; nothing changes unless all are finite.
    const { loss, grads } = this.model.loss(this.batchX, this.batchY);
    if (typeof loss !== 'number' || !Number.isFinite(loss)) {
      this.fail(fn, 'loss', 'loss', `is ${describe(loss)}`, t + 1, true);
    }
    const params = this.model.params;
    for (const name of this.paramNames) {
      const g = grads?.[name];
      if (!(g instanceof Tensor) || !shapesEqual(g.shape, params[name].shape)) {
        throw new ShapeError(
          fn,
          `grads.${name}`,
          `is ${describe(g)}, expected a Tensor of shape ${formatShape(params[name].shape)} like params.${name}`,
        );
      }
      const at = firstNonFinite(g.data);
      if (at >= 0)
        this.fail(fn, 'gradient', `grads.${name}`, `holds ${g.data[at]} at element ${at}`, t + 1, true);
    }

    // 3. The update, parameter by parameter (each with its own config), in place: the Solver owns
    // the parameters and their optimizer state, and fresh arrays every step cost more than the math
    // (bestParams are copies, so they are not touched).
    for (const name of this.paramNames) {
      const { nextW, config } = this.updateRule(params[name], grads[name], this.optimConfigs[name], {
        inPlace: true,
      });
      params[name] = nextW;
      this.optimConfigs[name] = config;
    }
    this.iteration = t + 1;
    this.lossHistory.push(loss);
    if (verbose && t % printEvery === 0) logger(`(Iteration ${t + 1} / ${T}) loss: ${loss.toFixed(6)}`);

    // 4. Epoch end: count it and decay every learning rate (before the accuracy check, as CS231n).
    const epochEnd = (t + 1) % this.iterationsPerEpoch === 0;
    if (epochEnd) {
      this.epoch++;
      for (const name of this.paramNames) {
        const config = this.optimConfigs[name];
        if (typeof config.learningRate === 'number') config.learningRate *= lrDecay;
      }
    }

    // 5. Accuracy checks at the first iteration, each epoch end and the last iteration.
    const checked = t === 0 || t === T - 1 || epochEnd;
    let trainAcc = 0;
    let valAcc = 0;
    if (checked) {
      trainAcc = this.accuracy(
        fn,
        'data.XTrain',
        XTrain,
        yTrain,
        this.options.numTrainSamples,
        ACCURACY_BATCH_SIZE,
      );
      valAcc = this.accuracy(
        fn,
        'data.XVal',
        this.data.XVal,
        this.data.yVal,
        this.options.numValSamples,
        ACCURACY_BATCH_SIZE,
      );
      this.trainAccHistory.push(trainAcc);
      this.valAccHistory.push(valAcc);
      if (verbose) {
        logger(
          `(Epoch ${this.epoch} / ${this.options.numEpochs}) train acc: ${trainAcc.toFixed(6)}; val_acc: ${valAcc.toFixed(6)}`,
        );
      }
      if (valAcc > this.bestValAcc) {
        this.bestValAcc = valAcc;
        const best: Record<string, Tensor> = {};
        for (const name of this.paramNames) best[name] = params[name].clone();
        this.bestParams = best;
      }
    }

    // 6. Events, the epoch-end checkpoint, and the end of training.
    this.emitter.emit('iteration', { iteration: t + 1, numIterations: T, epoch: this.epoch, loss });
    if (checked) {
      const learningRate = this.optimConfigs[this.paramNames[0]].learningRate;
      this.emitter.emit('epoch', {
        epoch: this.epoch,
        numEpochs: this.options.numEpochs,
        iteration: t + 1,
        trainAcc,
        valAcc,
        learningRate: typeof learningRate === 'number' ? learningRate : null,
        bestValAcc: this.bestValAcc,
      });
    }
    const { checkpointName, checkpointWriter } = this.options;
    if (epochEnd && checkpointName !== null) {
      const bytes = this.checkpoint();
      const name = `${checkpointName}_epoch_${this.epoch}.safetensors`;
      checkpointWriter?.(name, bytes);
      this.emitter.emit('checkpoint', { epoch: this.epoch, iteration: t + 1, name, bytes });
    }
    if (t === T - 1) {
      this.restoreBest();
      this.emitter.emit('done', {
        iteration: T,
        numIterations: T,
        epoch: this.epoch,
        numEpochs: this.options.numEpochs,
        loss,
        trainAcc: this.trainAccHistory[this.trainAccHistory.length - 1],
        valAcc: this.valAccHistory[this.valAccHistory.length - 1],
        bestValAcc: this.bestValAcc,
        params,
      });
    }
    return loss;
  }

  /** Accuracy on X (or a with-replacement subsample of it) in chunks gathered into one reused buffer. */
  private accuracy(
    fn: string,
    arg: string,
    X: Tensor,
    y: ArrayLike<number>,
    numSamples: number | null,
    batchSize: number,
  ): number {
    const N = X.shape[0];
    const M = numSamples !== null && N > numSamples ? numSamples : N;
    const rows = M < N ? this.rng.choice(N, M) : null;
    const chunk = Math.min(batchSize, M);
    const buffer = allocate(this.dtype, chunk * this.rowSize);
    const index = new Int32Array(chunk);
    let correct = 0;
    for (let start = 0; start < M; start += chunk) {
      const n = Math.min(chunk, M - start);
      for (let i = 0; i < n; i++) index[i] = rows ? rows[start + i] : start + i;
      const data = n === chunk ? buffer : buffer.subarray(0, n * this.rowSize);
      const bad = gatherRows(X.data, index, n, this.rowSize, data);
      if (bad >= 0) {
        const row = index[Math.floor(bad / this.rowSize)];
        this.fail(
          fn,
          'input',
          `${arg}[${row}]`,
          `holds ${data[bad]} (element ${bad % this.rowSize} of the row)`,
          Math.max(this.iteration, 1),
          false,
        );
      }
      const scores = this.model.loss(new Tensor(data, [n, ...this.sampleShape]));
      if (
        !(scores instanceof Tensor) ||
        scores.ndim !== 2 ||
        scores.shape[0] !== n ||
        scores.shape[1] !== this.numClasses
      ) {
        throw new ShapeError(
          fn,
          'model.loss',
          `returned ${describe(scores)}, expected scores of shape [${n}, ${this.numClasses}]`,
        );
      }
      const s = scores.data;
      const C = this.numClasses;
      for (let i = 0; i < n; i++) {
        // argmax, first maximum wins (numpy's argmax)
        let best = 0;
        let bestScore = s[i * C];
        for (let c = 1; c < C; c++) {
          if (s[i * C + c] > bestScore) {
            bestScore = s[i * C + c];
            best = c;
          }
        }
        if (best === y[index[i]]) correct++;
      }
    }
    return correct / M;
  }

  private restoreBest(): void {
    const params = this.model.params;
    for (const name of Object.keys(this.bestParams)) params[name] = this.bestParams[name].clone();
  }

  /**
   * Restores the best parameters so far and throws a NonFiniteError for `iteration` (1-based).
   * `inStep`: the failure came before the update (the step changed nothing), not in an accuracy check.
   */
  private fail(
    fn: string,
    source: NonFiniteSource,
    arg: string,
    what: string,
    iteration: number,
    inStep: boolean,
  ): never {
    const restored = Object.keys(this.bestParams).length > 0;
    this.restoreBest();
    const epoch = Math.ceil(iteration / this.iterationsPerEpoch);
    const where = `at iteration ${iteration} of ${this.numIterations} (epoch ${epoch} of ${this.options.numEpochs})`;
    const after = restored
      ? `; training stopped and the best parameters so far (val acc ${this.bestValAcc}) are back in the model`
      : inStep
        ? '; training stopped before this step changed any parameter'
        : '; training stopped';
    throw new NonFiniteError(fn, arg, `${what} ${where}${after}`, source, iteration, epoch);
  }

  private result(status: TrainResult['status']): TrainResult {
    return { status, iteration: this.iteration, epoch: this.epoch };
  }

  private storedOptions(): StoredSolverOptions {
    const o = this.options;
    return {
      updateRule: typeof o.updateRule === 'string' ? o.updateRule : null,
      optimConfig: splitConfig('Solver.checkpoint', 'options.optimConfig', o.optimConfig).scalars,
      lrDecay: o.lrDecay,
      batchSize: o.batchSize,
      numEpochs: o.numEpochs,
      numTrainSamples: o.numTrainSamples,
      numValSamples: o.numValSamples,
      checkpointName: o.checkpointName,
      printEvery: o.printEvery,
      verbose: o.verbose,
      seed: o.seed,
    };
  }

  /** Throws a FormatError naming the first stored option or data size that differs from this solver's. */
  private checkCompatible(fn: string, meta: SolverCheckpointMeta): void {
    const mine = this.storedOptions();
    const differ = (what: string, theirs: unknown, ours: unknown) =>
      new FormatError(
        fn,
        'bytes',
        `was made with ${what} ${JSON.stringify(theirs)}, but this solver has ${JSON.stringify(ours)}`,
      );
    for (const key of NUMERIC_OPTIONS) {
      if (meta.options[key] !== mine[key]) throw differ(`options.${key}`, meta.options[key], mine[key]);
    }
    if (
      meta.options.updateRule !== null &&
      mine.updateRule !== null &&
      meta.options.updateRule !== mine.updateRule
    ) {
      throw differ('options.updateRule', meta.options.updateRule, mine.updateRule);
    }
    if (canonicalJson(meta.options.optimConfig) !== canonicalJson(mine.optimConfig)) {
      throw differ('options.optimConfig', meta.options.optimConfig, mine.optimConfig);
    }
    if (meta.data.numTrain !== this.numTrain)
      throw differ('data.XTrain of N =', meta.data.numTrain, this.numTrain);
    if (meta.data.numVal !== this.numVal) throw differ('data.XVal of N =', meta.data.numVal, this.numVal);
    if (!shapesEqual(meta.data.sampleShape, this.sampleShape)) {
      throw differ('examples of shape', meta.data.sampleShape, this.sampleShape);
    }
    if (meta.numIterations !== this.numIterations)
      throw differ('numIterations', meta.numIterations, this.numIterations);
  }
}

// ---- helpers ----

/** Validates the model's shape of things: a params record of same-dtype tensors and a loss function. */
function checkModel(fn: string, model: unknown): { names: string[]; dtype: DType } {
  if (model === null || typeof model !== 'object')
    throw new ValueError(fn, 'model', `must be a Model, got ${describe(model)}`);
  const m = model as Model;
  if (typeof m.loss !== 'function')
    throw new ValueError(fn, 'model.loss', `must be a function, got ${describe(m.loss)}`);
  if (m.params === null || typeof m.params !== 'object') {
    throw new ValueError(fn, 'model.params', `must be an object of tensors, got ${describe(m.params)}`);
  }
  const names = Object.keys(m.params);
  if (names.length === 0) throw new ValueError(fn, 'model.params', 'is empty: there is nothing to train');
  for (const name of names) checkTensor(fn, `model.params.${name}`, m.params[name]);
  const dtype = m.params[names[0]].dtype;
  for (const name of names) {
    if (m.params[name].dtype !== dtype) {
      throw new DTypeError(
        fn,
        `model.params.${name}`,
        `has dtype ${m.params[name].dtype}, expected ${dtype} to match model.params.${names[0]}`,
      );
    }
  }
  return { names, dtype };
}

/** Runs the model on one example in test mode to learn how many classes it scores. */
function probeNumClasses(fn: string, model: Model, x: Tensor, dtype: DType): number {
  const scores = model.loss(x.dtype === dtype ? x : x.astype(dtype));
  if (!(scores instanceof Tensor) || scores.ndim !== 2 || scores.shape[0] !== 1 || scores.shape[1] < 1) {
    throw new ShapeError(
      fn,
      'model.loss',
      `returned ${describe(scores)} for one example, expected scores of shape [1, C]`,
    );
  }
  return scores.shape[1];
}

/**
 * Copies rows `rows[0..n)` of a row-major [N, rowSize] array into `out` (converting dtype if needed).
 * @returns the index in `out` of the first NaN or ±Infinity, or -1
 */
function gatherRows(src: FloatArray, rows: Int32Array, n: number, rowSize: number, out: FloatArray): number {
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return firstNonFinite(out, n * rowSize);
}

/** Index of the first NaN or ±Infinity in a[0..length), or -1. (v - v is 0 exactly for finite v.) */
function firstNonFinite(a: FloatArray, length = a.length): number {
  for (let i = 0; i < length; i++) {
    const v = a[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Splits an optimizer config into JSON scalars and state tensors; anything else cannot be checkpointed. */
function splitConfig(
  fn: string,
  arg: string,
  config: OptimConfig,
): { scalars: Record<string, ConfigScalar>; tensors: Record<string, Tensor> } {
  const scalars: Record<string, ConfigScalar> = {};
  const tensors: Record<string, Tensor> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (value instanceof Tensor) tensors[key] = value;
    else if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      scalars[key] = value;
    } else {
      throw new ValueError(
        fn,
        `${arg}.${key}`,
        `must be a finite number, string, boolean, null or Tensor to be checkpointed, got ${describe(value)}`,
      );
    }
  }
  return { scalars, tensors };
}

function canonicalJson(o: Record<string, ConfigScalar>): string {
  return JSON.stringify(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}
