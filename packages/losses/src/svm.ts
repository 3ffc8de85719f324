// Multiclass SVM (hinge) loss with margin 1, averaged over the batch:
//   L = (1/N) Σₙ Σ_{j≠yₙ} max(0, x[n,j] − x[n,yₙ] + 1);  dx[n,j] = [margin > 0]/N,  dx[n,yₙ] = −(#positive margins)/N
import { allocate, Tensor } from '@backprop/tensor';
import { checkScores } from './scores';

/**
 * Multiclass SVM loss and its gradient, as CS231n's `svm_loss`.
 * @param x - class scores, shape [N, C] with N >= 1
 * @param y - N integer labels in [0, C): Int32Array, Uint8Array, number[] or any ArrayLike<number>
 * @returns loss (a number, the mean over the batch) and dx, the gradient of the loss with respect to x, [N, C]
 * @throws ShapeError when x is not [N, C] or the batch is empty; ValueError for bad labels
 */
export function svmLoss(x: Tensor, y: ArrayLike<number>): { loss: number; dx: Tensor } {
  const { N, C, labels } = checkScores('svmLoss', x, y);
  const s = x.data;
  const dx = allocate(x.dtype, N * C);
  const inv = 1 / N;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    const label = labels[n];
    const correct = s[row + label];
    let positive = 0;
    for (let j = 0; j < C; j++) {
      if (j === label) continue;
      const margin = s[row + j] - correct + 1;
      if (margin > 0) {
        loss += margin;
        dx[row + j] = inv;
        positive++;
      }
    }
    dx[row + label] = -positive * inv;
  }
  return { loss: loss * inv, dx: new Tensor(dx, [N, C]) };
}
