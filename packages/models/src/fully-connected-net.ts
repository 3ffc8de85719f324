// FullyConnectedNet (CS231n fc_net.py): {affine - [batch/layer norm] - relu - [dropout]} x (L-1) - affine - softmax.
// loss = softmax loss of the scores + 0.5·reg·Σ_l Σ W_l² (weights only; biases, gamma and beta are not penalised).
import {
  type AffineNormReluCache,
  type AffineReluCache,
  affineBackward,
  affineForward,
  affineNormReluBackward,
  affineNormReluForward,
  affineReluBackward,
  affineReluForward,
  type BatchnormParam,
  type DropoutCache,
  dropoutBackward,
  dropoutForward,
  type LayernormParam,
  type Normalization,
} from '@backprop/layers';
import { softmaxLoss } from '@backprop/losses';
import {
  checkLabels,
  checkNumber,
  type DType,
  describe,
  ones,
  Rng,
  randn,
  type Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import {
  addL2,
  COMMON_DEFAULTS,
  checkCommonOptions,
  checkInput,
  checkModelTensors,
  checkParams,
  checkSize,
  checkState,
  constructFromTensors,
  type LossResult,
  type Model,
  type ModelShapes,
  type ModelState,
  type ModelTensors,
  readOptions,
} from './model';

/** The full, JSON-safe configuration of a FullyConnectedNet (what a checkpoint records). */
export interface FullyConnectedNetConfig {
  /** Width of each hidden layer; L = hiddenDims.length + 1 affine layers. May be empty (softmax regression). */
  hiddenDims: number[];
  /** Features per example, D. Default 3·32·32. */
  inputDim: number;
  /** Classes, C. Default 10. */
  numClasses: number;
  /** Dropout KEEP probability in (0, 1]; 1 (the default) turns dropout off. */
  dropout: number;
  /** The normalisation after each hidden affine layer: 'batchnorm', 'layernorm' or null (none, the default). */
  normalization: Normalization | null;
  /** L2 strength: the loss adds 0.5·reg·Σ W². Default 0. */
  reg: number;
  /** Standard deviation of the initial weights. Default 1e-2. */
  weightScale: number;
  /** Default 'float32'. */
  dtype: DType;
  /** Seeds the weight initialisation and the dropout masks. Default 0. */
  seed: number;
}

export type FullyConnectedNetOptions = Partial<FullyConnectedNetConfig> & { hiddenDims: number[] };

const OPTIONS: readonly (keyof FullyConnectedNetConfig)[] = [
  'hiddenDims',
  'inputDim',
  'numClasses',
  'dropout',
  'normalization',
  'reg',
  'weightScale',
  'dtype',
  'seed',
];

/** Every option but hiddenDims (required) has a default. */
const DEFAULTS = {
  inputDim: 3 * 32 * 32,
  numClasses: 10,
  dropout: 1,
  normalization: null,
  weightScale: 1e-2,
  ...COMMON_DEFAULTS,
} as const;

/**
 * A fully-connected network of any depth with optional batch/layer normalisation and dropout.
 *
 * Parameters: W1 [D, H1], b1 [H1], …, WL [H(L-1), C], bL [C]; with normalisation also gamma1..gamma(L-1)
 * (ones) and beta1..beta(L-1) (zeros), shape [Hi]. Weights ~ N(0, weightScale²).
 *
 * Non-parameter state (`getState`/`setState`, saved in checkpoints): the batchnorm running statistics
 * `bn<i>.runningMean` / `bn<i>.runningVar` (zeros at first, as in CS231n) and the model's own `Rng`
 * (seeded from `seed`, first used for the initial weights) that draws the dropout masks, so a training
 * run is reproducible from the seed. `loss(X)` runs in test mode (no dropout, running statistics);
 * `loss(X, y)` in train mode (fresh dropout masks, batch statistics, running statistics updated).
 */
export class FullyConnectedNet implements Model {
  readonly kind = 'fc' as const;
  readonly config: Readonly<FullyConnectedNetConfig>;
  params: Record<string, Tensor>;
  /** Number of affine layers, L = hiddenDims.length + 1. */
  readonly numLayers: number;
  /** The shape of every parameter, by name (the keys of `params`). */
  readonly paramShapes: Readonly<Record<string, readonly number[]>>;
  /** The shape of every state tensor, by name (the keys of `getState().tensors`). */
  readonly stateShapes: Readonly<Record<string, readonly number[]>>;
  /** One per hidden layer with batchnorm; batchnormForward writes the running statistics back into them. */
  private readonly bnParams: (BatchnormParam & { runningMean: Tensor; runningVar: Tensor })[] = [];
  private readonly rng: Rng;

  /** Every option, in the order a config lists them. @internal */
  static readonly OPTIONS: readonly string[] = OPTIONS;

  /**
   * Validates `options` as the constructor does (same errors) and returns the full, frozen config.
   * @param defaults - true (the constructor): an absent or null option takes its default; false (a
   *   checkpoint, which records every option): every option must be present and valid as it is
   *   (`normalization: null` is then a value, not a default)
   * @internal
   */
  static resolveConfig(options: unknown, defaults = true): FullyConnectedNetConfig {
    const fn = 'FullyConnectedNet';
    const o = readOptions(fn, options, OPTIONS, defaults ? DEFAULTS : null);
    if (!Array.isArray(o.hiddenDims)) {
      throw new ValueError(
        fn,
        'options.hiddenDims',
        `must be an array of layer widths, got ${describe(o.hiddenDims)}`,
      );
    }
    const widths: unknown[] = o.hiddenDims;
    const hiddenDims: number[] = [];
    for (let i = 0; i < widths.length; i++)
      hiddenDims.push(checkSize(fn, `options.hiddenDims[${i}]`, widths[i]));
    const inputDim = checkSize(fn, 'options.inputDim', o.inputDim);
    const numClasses = checkSize(fn, 'options.numClasses', o.numClasses);
    const dropout = checkNumber(fn, 'options.dropout', o.dropout, { greaterThan: 0, max: 1 });
    const normalization = o.normalization as Normalization | null;
    if (normalization !== null && normalization !== 'batchnorm' && normalization !== 'layernorm') {
      throw new ValueError(
        fn,
        'options.normalization',
        `must be null, 'batchnorm' or 'layernorm', got ${describe(normalization)}`,
      );
    }
    const common = checkCommonOptions(fn, o);
    Object.freeze(hiddenDims);
    return Object.freeze({ hiddenDims, inputDim, numClasses, dropout, normalization, ...common });
  }

  /**
   * The parameter and state shapes a valid config implies, in creation order (layer by layer: W, b,
   * then gamma, beta; batchnorm running statistics as state); allocates nothing.
   * @internal
   */
  static shapes(config: Readonly<FullyConnectedNetConfig>): ModelShapes {
    const { hiddenDims, normalization } = config;
    const dims = [config.inputDim, ...hiddenDims, config.numClasses];
    const L = hiddenDims.length + 1;
    const paramShapes: Record<string, number[]> = {};
    const stateShapes: Record<string, number[]> = {};
    for (let l = 1; l <= L; l++) {
      const [fanIn, fanOut] = [dims[l - 1], dims[l]];
      paramShapes[`W${l}`] = [fanIn, fanOut];
      paramShapes[`b${l}`] = [fanOut];
      if (normalization !== null && l < L) {
        paramShapes[`gamma${l}`] = [fanOut];
        paramShapes[`beta${l}`] = [fanOut];
      }
      if (normalization === 'batchnorm' && l < L) {
        stateShapes[`bn${l}.runningMean`] = [fanOut];
        stateShapes[`bn${l}.runningVar`] = [fanOut];
      }
    }
    return { paramShapes, stateShapes };
  }

  /**
   * A model with these exact tensors instead of a random initialisation: it owns `params` and the
   * state tensors (no copies) and continues from `state.rng`. Checks them against the config's shapes
   * and dtype. Used by the checkpoint loaders.
   * @internal
   */
  static fromTensors(
    config: Readonly<FullyConnectedNetConfig>,
    params: Record<string, Tensor>,
    state: ModelState,
  ): FullyConnectedNet {
    return constructFromTensors(FullyConnectedNet, config, params, state);
  }

  /**
   * Validates `options` (absent or null ones take the defaults in the config's docs) and draws the weights layer by layer from the model's own `Rng(seed)`.
   * @throws ValueError / DTypeError naming the first invalid option
   */
  constructor(options: FullyConnectedNetOptions);
  constructor(options: FullyConnectedNetOptions, tensors?: ModelTensors) {
    this.config = FullyConnectedNet.resolveConfig(options);
    const { dtype, weightScale, seed, hiddenDims } = this.config;
    const shapes = FullyConnectedNet.shapes(this.config);
    this.paramShapes = shapes.paramShapes;
    this.stateShapes = shapes.stateShapes;
    this.numLayers = hiddenDims.length + 1;
    this.rng = new Rng(seed);

    if (tensors !== undefined) {
      this.params = checkModelTensors('FullyConnectedNet.fromTensors', tensors, shapes, dtype, true);
      this.rng.setState(tensors.state.rng as NonNullable<ModelState['rng']>);
    } else {
      // The weights in layer order from the model's own generator, so they are a function of the seed.
      this.params = {};
      for (const [name, shape] of Object.entries(this.paramShapes)) {
        this.params[name] = name.startsWith('W')
          ? randn(shape, { rng: this.rng, dtype, std: weightScale })
          : name.startsWith('gamma')
            ? ones(shape, dtype)
            : zeros(shape, dtype);
      }
    }
    const state = tensors?.state.tensors;
    for (let l = 1; l < this.numLayers && this.config.normalization === 'batchnorm'; l++) {
      const [mean, variance] = [`bn${l}.runningMean`, `bn${l}.runningVar`];
      this.bnParams.push({
        mode: 'train',
        runningMean: state?.[mean] ?? zeros(this.stateShapes[mean], dtype),
        runningVar: state?.[variance] ?? zeros(this.stateShapes[variance], dtype),
      });
    }
  }

  /**
   * Test mode: the class scores (no dropout; batchnorm uses its running statistics).
   * @param X - inputs, shape [N, D] (or [N, d1, …, dk] with D features); cast to the model's dtype if needed
   * @returns scores, shape [N, C]
   */
  loss(X: Tensor): Tensor;
  /**
   * Train mode: the softmax loss plus the L2 term, and the gradient of every parameter. Draws fresh
   * dropout masks from the model's Rng and updates the batchnorm running statistics.
   * @param X - inputs, shape [N, D]
   * @param y - N labels in [0, C)
   */
  loss(X: Tensor, y: ArrayLike<number>): LossResult;
  loss(X: Tensor, y?: ArrayLike<number> | null): Tensor | LossResult {
    const fn = 'FullyConnectedNet.loss';
    const { inputDim, numClasses, reg, dtype, dropout, normalization } = this.config;
    const x = checkInput(fn, X, dtype, [inputDim], false);
    const train = y != null;
    if (train) checkLabels(fn, 'y', y, x.shape[0], numClasses);
    checkParams(fn, this.params, this.paramShapes, dtype);
    const mode = train ? 'train' : 'test';
    const useDropout = train && dropout !== 1;
    const L = this.numLayers;
    const p = this.params;

    // Forward: keep each layer's cache for the backward pass.
    const reluCaches: AffineReluCache[] = [];
    const normCaches: AffineNormReluCache[] = [];
    const dropCaches: DropoutCache[] = [];
    let h = x;
    for (let l = 1; l < L; l++) {
      if (normalization === null) {
        const r = affineReluForward(h, p[`W${l}`], p[`b${l}`]);
        h = r.out;
        reluCaches.push(r.cache);
      } else {
        let normParam: BatchnormParam | LayernormParam = {};
        if (normalization === 'batchnorm') {
          normParam = this.bnParams[l - 1];
          this.bnParams[l - 1].mode = mode;
        }
        const r = affineNormReluForward(
          h,
          p[`W${l}`],
          p[`b${l}`],
          p[`gamma${l}`],
          p[`beta${l}`],
          normParam,
          normalization,
        );
        h = r.out;
        normCaches.push(r.cache);
      }
      if (useDropout) {
        const r = dropoutForward(h, { p: dropout, mode: 'train', rng: this.rng });
        h = r.out;
        dropCaches.push(r.cache);
      }
    }
    const last = affineForward(h, p[`W${L}`], p[`b${L}`]);
    if (!train) return last.out;

    // Backward, last layer first.
    const { loss: dataLoss, dx: dscores } = softmaxLoss(last.out, y);
    const grads: Record<string, Tensor> = {};
    // The input needs no gradient: layer 1's backward skips its dx GEMM (dx is null there).
    const gl = affineBackward(dscores, last.cache, { computeDx: L > 1 });
    grads[`W${L}`] = gl.dw;
    grads[`b${L}`] = gl.db;
    let loss = dataLoss + addL2(reg, p[`W${L}`], gl.dw);
    let dout = gl.dx;
    for (let l = L - 1; l >= 1; l--) {
      const upstream = dout as Tensor; // non-null: only layer 1 skips dx
      const opts = { computeDx: l > 1 };
      const dh = useDropout ? dropoutBackward(upstream, dropCaches[l - 1]).dx : upstream;
      if (normalization === null) {
        const g = affineReluBackward(dh, reluCaches[l - 1], opts);
        grads[`W${l}`] = g.dw;
        grads[`b${l}`] = g.db;
        dout = g.dx;
      } else {
        const g = affineNormReluBackward(dh, normCaches[l - 1], opts);
        grads[`W${l}`] = g.dw;
        grads[`b${l}`] = g.db;
        grads[`gamma${l}`] = g.dgamma;
        grads[`beta${l}`] = g.dbeta;
        dout = g.dx;
      }
      loss += addL2(reg, p[`W${l}`], grads[`W${l}`]);
    }
    return { loss, grads };
  }

  /** A snapshot (copies) of the running statistics and of the dropout generator's state. */
  getState(): ModelState {
    const tensors: Record<string, Tensor> = {};
    this.bnParams.forEach((bn, i) => {
      tensors[`bn${i + 1}.runningMean`] = bn.runningMean.clone();
      tensors[`bn${i + 1}.runningVar`] = bn.runningVar.clone();
    });
    return { tensors, rng: this.rng.getState() };
  }

  /**
   * Restores a snapshot from `getState()` (copied in). Validates everything first: exactly this model's
   * state tensors, their shapes and dtype, and the rng state; on error nothing changes.
   */
  setState(state: ModelState): void {
    const s = checkState('FullyConnectedNet.setState', state, this.stateShapes, this.config.dtype, true);
    this.bnParams.forEach((bn, i) => {
      bn.runningMean = s.tensors[`bn${i + 1}.runningMean`].clone();
      bn.runningVar = s.tensors[`bn${i + 1}.runningVar`].clone();
    });
    this.rng.setState(s.rng as NonNullable<ModelState['rng']>);
  }
}
