// A tiny typed event emitter: no Node imports, so the main entry runs in browsers and workers.
import type { Tensor } from '@backprop/tensor';

/** After every iteration (one minibatch gradient step). */
export interface IterationEvent {
  /** 1-based iteration just finished. */
  iteration: number;
  numIterations: number;
  /** Epochs completed after this iteration. */
  epoch: number;
  /** The minibatch loss of this iteration. */
  loss: number;
}

/**
 * After every accuracy check: the first iteration, each epoch end and the last iteration (the same
 * points CS231n prints `(Epoch e / E) train acc …`), so these events match `trainAccHistory` one to one.
 */
export interface EpochEvent {
  /** Epochs completed (0 at the check after the first iteration). */
  epoch: number;
  numEpochs: number;
  /** 1-based iteration the check followed. */
  iteration: number;
  trainAcc: number;
  valAcc: number;
  /** Learning rate the next step will use (after this epoch's decay), or null if the rule has none. */
  learningRate: number | null;
  bestValAcc: number;
}

/** Once, when the last iteration finished and the best parameters were restored into the model. */
export interface DoneEvent {
  iteration: number;
  numIterations: number;
  epoch: number;
  numEpochs: number;
  /** Last minibatch loss. */
  loss: number;
  /** Last entries of the accuracy histories. */
  trainAcc: number;
  valAcc: number;
  bestValAcc: number;
  /** The parameters now in the model (copies of `bestParams`). */
  params: Record<string, Tensor>;
}

/** At each epoch end when `checkpointName` is set; `bytes` is `solver.checkpoint()` at that point. */
export interface CheckpointEvent {
  epoch: number;
  iteration: number;
  /** `${checkpointName}_epoch_${epoch}.safetensors`, the name handed to the checkpoint writer. */
  name: string;
  bytes: Uint8Array;
}

export interface SolverEvents {
  iteration: IterationEvent;
  epoch: EpochEvent;
  done: DoneEvent;
  checkpoint: CheckpointEvent;
}

export type SolverEventName = keyof SolverEvents;
export type SolverListener<K extends SolverEventName> = (event: SolverEvents[K]) => void;

/** Listeners by event name. A listener that throws stops the step that emitted it (like any other bug). */
export class Emitter {
  private readonly listeners: { [K in SolverEventName]: Set<SolverListener<K>> } = {
    iteration: new Set(),
    epoch: new Set(),
    done: new Set(),
    checkpoint: new Set(),
  };

  on<K extends SolverEventName>(name: K, listener: SolverListener<K>): () => void {
    const set = this.listeners[name] as Set<SolverListener<K>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  has(name: SolverEventName): boolean {
    return this.listeners[name].size > 0;
  }

  emit<K extends SolverEventName>(name: K, event: SolverEvents[K]): void {
    for (const listener of [...(this.listeners[name] as Set<SolverListener<K>>)]) listener(event);
  }
}
