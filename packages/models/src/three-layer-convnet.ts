// ThreeLayerConvNet (CS231n cnn.py): conv - relu - 2x2 max pool - affine - relu - affine - softmax.
// The conv keeps the spatial size (stride 1, pad (filterSize-1)/2); the pool halves it. Built on the fast
// (im2col + GEMM) layers; the first layer's backward skips dx, which the model never needs.
import {
  affineBackward,
  affineForward,
  affineReluBackward,
  affineReluForward,
  convReluPoolBackward,
  convReluPoolForward,
} from '@backprop/layers';
import { softmaxLoss } from '@backprop/losses';
import {
  checkLabels,
  type DType,
  describe,
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

/** The full, JSON-safe configuration of a ThreeLayerConvNet (what a checkpoint records). */
export interface ThreeLayerConvNetConfig {
  /** One example's shape [C, H, W]; H and W even (the 2x2 pool halves them). Default [3, 32, 32]. */
  inputDim: [number, number, number];
  /** Conv filters, F. Default 32. */
  numFilters: number;
  /** Filter height and width, odd so that padding (filterSize-1)/2 keeps the size. Default 7. */
  filterSize: number;
  /** Hidden affine units. Default 100. */
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

export type ThreeLayerConvNetOptions = Partial<ThreeLayerConvNetConfig>;

const OPTIONS: readonly (keyof ThreeLayerConvNetConfig)[] = [
  'inputDim',
  'numFilters',
  'filterSize',
  'hiddenDim',
  'numClasses',
  'weightScale',
  'reg',
  'dtype',
  'seed',
];

const DEFAULTS = {
  inputDim: Object.freeze([3, 32, 32]),
  numFilters: 32,
  filterSize: 7,
  hiddenDim: 100,
  numClasses: 10,
  weightScale: 1e-3,
  ...COMMON_DEFAULTS,
} as const;

const POOL = { poolHeight: 2, poolWidth: 2, stride: 2 };

/**
 * A three-layer convolutional network.
 * Parameters: W1 [F, C, fs, fs], b1 [F], W2 [F·H/2·W/2, hiddenDim], b2 [hiddenDim],
 * W3 [hiddenDim, numClasses], b3 [numClasses]; weights ~ N(0, weightScale²) from `new Rng(seed)`, biases zero.
 */
export class ThreeLayerConvNet implements Model {
  readonly kind = 'convnet' as const;
  readonly config: Readonly<ThreeLayerConvNetConfig>;
  params: Record<string, Tensor>;
  /** The shape of every parameter, by name (the keys of `params`). */
  readonly paramShapes: Readonly<Record<string, readonly number[]>>;
  /** The shape of every state tensor: none. */
  readonly stateShapes: Readonly<Record<string, readonly number[]>> = {};
  private readonly convParam: { stride: number; pad: number };

  /** Every option, in the order a config lists them. @internal */
  static readonly OPTIONS: readonly string[] = OPTIONS;

  /**
   * Validates `options` as the constructor does (same errors) and returns the full, frozen config.
   * @param defaults - true (the constructor): an absent or null option takes its default; false (a
   *   checkpoint, which records every option): every option must be present and valid as it is
   * @internal
   */
  static resolveConfig(options: unknown, defaults = true): ThreeLayerConvNetConfig {
    const fn = 'ThreeLayerConvNet';
    const o = readOptions(fn, options, OPTIONS, defaults ? DEFAULTS : null);
    const dim = o.inputDim;
    if (!Array.isArray(dim) || dim.length !== 3) {
      throw new ValueError(fn, 'options.inputDim', `must be [C, H, W], got ${describe(dim)}`);
    }
    const C = checkSize(fn, 'options.inputDim[0]', dim[0]);
    const H = checkSize(fn, 'options.inputDim[1]', dim[1]);
    const W = checkSize(fn, 'options.inputDim[2]', dim[2]);
    if (H % 2 !== 0 || W % 2 !== 0) {
      throw new ValueError(
        fn,
        'options.inputDim',
        `must have even H and W for the 2x2 stride-2 max pool, got [${C}, ${H}, ${W}]`,
      );
    }
    const numFilters = checkSize(fn, 'options.numFilters', o.numFilters);
    const filterSize = checkSize(fn, 'options.filterSize', o.filterSize);
    if (filterSize % 2 !== 1) {
      throw new ValueError(
        fn,
        'options.filterSize',
        `must be odd so that padding (filterSize-1)/2 keeps the input size, got ${filterSize}`,
      );
    }
    const hiddenDim = checkSize(fn, 'options.hiddenDim', o.hiddenDim);
    const numClasses = checkSize(fn, 'options.numClasses', o.numClasses);
    const common = checkCommonOptions(fn, o);
    const inputDim: [number, number, number] = [C, H, W];
    Object.freeze(inputDim);
    return Object.freeze({ inputDim, numFilters, filterSize, hiddenDim, numClasses, ...common });
  }

  /** The parameter (and, none, state) shapes a valid config implies; allocates nothing. @internal */
  static shapes(config: Readonly<ThreeLayerConvNetConfig>): ModelShapes {
    const { inputDim, numFilters, filterSize, hiddenDim, numClasses } = config;
    const [C, H, W] = inputDim;
    return {
      paramShapes: {
        W1: [numFilters, C, filterSize, filterSize],
        b1: [numFilters],
        W2: [numFilters * (H / 2) * (W / 2), hiddenDim],
        b2: [hiddenDim],
        W3: [hiddenDim, numClasses],
        b3: [numClasses],
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
    config: Readonly<ThreeLayerConvNetConfig>,
    params: Record<string, Tensor>,
    state: ModelState,
  ): ThreeLayerConvNet {
    return constructFromTensors(ThreeLayerConvNet, config, params, state);
  }

  /**
   * Validates `options` (absent or null ones take the defaults in the config's docs) and draws W1, W2 and W3 from `new Rng(seed)`.
   * @throws ValueError / DTypeError naming the first invalid option
   */
  constructor(options?: ThreeLayerConvNetOptions);
  constructor(options: ThreeLayerConvNetOptions = {}, tensors?: ModelTensors) {
    this.config = ThreeLayerConvNet.resolveConfig(options);
    const { dtype, weightScale, seed, filterSize } = this.config;
    this.convParam = { stride: 1, pad: (filterSize - 1) / 2 };
    const shapes = ThreeLayerConvNet.shapes(this.config);
    this.paramShapes = shapes.paramShapes;
    if (tensors !== undefined) {
      this.params = checkModelTensors('ThreeLayerConvNet.fromTensors', tensors, shapes, dtype, false);
      return;
    }
    const rng = new Rng(seed);
    this.params = {};
    for (const name in this.paramShapes) {
      this.params[name] = name.startsWith('W')
        ? randn(this.paramShapes[name], { rng, dtype, std: weightScale })
        : zeros(this.paramShapes[name], dtype);
    }
  }

  /**
   * Test mode: the class scores.
   * @param X - inputs, shape [N, C, H, W]; cast to the model's dtype if needed
   * @returns scores, shape [N, numClasses]
   */
  loss(X: Tensor): Tensor;
  /**
   * Train mode: the softmax loss plus the L2 term, and the gradient of every parameter.
   * @param X - inputs, shape [N, C, H, W]
   * @param y - N labels in [0, numClasses)
   */
  loss(X: Tensor, y: ArrayLike<number>): LossResult;
  loss(X: Tensor, y?: ArrayLike<number> | null): Tensor | LossResult {
    const fn = 'ThreeLayerConvNet.loss';
    const { inputDim, numClasses, reg, dtype } = this.config;
    const x = checkInput(fn, X, dtype, inputDim, true);
    if (y != null) checkLabels(fn, 'y', y, x.shape[0], numClasses);
    checkParams(fn, this.params, this.paramShapes, dtype);
    const { W1, b1, W2, b2, W3, b3 } = this.params;

    const conv = convReluPoolForward(x, W1, b1, this.convParam, POOL);
    const hidden = affineReluForward(conv.out, W2, b2);
    const scores = affineForward(hidden.out, W3, b3);
    if (y == null) return scores.out;

    const { loss: dataLoss, dx: dscores } = softmaxLoss(scores.out, y);
    const g3 = affineBackward(dscores, scores.cache);
    const g2 = affineReluBackward(g3.dx, hidden.cache);
    const g1 = convReluPoolBackward(g2.dx, conv.cache, { computeDx: false });
    const loss = dataLoss + addL2(reg, W1, g1.dw) + addL2(reg, W2, g2.dw) + addL2(reg, W3, g3.dw);
    return { loss, grads: { W1: g1.dw, b1: g1.db, W2: g2.dw, b2: g2.db, W3: g3.dw, b3: g3.db } };
  }

  /** This model has no state besides its parameters: `{ tensors: {}, rng: null }`. */
  getState(): ModelState {
    return { tensors: {}, rng: null };
  }

  /** Accepts only the empty state `getState()` returns (validated, for symmetry with the other models). */
  setState(state: ModelState): void {
    checkState('ThreeLayerConvNet.setState', state, {}, this.config.dtype, false);
  }
}
