// The one error the training loop adds to the tensor core's family: a loss, gradient or input that is
// NaN or ±Infinity. It extends ValueError, so `catch (e) { if (e instanceof ValueError) … }` still sees it.
import { ValueError } from '@backprop/tensor';

/** What turned out non-finite. */
export type NonFiniteSource = 'loss' | 'gradient' | 'input';

/**
 * Training hit a NaN or ±Infinity. Thrown by `Solver.step()` (and so by `train()` / `trainAsync()`)
 * before the bad step changes any parameter; by then the solver has restored the best parameters
 * so far into the model. `iteration` is the 1-based iteration that failed, `epoch` the 1-based epoch it
 * belongs to (ceil(iteration / iterationsPerEpoch)).
 */
export class NonFiniteError extends ValueError {
  override name = 'NonFiniteError';
  constructor(
    fn: string,
    arg: string,
    detail: string,
    /** Which value was non-finite. */
    readonly source: NonFiniteSource,
    /** The 1-based iteration that failed (for an accuracy check: the iteration it followed). */
    readonly iteration: number,
    /** The 1-based epoch of that iteration. */
    readonly epoch: number,
  ) {
    super(fn, arg, detail);
  }
}
