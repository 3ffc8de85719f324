// The GEMM dispatcher: every matmul, affine and convolution in backprop goes through `gemm`.
// It checks its arguments once and picks an implementation: the WebAssembly SIMD kernel for float32
// where the engine supports it, else the plain-TypeScript kernel (which is also the reference).
import { ShapeError, ValueError, DTypeError } from '../errors';
import type { FloatArray } from '../dtype';
import { gemmTs } from './gemm-ts';
import type { GemmArgs } from './gemm-types';

export type { GemmArgs } from './gemm-types';

export interface GemmOptions {
  /** Read A as stored K×M (use Aᵀ). */
  transA?: boolean;
  /** Read B as stored N×K (use Bᵀ). */
  transB?: boolean;
  /** Scale of the product; default 1. */
  alpha?: number;
  /** Scale of the existing C; default 0 (C is overwritten, its old contents ignored, even NaN). */
  beta?: number;
}

/** Which implementation `gemm` uses: 'auto' picks the fastest available. */
export type GemmBackend = 'auto' | 'wasm' | 'ts';

let backend: GemmBackend = 'auto';

/** Forces a GEMM implementation (tests and benchmarks compare them). Returns the previous setting. */
export function setGemmBackend(next: GemmBackend): GemmBackend {
  if (next !== 'auto' && next !== 'wasm' && next !== 'ts') {
    throw new ValueError('setGemmBackend', 'backend', `must be 'auto', 'wasm' or 'ts', got ${String(next)}`);
  }
  const previous = backend;
  backend = next;
  return previous;
}

/** The current setting of `setGemmBackend`. */
export function getGemmBackend(): GemmBackend {
  return backend;
}

/**
 * C (M×N) = alpha · op(A) · op(B) + beta · C on contiguous row-major typed arrays (pass
 * `subarray` views to work inside larger buffers). A, B and C must share one dtype.
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  opts: GemmOptions = {},
): void {
  const args: GemmArgs = {
    M,
    N,
    K,
    A,
    B,
    C,
    transA: opts.transA ?? false,
    transB: opts.transB ?? false,
    alpha: opts.alpha ?? 1,
    beta: opts.beta ?? 0,
  };
  checkGemm(args);
  if (M === 0 || N === 0) return;
  gemmTs(args);
}

function checkGemm({ M, N, K, A, B, C }: GemmArgs): void {
  for (const [name, v] of [['M', M], ['N', N], ['K', K]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError('gemm', name, `must be a non-negative integer, got ${v}`);
  }
  const ctor = C.constructor;
  if (A.constructor !== ctor || B.constructor !== ctor || (ctor !== Float32Array && ctor !== Float64Array)) {
    throw new DTypeError('gemm', 'A, B, C', 'must all be Float32Array or all Float64Array');
  }
  if (A.length < M * K) throw new ShapeError('gemm', 'A', `has ${A.length} elements, expected ${M * K} (M×K = ${M}×${K})`);
  if (B.length < K * N) throw new ShapeError('gemm', 'B', `has ${B.length} elements, expected ${K * N} (K×N = ${K}×${N})`);
  if (C.length < M * N) throw new ShapeError('gemm', 'C', `has ${C.length} elements, expected ${M * N} (M×N = ${M}×${N})`);
}
