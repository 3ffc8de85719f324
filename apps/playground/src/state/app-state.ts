// The page's state: the experiment being edited and what the worker last reported about its run.
// `applyResponse` folds one worker message into it (pure, so the tests drive it without a DOM);
// `Store` holds the current value and tells the panels when it changes.
import type { ExperimentConfig } from '@backprop/experiment';
import type { AccuracyCheck, GradCheckRow, Response, RunInfo, RunStatus, View } from '../worker/protocol';

export interface AppState {
  /** The experiment shown in the controls and the URL; the worker's run is built from it. */
  config: ExperimentConfig;
  status: RunStatus;
  /** The run the worker built (null while the first one loads). */
  info: RunInfo | null;
  iteration: number;
  epoch: number;
  numIterations: number;
  learningRate: number | null;
  /** Every minibatch loss so far, index = iteration - 1. */
  losses: number[];
  checks: AccuracyCheck[];
  view: View;
  /** The last error the worker (or the page) reported; cleared by the next run. */
  error: string | null;
  /** Notices about the URL (fields that fell back to defaults). */
  notices: string[];
  gradcheck: { rows: GradCheckRow[]; batchSize: number; loss: number } | null;
  /** True while a gradient check is running. */
  checking: boolean;
}

/** The state of a page opened with `config` (and the URL's notices), before the worker answers. */
export function initialState(config: ExperimentConfig, notices: string[] = []): AppState {
  return {
    config,
    status: 'loading',
    info: null,
    iteration: 0,
    epoch: 0,
    numIterations: 0,
    learningRate: null,
    losses: [],
    checks: [],
    view: {},
    error: null,
    notices,
    gradcheck: null,
    checking: false,
  };
}

/** The state after one worker message. Views merge: a progress message without a boundary keeps the last one. */
export function applyResponse(state: AppState, message: Response): AppState {
  switch (message.type) {
    case 'status':
      return {
        ...state,
        status: message.status,
        error: message.status === 'error' ? (message.message ?? state.error) : state.error,
      };
    case 'ready':
      return {
        ...state,
        // Keep the object when nothing changed, so the form is not rebuilt under the user's cursor.
        config:
          JSON.stringify(state.config) === JSON.stringify(message.info.config)
            ? state.config
            : message.info.config,
        status: message.status,
        info: message.info,
        iteration: message.iteration,
        epoch: message.epoch,
        numIterations: message.info.numIterations,
        learningRate: message.learningRate,
        losses: [...message.history.losses],
        checks: [...message.history.checks],
        view: message.view,
        error: null,
        gradcheck: null,
        checking: false,
      };
    case 'progress': {
      const losses = state.losses.slice(0, message.history.lossStart);
      for (const l of message.history.losses) losses.push(l);
      const view: View = { ...state.view, ...message.view };
      // A light progress view has sample predictions but no test accuracy: keep the last full one.
      if (message.view?.test && message.view.test.count === 0 && state.view.test) {
        view.test = { ...state.view.test, samplePredictions: message.view.test.samplePredictions };
      }
      return {
        ...state,
        iteration: message.iteration,
        epoch: message.epoch,
        numIterations: message.numIterations,
        learningRate: message.learningRate,
        losses,
        checks: [...state.checks, ...message.history.checks],
        view,
      };
    }
    case 'gradcheck':
      return {
        ...state,
        gradcheck: { rows: message.rows, batchSize: message.batchSize, loss: message.loss },
        checking: false,
      };
    case 'error':
      return { ...state, status: 'error', error: message.message, checking: false };
    case 'checkpoint':
      return state;
  }
}

/** The current state and its listeners. */
export class Store {
  private value: AppState;
  private readonly listeners = new Set<(state: AppState, previous: AppState) => void>();

  constructor(initial: AppState) {
    this.value = initial;
  }

  get state(): AppState {
    return this.value;
  }

  /** Replaces the state and notifies every listener (with the previous state, to skip unchanged parts). */
  set(next: AppState): void {
    const previous = this.value;
    this.value = next;
    for (const listener of this.listeners) listener(next, previous);
  }

  update(patch: Partial<AppState>): void {
    this.set({ ...this.value, ...patch });
  }

  subscribe(listener: (state: AppState, previous: AppState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
