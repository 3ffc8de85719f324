import type { FloatArray } from '../dtype';

/** Fully resolved GEMM arguments: C (M×N) = alpha · op(A) · op(B) + beta · C, all row-major. */
export interface GemmArgs {
  M: number;
  N: number;
  K: number;
  /** M×K, or K×M when transA. */
  A: FloatArray;
  /** K×N, or N×K when transB. */
  B: FloatArray;
  /** M×N, written in place. */
  C: FloatArray;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
}
