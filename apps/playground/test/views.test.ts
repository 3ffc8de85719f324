import type { PreparedData } from '@backprop/experiment';
import type { Model } from '@backprop/models';
import { type Tensor, tensor, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import {
  boundaryView,
  filtersView,
  forEachPrediction,
  pointsOf,
  samplePredictions,
  testView,
  toyFrame,
} from '../src/worker/views';

/** A model whose test-mode scores are a fixed linear function of x: scores = x · W (W is [2, 3]). */
function linearModel(W: number[][]): Model {
  const w = tensor(W, { dtype: 'float64' });
  return {
    params: { W: w },
    loss: ((X: Tensor) => {
      const n = X.shape[0];
      const out = zeros([n, 3], 'float64');
      for (let i = 0; i < n; i++)
        for (let k = 0; k < 3; k++)
          out.data[i * 3 + k] = X.data[2 * i] * W[0][k] + X.data[2 * i + 1] * W[1][k];
      return out;
    }) as Model['loss'],
  };
}

/** Toy data: already mean-subtracted points, with the mean [1, -1]. */
function toyData(): PreparedData {
  const X = tensor(
    [
      [-1, 0],
      [1, 0],
      [0, 2],
      [0, -2],
    ],
    { dtype: 'float64' },
  );
  return {
    XTrain: X.slice(0, 2),
    yTrain: Int32Array.from([0, 1]),
    XVal: X.slice(2, 3),
    yVal: Int32Array.from([2]),
    XTest: X,
    yTest: Int32Array.from([0, 1, 2, 2]),
    inputShape: [2],
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
    mean: tensor([1, -1], { dtype: 'float64' }),
  };
}

describe('forEachPrediction', () => {
  it('gives the argmax and its softmax probability, by hand', () => {
    // x = [1, 0] scores [1, 0, 0]: p = e / (e + 2); x = [0, 1] scores [0, 2, 0]: p = e^2 / (e^2 + 2).
    const model = linearModel([
      [1, 0, 0],
      [0, 2, 0],
    ]);
    const seen: [number, number, number][] = [];
    forEachPrediction(
      model,
      tensor(
        [
          [1, 0],
          [0, 1],
        ],
        { dtype: 'float64' },
      ),
      2,
      (i, k, p) => seen.push([i, k, p]),
    );
    expect(seen[0][0]).toBe(0);
    expect(seen[0][1]).toBe(0);
    expect(seen[0][2]).toBeCloseTo(Math.E / (Math.E + 2), 14);
    expect(seen[1][1]).toBe(1);
    expect(seen[1][2]).toBeCloseTo(Math.E ** 2 / (Math.E ** 2 + 2), 14);
  });

  it('scores only the first `count` rows, across chunks of 500', () => {
    const X = zeros([1200, 2], 'float64');
    for (let i = 0; i < 1200; i++) X.data[2 * i] = i % 2 === 0 ? 1 : -1;
    const rows: number[] = [];
    const classes: number[] = [];
    forEachPrediction(
      linearModel([
        [1, -1, 0],
        [0, 0, 0],
      ]),
      X,
      1001,
      (i, k) => {
        rows.push(i);
        classes.push(k);
      },
    );
    expect(rows).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    expect(classes.slice(0, 4)).toEqual([0, 1, 0, 1]);
  });
});

describe('testView', () => {
  it('counts the confusion matrix and the accuracy', () => {
    // Scores = x · W with W picking class 0 for x < 0, 1 for x > 0, 2 for y > 0 (large y).
    const model = linearModel([
      [-1, 1, 0],
      [0, 0, 1],
    ]);
    const view = testView(model, toyData(), 10);
    // [-1,0] -> 0 (true 0); [1,0] -> 1 (true 1); [0,2] -> 2 (true 2); [0,-2] -> 0 and 1 tie at 0, > -2: argmax 0 (true 2).
    expect(Array.from(view.confusion)).toEqual([1, 0, 0, 0, 1, 0, 1, 0, 1]);
    expect(view.count).toBe(4);
    expect(view.accuracy).toBe(0.75);
    expect(Array.from(samplePredictions(model, toyData(), 2))).toEqual([0, 1]);
  });
});

describe('toy frames', () => {
  it('points come back in original coordinates: train then val, and test', () => {
    const p = pointsOf(toyData());
    expect(Array.from(p.train)).toEqual([0, -1, 2, -1, 1, 1]);
    expect(Array.from(p.yTrain)).toEqual([0, 1, 2]);
    expect(Array.from(p.test)).toEqual([0, -1, 2, -1, 1, 1, 1, -3]);
  });

  it('the grid covers the points with a 10% margin; its cells are centres minus the mean', () => {
    // Original coordinates span [-3, 2] on both axes: range 5, margin 0.5 -> [-3.5, 2.5].
    const frame = toyFrame(toyData(), 2);
    expect([frame.xMin, frame.xMax, frame.yMin, frame.yMax]).toEqual([-3.5, 2.5, -3.5, 2.5]);
    // Cell centres at -2 and 1 on each axis; row 0 is the top (y = 1). Minus the mean [1, -1].
    expect(Array.from(frame.grid.data)).toEqual([-3, 2, 0, 2, -3, -1, 0, -1]);
    // Scores [0, y, -y]: class 1 in the top row (y = 2 after the mean), class 2 in the bottom one.
    const view = boundaryView(
      linearModel([
        [0, 0, 0],
        [0, 1, -1],
      ]),
      frame,
    );
    expect(view.resolution).toBe(2);
    expect(Array.from(view.classes)).toEqual([1, 1, 2, 2]);
    expect(view.confidence[0]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(2) + Math.exp(-2)), 6);
  });
});

describe('filtersView', () => {
  it('copies a 4-D W1 and ignores models without one', () => {
    const W1 = tensor(
      Array.from({ length: 8 }, (_, i) => i),
      { shape: [2, 1, 2, 2] },
    );
    const view = filtersView({ params: { W1 }, loss: (() => W1) as unknown as Model['loss'] });
    expect(view?.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(view!.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    view!.data[0] = 99;
    expect(W1.data[0]).toBe(0);
    expect(
      filtersView(
        linearModel([
          [1, 0, 0],
          [0, 1, 0],
        ]),
      ),
    ).toBeUndefined();
  });
});
