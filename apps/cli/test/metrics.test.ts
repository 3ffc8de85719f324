import { Tensor } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accuracies, confusionMatrix, predictClasses } from '../src/metrics';

describe('confusionMatrix and accuracies', () => {
  it('count true x predicted pairs; accuracy is the trace over the total, per class the row recall', () => {
    const yTrue = [0, 0, 0, 1, 1, 2];
    const yPred = [0, 1, 0, 1, 1, 0];
    const m = confusionMatrix(yTrue, yPred, 3);
    expect(m).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
    const { accuracy, perClass } = accuracies(m);
    expect(accuracy).toBe(4 / 6);
    expect(perClass).toEqual([2 / 3, 1, 0]);
  });

  it('a class with no examples has NaN accuracy, not 0', () => {
    const { perClass } = accuracies(confusionMatrix([0, 0], [0, 1], 3));
    expect(perClass[0]).toBe(0.5);
    expect(perClass[2]).toBeNaN();
  });
});

describe('predictClasses', () => {
  // A scorer whose score for class c of row i is a fixed table entry: no model needed.
  const scorerFor = (scores: number[][]) => ({
    calls: [] as number[],
    loss(X: Tensor): Tensor {
      this.calls.push(X.shape[0]);
      const C = scores[0].length;
      const out = new Float64Array(X.shape[0] * C);
      for (let i = 0; i < X.shape[0]; i++) {
        const row = scores[X.data[i]];
        for (let c = 0; c < C; c++) out[i * C + c] = row[c];
      }
      return new Tensor(out, [X.shape[0], C]);
    },
  });

  it('is the argmax of every row, in batches that cover every row once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 4, maxLength: 4 }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 17 }),
        (scores, batchSize) => {
          const scorer = scorerFor(scores);
          // Row i of X holds its own index, so the scorer can look its scores up.
          const X = new Tensor(
            Float64Array.from(scores, (_, i) => i),
            [scores.length, 1],
          );
          const predicted = predictClasses(scorer, X, batchSize);
          const expected = scores.map((row) => row.indexOf(Math.max(...row)));
          expect(Array.from(predicted)).toEqual(expected);
          expect(scorer.calls.reduce((a, b) => a + b, 0)).toBe(scores.length);
          expect(Math.max(...scorer.calls)).toBeLessThanOrEqual(batchSize);
        },
      ),
    );
  });
});
