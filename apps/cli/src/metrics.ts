// Classification metrics for `backprop eval`: predictions in batches through the model's test-mode
// loss(X) (scores), then a confusion matrix and per-class accuracy from it.
import type { Tensor } from '@backprop/tensor';

/** Anything that turns a batch of inputs into class scores of shape [N, C]. */
export interface Scorer {
  loss(X: Tensor): Tensor;
}

/**
 * The predicted class (argmax of the scores) of every row of `X`, computed `batchSize` rows at a time.
 * @param X - inputs, shape [N, ...]
 * @returns Int32Array of N class indices
 */
export function predictClasses(model: Scorer, X: Tensor, batchSize = 500): Int32Array {
  const n = X.shape[0];
  const predictions = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const scores = model.loss(X.slice(start, end));
    const C = scores.shape[1];
    const s = scores.data;
    for (let i = 0; i < end - start; i++) {
      let best = 0;
      let bestScore = s[i * C];
      for (let c = 1; c < C; c++) {
        if (s[i * C + c] > bestScore) {
          bestScore = s[i * C + c];
          best = c;
        }
      }
      predictions[start + i] = best;
    }
  }
  return predictions;
}

/**
 * The confusion matrix: `matrix[t][p]` counts examples of true class t predicted as p.
 * @param yTrue - true labels, length N, each in [0, numClasses)
 * @param yPred - predicted labels, length N
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): number[][] {
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]]++;
  return matrix;
}

/** Overall accuracy (trace / total) and per-class accuracy (recall: diagonal / row sum; NaN for an empty class). */
export function accuracies(matrix: readonly (readonly number[])[]): { accuracy: number; perClass: number[] } {
  let correct = 0;
  let total = 0;
  const perClass = matrix.map((row, t) => {
    const count = row.reduce((a, b) => a + b, 0);
    correct += row[t];
    total += count;
    return count > 0 ? row[t] / count : Number.NaN;
  });
  return { accuracy: total > 0 ? correct / total : Number.NaN, perClass };
}
