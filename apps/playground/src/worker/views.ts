// What the page draws, computed in the worker from the model in test mode (`model.loss(X)` gives
// the scores and changes nothing, so drawing never alters the training numbers): the decision
// boundary of a 2-D model, predictions and the confusion matrix on the test split, and the
// convnet's first-layer filters.
import type { PreparedData } from '@backprop/experiment';
import type { Model } from '@backprop/models';
import { allocate, Tensor } from '@backprop/tensor';
import type { BoundaryView, FiltersView, RunInfo, TestView } from './protocol';

/** Grid cells per side of the decision-boundary picture. */
export const BOUNDARY_RESOLUTION = 64;
/** Rows scored per `model.loss` call (bounds the memory of a forward pass). */
const CHUNK = 500;

/** The fixed part of a 2-D task's picture: the bounds and the grid as model inputs (mean subtracted). */
export interface ToyFrame {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** [R*R, 2]: the cell centres minus the training mean, row 0 at yMax. */
  grid: Tensor;
}

/** The points of all three splits in their original coordinates (the mean added back). */
export function pointsOf(data: PreparedData): NonNullable<RunInfo['points']> {
  const restore = (X: Tensor): Float32Array => {
    const out = new Float32Array(X.size);
    const mx = data.mean.data[0];
    const my = data.mean.data[1];
    for (let i = 0; i < X.shape[0]; i++) {
      out[2 * i] = X.data[2 * i] + mx;
      out[2 * i + 1] = X.data[2 * i + 1] + my;
    }
    return out;
  };
  const train = concat(restore(data.XTrain), restore(data.XVal));
  const yTrain = new Int32Array(data.yTrain.length + data.yVal.length);
  yTrain.set(data.yTrain);
  yTrain.set(data.yVal, data.yTrain.length);
  return { train, yTrain, test: restore(data.XTest), yTest: Int32Array.from(data.yTest) };
}

/** Square bounds around every point (10% margin) and the grid of cell centres. */
export function toyFrame(data: PreparedData, resolution = BOUNDARY_RESOLUTION): ToyFrame {
  const { train, test } = pointsOf(data);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const arr of [train, test]) {
    for (let i = 0; i < arr.length; i++) {
      lo = Math.min(lo, arr[i]);
      hi = Math.max(hi, arr[i]);
    }
  }
  const margin = 0.1 * (hi - lo || 1);
  const xMin = lo - margin;
  const xMax = hi + margin;
  const yMin = xMin;
  const yMax = xMax;
  const R = resolution;
  const grid = new Tensor(allocate(data.XTrain.dtype, R * R * 2), [R * R, 2]);
  const mx = data.mean.data[0];
  const my = data.mean.data[1];
  for (let r = 0; r < R; r++) {
    const y = yMax - ((r + 0.5) / R) * (yMax - yMin);
    for (let c = 0; c < R; c++) {
      const x = xMin + ((c + 0.5) / R) * (xMax - xMin);
      grid.data[2 * (r * R + c)] = x - mx;
      grid.data[2 * (r * R + c) + 1] = y - my;
    }
  }
  return { xMin, xMax, yMin, yMax, grid };
}

/** The predicted class and its softmax probability at every grid cell. */
export function boundaryView(model: Model, frame: ToyFrame): BoundaryView {
  const n = frame.grid.shape[0];
  const classes = new Uint8Array(n);
  const confidence = new Float32Array(n);
  forEachPrediction(model, frame.grid, n, (i, k, p) => {
    classes[i] = k;
    confidence[i] = p;
  });
  return {
    resolution: Math.round(Math.sqrt(n)),
    xMin: frame.xMin,
    xMax: frame.xMax,
    yMin: frame.yMin,
    yMax: frame.yMax,
    classes,
    confidence,
  };
}

/** Accuracy and confusion matrix on the first `limit` test examples. */
export function testView(model: Model, data: PreparedData, limit: number): TestView {
  const C = data.numClasses;
  const count = Math.min(limit, data.XTest.shape[0]);
  const confusion = new Int32Array(C * C);
  let correct = 0;
  forEachPrediction(model, data.XTest, count, (i, k) => {
    const t = data.yTest[i];
    confusion[t * C + k]++;
    if (t === k) correct++;
  });
  return { accuracy: count === 0 ? Number.NaN : correct / count, count, confusion };
}

/** The predicted classes of the first `count` test examples (the image grid). */
export function samplePredictions(model: Model, data: PreparedData, count: number): Int32Array {
  const n = Math.min(count, data.XTest.shape[0]);
  const out = new Int32Array(n);
  forEachPrediction(model, data.XTest, n, (i, k) => {
    out[i] = k;
  });
  return out;
}

/** A copy of the convnet's W1 [F, C, HH, WW]; undefined for models without conv filters. */
export function filtersView(model: Model): FiltersView | undefined {
  const w = model.params.W1;
  if (w?.shape.length !== 4) return undefined;
  return {
    shape: [w.shape[0], w.shape[1], w.shape[2], w.shape[3]],
    data: Float32Array.from(w.data),
  };
}

/**
 * Scores the first `count` rows of X in chunks and calls `visit(row, argmax, probability)`.
 * The probability is the softmax of the winning score (max-shifted, as the loss computes it).
 */
export function forEachPrediction(
  model: Model,
  X: Tensor,
  count: number,
  visit: (row: number, k: number, p: number) => void,
): void {
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    const scores = model.loss(X.slice(start, end));
    const C = scores.shape[1];
    const s = scores.data;
    for (let i = 0; i < end - start; i++) {
      let best = 0;
      let max = s[i * C];
      for (let k = 1; k < C; k++) {
        if (s[i * C + k] > max) {
          max = s[i * C + k];
          best = k;
        }
      }
      let z = 0;
      for (let k = 0; k < C; k++) z += Math.exp(s[i * C + k] - max);
      visit(start + i, best, 1 / z);
    }
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
