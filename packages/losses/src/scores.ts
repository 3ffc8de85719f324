// Argument checks shared by the losses: x is a non-empty [N, C] batch of scores, y its N labels.
import { checkLabels, checkShape, formatShape, type Labels, ShapeError, type Tensor } from '@backprop/tensor';

/** Checks x [N, C] with N >= 1, C >= 1 and y's N labels in [0, C); returns N, C and the labels. */
export function checkScores(fn: string, x: Tensor, y: unknown): { N: number; C: number; labels: Labels } {
  const { N, C } = checkShape(fn, 'x', x, ['N', 'C']);
  if (N === 0) {
    throw new ShapeError(
      fn,
      'x',
      `has shape ${formatShape(x.shape)}, expected N >= 1 (the loss is a mean over the batch)`,
    );
  }
  if (C === 0) {
    throw new ShapeError(
      fn,
      'x',
      `has shape ${formatShape(x.shape)}, expected C >= 1 class scores per example`,
    );
  }
  const labels = checkLabels(fn, 'y', y, N, C);
  return { N, C, labels };
}
