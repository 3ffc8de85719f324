// Plain-TypeScript GEMM: the readable reference, and the path used where WebAssembly SIMD is missing
// and for float64. Transposed operands are first packed into row-major copies so the inner loop
// always streams contiguous rows (i-k-j order: C[i,:] += A[i,k] * B[k,:]).
import type { FloatArray } from '../dtype';
import type { GemmArgs } from './gemm-types';

export function gemmTs({ M, N, K, A, B, C, transA, transB, alpha, beta }: GemmArgs): void {
  const a = transA ? transposeCopy(A, K, M) : A; // now M×K
  const b = transB ? transposeCopy(B, N, K) : B; // now K×N
  for (let i = 0; i < M; i++) {
    const c0 = i * N;
    if (beta === 0) C.fill(0, c0, c0 + N);
    else if (beta !== 1) for (let j = 0; j < N; j++) C[c0 + j] *= beta;
    const a0 = i * K;
    for (let k = 0; k < K; k++) {
      const aik = alpha * a[a0 + k];
      if (aik === 0) continue;
      const b0 = k * N;
      for (let j = 0; j < N; j++) C[c0 + j] += aik * b[b0 + j];
    }
  }
}

/** rows×cols row-major -> cols×rows row-major. */
function transposeCopy(src: FloatArray, rows: number, cols: number): FloatArray {
  const out = new (src.constructor as { new (n: number): FloatArray })(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}
