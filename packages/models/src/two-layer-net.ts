// TwoLayerNet (CS231n fc_net.py): affine - relu - affine - softmax.
// loss = softmax(X·W1 + b1 → relu → ·W2 + b2) + 0.5·reg·(Σ W1² + Σ W2²).
import { affineBackward, affineForward, affineReluBackward, affineReluForward } from '@backprop/layers';
import { softmaxLoss } from '@backprop/losses';
import { checkLabels, type DType, Rng, randn, type Tensor, zeros } from '@backprop/tensor';
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

/** The full, JSON-safe configuration of a TwoLayerNet (what a checkpoint records). */
export interface TwoLayerNetConfig {
  /** Features per example, D. Default 3·32·32. */
  inputDim: number;
  /** Hidden units, H. Default 100. */
  hiddenDim: number;
  /** Classes, C. Default 10. */
  numClasses: number;
  /** Standard deviation of the initial weights. Default 1e-3. */
  weightScale: number;
  /** L2 strength: the loss adds 0.5·reg·Σ W². Default 0. */
  reg: number;
  /** Default 'float32'. */
  dtype: DType;
  /** Seeds the weight initialisation. Default 0. */
  seed: number;
}

export type TwoLayerNetOptions = Partial<TwoLayerNetConfig>;

const OPTIONS: readonly (keyof TwoLayerNetConfig)[] = [
  'inputDim',
  'hiddenDim',
  'numClasses',
  'weightScale',
  'reg',
  'dtype',
  'seed',
];

const DEFAULTS = {
  inputDim: 3 * 32 * 32,
  hiddenDim: 100,
  numClasses: 10,
  weightScale: 1e-3,
  ...COMMON_DEFAULTS,
} as const;

/**
 * A two-layer fully-connected network with ReLU and a softmax loss.
 * Parameters: W1 [D, H], b1 [H], W2 [H, C], b2 [C]; weights drawn from N(0, weightScale²) with
 * `new Rng(seed)`, biases zero.
 *
 * @example
 * const net = new TwoLayerNet({ inputDim: 4, hiddenDim: 8, numClasses: 3, dtype: 'float64' });
 * const scores = net.loss(X);                 // [N, 3], test mode
 * const { loss, grads } = net.loss(X, y);     // grads.W1 [4, 8], …
 */
export class TwoLayerNet implements Model {
  readonly kind = 'two-layer' as const;
  readonly config: Readonly<TwoLayerNetConfig>;
  params: Record<string, Tensor>;
  /** The shape of every parameter, by name (the keys of `params`). */
  readonly paramShapes: Readonly<Record<string, readonly number[]>>;
  /** The shape of every state tensor: none. */
  readonly stateShapes: Readonly<Record<string, readonly number[]>> = {};

  /** Every option, in the order a config lists them. @internal */
  static readonly OPTIONS: readonly string[] = OPTIONS;

  /**
   * Validates `options` as the constructor does (same errors) and returns the full, frozen config.
   * @param defaults - true (the constructor): an absent or null option takes its default; false (a
   *   checkpoint, which records every option): every option must be present and valid as it is
   * @internal
   */
  static resolveConfig(options: unknown, defaults = true): TwoLayerNetConfig {
    const fn = 'TwoLayerNet';
    const o = readOptions(fn, options, OPTIONS, defaults ? DEFAULTS : null);
    const inputDim = checkSize(fn, 'options.inputDim', o.inputDim);
    const hiddenDim = checkSize(fn, 'options.hiddenDim', o.hiddenDim);
    const numClasses = checkSize(fn, 'options.numClasses', o.numClasses);
    const common = checkCommonOptions(fn, o);
    return Object.freeze({ inputDim, hiddenDim, numClasses, ...common });
  }

  /** The parameter (and, none, state) shapes a valid config implies; allocates nothing. @internal */
  static shapes(config: Readonly<TwoLayerNetConfig>): ModelShapes {
    const { inputDim, hiddenDim, numClasses } = config;
    return {
      paramShapes: {
        W1: [inputDim, hiddenDim],
        b1: [hiddenDim],
        W2: [hiddenDim, numClasses],
        b2: [numClasses],
      },
      stateShapes: {},
    };
  }

  /**
   * A model with these exact tensors (it owns them: no copies) instead of a random initialisation.
   * Checks them against the config's shapes and dtype. Used by the checkpoint loaders.
   * @internal
   */
  static fromTensors(
    config: Readonly<TwoLayerNetConfig>,
    params: Record<string, Tensor>,
    state: ModelState,
  ): TwoLayerNet {
    return constructFromTensors(TwoLayerNet, config, params, state);
  }

  /**
   * Validates `options` (absent or null ones take the defaults in the config's docs) and draws W1 and W2 from `new Rng(seed)`.
   * @throws ValueError / DTypeError naming the first invalid option
   */
  constructor(options?: TwoLayerNetOptions);
  constructor(options: TwoLayerNetOptions = {}, tensors?: ModelTensors) {
    this.config = TwoLayerNet.resolveConfig(options);
    const { dtype, weightScale, seed } = this.config;
    const shapes = TwoLayerNet.shapes(this.config);
    this.paramShapes = shapes.paramShapes;
    if (tensors !== undefined) {
      this.params = checkModelTensors('TwoLayerNet.fromTensors', tensors, shapes, dtype, false);
      return;
    }
    const rng = new Rng(seed);
    this.params = {
      W1: randn(this.paramShapes.W1, { rng, dtype, std: weightScale }),
      b1: zeros(this.paramShapes.b1, dtype),
      W2: randn(this.paramShapes.W2, { rng, dtype, std: weightScale }),
      b2: zeros(this.paramShapes.b2, dtype),
    };
  }

  /**
   * Test mode: the class scores.
   * @param X - inputs, shape [N, D] (or [N, d1, …, dk] with D features); cast to the model's dtype if needed
   * @returns scores, shape [N, C]
   */
  loss(X: Tensor): Tensor;
  /**
   * Train mode: the softmax loss plus the L2 term, and the gradient of every parameter.
   * @param X - inputs, shape [N, D]
   * @param y - N labels in [0, C)
   */
  loss(X: Tensor, y: ArrayLike<number>): LossResult;
  loss(X: Tensor, y?: ArrayLike<number> | null): Tensor | LossResult {
    const fn = 'TwoLayerNet.loss';
    const { inputDim, numClasses, reg, dtype } = this.config;
    const x = checkInput(fn, X, dtype, [inputDim], false);
    if (y != null) checkLabels(fn, 'y', y, x.shape[0], numClasses);
    checkParams(fn, this.params, this.paramShapes, dtype);
    const { W1, b1, W2, b2 } = this.params;

    const hidden = affineReluForward(x, W1, b1);
    const scores = affineForward(hidden.out, W2, b2);
    if (y == null) return scores.out;

    const { loss: dataLoss, dx: dscores } = softmaxLoss(scores.out, y);
    const g2 = affineBackward(dscores, scores.cache);
    // The input needs no gradient: the first layer skips its dx GEMM.
    const g1 = affineReluBackward(g2.dx, hidden.cache, { computeDx: false });
    const loss = dataLoss + addL2(reg, W1, g1.dw) + addL2(reg, W2, g2.dw);
    return { loss, grads: { W1: g1.dw, b1: g1.db, W2: g2.dw, b2: g2.db } };
  }

  /** This model has no state besides its parameters: `{ tensors: {}, rng: null }`. */
  getState(): ModelState {
    return { tensors: {}, rng: null };
  }

  /** Accepts only the empty state `getState()` returns (validated, for symmetry with the other models). */
  setState(state: ModelState): void {
    checkState('TwoLayerNet.setState', state, {}, this.config.dtype, false);
  }
}
