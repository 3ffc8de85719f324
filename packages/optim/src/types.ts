// The contract every update rule follows (CS231n's optim.py):
//   update(w, dw, config?) -> { nextW, config }
// Hyperparameters and state (velocity, cache, m, v, t) live in the returned config, which the caller
// passes back in on the next step. By default inputs are never mutated, so any config is a valid
// snapshot; a training loop that owns its weights passes `{ inPlace: true }` to skip allocating
// fresh weight and state arrays every step (the numbers are identical either way).
import type { Tensor } from '@backprop/tensor';

/**
 * Every key any rule reads, camelCase versions of CS231n's. Each rule reads its own keys and carries
 * the others through untouched.
 */
export interface OptimConfig {
  /** Step size (all rules). */
  learningRate?: number;
  /** sgdMomentum: fraction of the velocity kept each step, in [0, 1). */
  momentum?: number;
  /** sgdMomentum: running velocity, shaped like w. */
  velocity?: Tensor;
  /** rmsprop: decay of the squared-gradient cache, in [0, 1). */
  decayRate?: number;
  /** rmsprop, adam: added to the denominator to avoid division by zero. */
  epsilon?: number;
  /** rmsprop: moving average of squared gradients, shaped like w. */
  cache?: Tensor;
  /** adam: decay of the first moment, in [0, 1). */
  beta1?: number;
  /** adam: decay of the second moment, in [0, 1). */
  beta2?: number;
  /** adam: first moment (moving average of dw), shaped like w. */
  m?: Tensor;
  /** adam: second moment (moving average of dw²), shaped like w. */
  v?: Tensor;
  /** adam: number of steps taken; incremented before the bias correction. */
  t?: number;
}

/** What an update rule returns: the updated weights and the config to pass to the next step. */
export interface UpdateResult<C extends OptimConfig = OptimConfig> {
  /** w after one step: a new tensor shaped like w, or w itself with `inPlace`. */
  nextW: Tensor;
  /** The input config with every default filled in and the state advanced (a new object). */
  config: C;
}

/** How an update rule may treat its inputs. */
export interface UpdateOptions {
  /**
   * Update w and the config's state tensors in place and return them (`nextW === w`), allocating
   * nothing once the state exists. For training loops that own their weights; default false.
   */
  inPlace?: boolean;
}

/**
 * One optimizer step.
 * @param w - weights, any shape
 * @param dw - gradient of the loss with respect to w, same shape and dtype
 * @param config - hyperparameters and state from the previous step (defaults filled in when missing)
 * @param options - `{ inPlace }`: see {@link UpdateOptions}
 */
export type UpdateRule = (
  w: Tensor,
  dw: Tensor,
  config?: OptimConfig,
  options?: UpdateOptions,
) => UpdateResult;

/** The names of the built-in rules. */
export type UpdateRuleName = 'sgd' | 'sgdMomentum' | 'rmsprop' | 'adam';
