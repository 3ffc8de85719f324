// The gradient-check panel's work: the current model's analytic gradients against centred
// differences of its loss, parameter by parameter, on a float64 copy (float32 rounding alone would
// give relative errors near 1e-3). The training model is never touched.
import { buildModel, cloneConfig, type ExperimentConfig, type PreparedData } from '@backprop/experiment';
import { evalNumericalGradient, gradCheckSparse, relError } from '@backprop/gradcheck';
import type { Model, ModelState } from '@backprop/models';
import { checkNumber, Rng, type Tensor } from '@backprop/tensor';
import type { GradCheckRow } from './protocol';

/** Parameters with at most this many entries are checked at every coordinate; larger ones sparsely. */
export const FULL_CHECK_LIMIT = 64;

export interface GradCheckOptions {
  /** Training examples in the batch (the first ones of the training split). Default 4. */
  batchSize?: number;
  /** Random coordinates per large parameter. Default 10. */
  numChecks?: number;
}

interface Stateful {
  getState(): ModelState;
  setState(state: ModelState): void;
}

/**
 * Compares the gradients of `model`'s loss on the first `batchSize` training examples with
 * numerical ones: every coordinate of small parameters (biases), `numChecks` random coordinates of
 * the others (CS231n's grad_check_sparse). The model is rebuilt in float64 from `config` with the
 * current parameter values; its state (dropout generator, batchnorm statistics) is reset before
 * every evaluation, so dropout masks are the same in every evaluation and the loss is a function
 * of the parameters alone.
 * @returns one row per parameter with the largest relative error found, and the loss at the point checked
 */
export function runGradCheck(
  config: ExperimentConfig,
  model: Model,
  data: PreparedData,
  options: GradCheckOptions = {},
): { rows: GradCheckRow[]; batchSize: number; loss: number } {
  const fn = 'gradcheck';
  const batchSize = Math.min(
    checkNumber(fn, 'batchSize', options.batchSize ?? 4, { integer: true, min: 1 }),
    data.XTrain.shape[0],
  );
  const numChecks = checkNumber(fn, 'numChecks', options.numChecks ?? 10, { integer: true, min: 1 });
  const config64 = cloneConfig(config);
  config64.model.dtype = 'float64';
  const check = buildModel(config64, data.inputShape, data.numClasses);
  for (const [name, t] of Object.entries(model.params)) check.params[name] = t.astype('float64');
  const X = data.XTrain.slice(0, batchSize).astype('float64');
  const y = data.yTrain.slice(0, batchSize);
  const stateful = check as Partial<Stateful>;
  const state0 = stateful.getState?.();
  const loss = (): { loss: number; grads: Record<string, Tensor> } => {
    if (state0) stateful.setState?.(state0);
    return check.loss(X, y);
  };
  const analytic = loss();
  const rows: GradCheckRow[] = [];
  const rng = new Rng(config.seed);
  for (const [name, param] of Object.entries(check.params)) {
    const grad = analytic.grads[name];
    const f = () => loss().loss;
    if (param.size <= FULL_CHECK_LIMIT) {
      const numerical = evalNumericalGradient(f, param);
      rows.push({
        param: name,
        shape: [...param.shape],
        checked: param.size,
        maxRelError: relError(numerical, grad),
        method: 'full',
      });
    } else {
      const checks = gradCheckSparse(f, param, grad, { numChecks, rng });
      rows.push({
        param: name,
        shape: [...param.shape],
        checked: checks.length,
        maxRelError: Math.max(...checks.map((c) => c.relError)),
        method: 'sparse',
      });
    }
  }
  return { rows, batchSize, loss: analytic.loss };
}
