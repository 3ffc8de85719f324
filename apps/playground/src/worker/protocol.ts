// The messages between the page and the trainer worker. The worker owns the data, the model and
// the Solver; the page only sends intents (init, play, pause, step, …) and draws what comes back.
// Everything here is structured-clone friendly: plain objects, numbers, strings and typed arrays.
import type { ExperimentConfig } from '@backprop/experiment';

/** Page → worker. */
export type Request =
  /** (Re)build data, model and Solver from `config`; the worker answers 'ready' (or 'error'). */
  | { type: 'init'; config: ExperimentConfig }
  /** Train until done or paused, posting 'progress' as it goes. */
  | { type: 'play' }
  /** Stop after the current iteration (the run stays resumable). */
  | { type: 'pause' }
  /** Run `count` iterations (default 1) while not playing. */
  | { type: 'step'; count?: number }
  /** Numerical gradient check of the current model on a small batch, in float64. */
  | { type: 'gradcheck'; batchSize?: number; numChecks?: number }
  /** The whole run as a checkpoint file (the format `backprop eval` reads). */
  | { type: 'checkpoint' }
  /** Continue the run saved in a checkpoint file (its own experiment config is used). */
  | { type: 'load'; bytes: Uint8Array; fileName?: string };

/** Where the run stands. */
export type RunStatus = 'loading' | 'ready' | 'running' | 'paused' | 'done' | 'error';

/** What the page needs to know about a freshly built run. */
export interface RunInfo {
  config: ExperimentConfig;
  kind: 'toy' | 'images';
  numTrain: number;
  numVal: number;
  numTest: number;
  numClasses: number;
  classNames: string[];
  /** One example's shape before flattening: `[2]` or `[C, H, W]`. */
  inputShape: number[];
  iterationsPerEpoch: number;
  numIterations: number;
  /** Parameter names and shapes, in the model's order. */
  params: { name: string; shape: number[] }[];
  /** Toy sets: the points in their original coordinates (x, y interleaved) and their labels. */
  points?: { train: Float32Array; yTrain: Int32Array; test: Float32Array; yTest: Int32Array };
  /** Image sets: a few test images as bytes (N × C × H × W) and their true labels, for the image grid. */
  samples?: { pixels: Uint8Array; labels: Int32Array; shape: [number, number, number] };
}

/** The histories so far (sent in full on 'ready' and 'loaded', as deltas in 'progress'). */
export interface Histories {
  /** Minibatch losses, one per iteration, starting at iteration `lossStart + 1`. */
  losses: number[];
  lossStart: number;
  /** Accuracy checks (first iteration, epoch ends, last iteration). */
  checks: AccuracyCheck[];
}

export interface AccuracyCheck {
  iteration: number;
  epoch: number;
  trainAcc: number;
  valAcc: number;
}

/** The decision boundary of a 2-D model: the predicted class and its probability on a grid. */
export interface BoundaryView {
  /** Grid cells per side. */
  resolution: number;
  /** Bounds in the original coordinates: the grid covers [xMin, xMax] × [yMin, yMax]. */
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** Row-major, row 0 at yMax (the top of the picture): the argmax class of each cell. */
  classes: Uint8Array;
  /** The softmax probability of that class, in [0, 1]. */
  confidence: Float32Array;
}

/** What the model makes of the test set. */
export interface TestView {
  /** Accuracy on the test images/points scored. */
  accuracy: number;
  /** Test examples scored (the first ones of the test split). */
  count: number;
  /** confusion[t * numClasses + p]: examples of true class t predicted as p. */
  confusion: Int32Array;
  /** Predictions for the image grid's samples (images only). */
  samplePredictions?: Int32Array;
}

/** The convnet's first-layer filters W1, shape [F, C, HH, WW]. */
export interface FiltersView {
  shape: [number, number, number, number];
  data: Float32Array;
}

export interface View {
  boundary?: BoundaryView;
  test?: TestView;
  filters?: FiltersView;
}

/** One row of the gradient-check table. */
export interface GradCheckRow {
  param: string;
  shape: number[];
  /** Coordinates compared (all of them for small parameters). */
  checked: number;
  /** The largest relative error over them. */
  maxRelError: number;
  /** 'full': every coordinate; 'sparse': `checked` random ones (CS231n's grad_check_sparse). */
  method: 'full' | 'sparse';
}

/** Worker → page. */
export type Response =
  | { type: 'status'; status: RunStatus; message?: string }
  | {
      type: 'ready';
      info: RunInfo;
      /** 'ready' for a fresh run; 'paused' or 'done' for one restored from a checkpoint. */
      status: RunStatus;
      history: Histories;
      iteration: number;
      epoch: number;
      /** The learning rate the next step uses (decayed already in a restored run). */
      learningRate: number | null;
      view: View;
    }
  | {
      type: 'progress';
      iteration: number;
      epoch: number;
      numIterations: number;
      learningRate: number | null;
      history: Histories;
      view?: View;
    }
  | { type: 'gradcheck'; rows: GradCheckRow[]; batchSize: number; loss: number }
  | { type: 'checkpoint'; bytes: Uint8Array; fileName: string }
  | { type: 'error'; message: string; during: Request['type'] };

/** The name of a request's answer type, for the page's bookkeeping. */
export type ResponseType = Response['type'];
