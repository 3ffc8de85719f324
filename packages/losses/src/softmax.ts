// Softmax cross-entropy loss, averaged over the batch, computed with the row maximum subtracted:
//   L = (1/N) Σₙ (log Σⱼ exp(x[n,j] − mₙ) − (x[n,yₙ] − mₙ));  dx[n,j] = (softmax(x)[n,j] − [j = yₙ]) / N
import { allocate, Tensor } from '@backprop/tensor';
import { checkScores } from './scores';

/**
 * Softmax (cross-entropy) loss and its gradient, as CS231n's `softmax_loss`. Subtracting each row's
 * maximum before `exp` keeps any finite scores, however large, from overflowing.
 * @param x - class scores, shape [N, C] with N >= 1
 * @param y - N integer labels in [0, C): Int32Array, Uint8Array, number[] or any ArrayLike<number>
 * @returns loss (a number, the mean over the batch) and dx, the gradient of the loss with respect to x, [N, C]
 * @throws ShapeError when x is not [N, C] or the batch is empty; ValueError for bad labels
 */
export function softmaxLoss(x: Tensor, y: ArrayLike<number>): { loss: number; dx: Tensor } {
  const { N, C, labels } = checkScores('softmaxLoss', x, y);
  const s = x.data;
  const dx = allocate(x.dtype, N * C);
  const exps = new Float64Array(C); // one row of exp(x − max), in float64 whatever x's dtype
  const inv = 1 / N;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    let max = s[row];
    for (let j = 1; j < C; j++) if (s[row + j] > max) max = s[row + j];
    let sum = 0;
    for (let j = 0; j < C; j++) {
      const e = Math.exp(s[row + j] - max);
      exps[j] = e;
      sum += e;
    }
    const label = labels[n];
    loss += Math.log(sum) - (s[row + label] - max);
    const scale = inv / sum;
    for (let j = 0; j < C; j++) dx[row + j] = exps[j] * scale;
    dx[row + label] = exps[label] * scale - inv; // in float64, then rounded once
  }
  return { loss: loss * inv, dx: new Tensor(dx, [N, C]) };
}
