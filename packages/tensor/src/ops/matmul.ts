import { checkRank, checkSameDType } from '../check';
import { allocate } from '../dtype';
import { ShapeError } from '../errors';
import { gemm } from '../kernels/gemm';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';

/** a (M×K) · b (K×N) -> M×N, through the GEMM kernel. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkRank('matmul', 'a', a, 2, '[M, K]');
  checkRank('matmul', 'b', b, 2, '[K, N]');
  checkSameDType('matmul', { a, b });
  const [M, K] = a.shape;
  const [K2, N] = b.shape;
  if (K !== K2) {
    throw new ShapeError(
      'matmul',
      'b',
      `has shape ${formatShape(b.shape)}, expected [${K}, N] to match a's ${K} columns`,
    );
  }
  const out = allocate(a.dtype, M * N);
  gemm(M, N, K, a.data, b.data, out);
  return new Tensor(out, [M, N]);
}
