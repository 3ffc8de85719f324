// The GEMM dispatcher: every matmul, affine and convolution in backprop goes through `gemm`.
// It checks its arguments once and picks an implementation: the WebAssembly SIMD kernel for float32
// where the engine supports it, else the plain-TypeScript kernel (the float64 path and fallback).
// bench/gemm (2-core Zen 3, CPU time): the WebAssembly kernel runs 22-28 GFLOP/s, 1.1-1.4x
// tfjs-backend-wasm (XNNPACK) and about 10x the TypeScript kernel; it wins even at 2×2×2.
// float32 calls of at least `threadThreshold` multiply-adds spread over helper threads
// (gemm-threads.ts) when `setGemmThreads` allows more than one; results stay bit-identical.
import { checkNumber, checkOneOf, describe } from '../check';
import type { FloatArray } from '../dtype';
import { DTypeError, ShapeError } from '../errors';
import {
  gemmThreaded,
  getThreadCount,
  getThreadThreshold,
  readyHelpers,
  setThreadCount,
  setThreadThreshold,
  threadedWanted,
  threadsFailure,
  threadsStarted,
} from './gemm-threads';
import { gemmTs } from './gemm-ts';
import type { GemmArgs } from './gemm-types';
import { gemmWasm, sharedGemmBytes, wasmGemmAvailable, wasmGemmVariant } from './gemm-wasm';

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

/**
 * Which implementation float32 `gemm` uses: 'auto' and 'wasm' pick the WebAssembly SIMD kernel
 * where the engine has SIMD, else the TypeScript one; 'ts' forces TypeScript. float64 always runs
 * the TypeScript kernel.
 */
export type GemmBackend = 'auto' | 'wasm' | 'ts';

let backend: GemmBackend = 'auto';

/** Forces a GEMM implementation (tests and benchmarks compare them). Returns the previous setting. */
export function setGemmBackend(next: GemmBackend): GemmBackend {
  checkOneOf('setGemmBackend', 'backend', next, ['auto', 'wasm', 'ts']);
  const previous = backend;
  backend = next;
  return previous;
}

/** What `gemm` runs on float32 under the current setting, and what this engine supports. */
export interface GemmInfo {
  /** 'wasm-relaxed-simd' uses fused multiply-add (relaxed SIMD); 'wasm-simd' baseline f32x4. */
  backend: 'wasm-relaxed-simd' | 'wasm-simd' | 'ts';
  /** WebAssembly SIMD (128-bit) validates here. */
  simd: boolean;
  /** WebAssembly relaxed SIMD validates here. */
  relaxedSimd: boolean;
  /** Threads large float32 calls are spread over (`setGemmThreads`; default: logical cores). */
  threads: number;
  /**
   * Threads working on a large call now: 1 + helper threads started and ready. 1 while they start
   * (the first large call starts them), and where threading is unavailable.
   */
  activeThreads: number;
  /**
   * 'single': one thread wanted (or the TS backend); 'idle': helpers start on the first call of at
   * least `threadThreshold` multiply-adds; 'starting'; 'on'; 'unavailable' (see `threadingNote`).
   */
  threading: 'single' | 'idle' | 'starting' | 'on' | 'unavailable';
  /** Why threading is unavailable (no SharedArrayBuffer, a browser main thread, …). */
  threadingNote?: string;
  /** Calls with M·N·K at least this use the helper threads (`setGemmThreadThreshold`). */
  threadThreshold: number;
}

/** Reports the float32 implementation `gemm` uses now (float64 always runs the TS kernel). */
export function gemmInfo(): GemmInfo {
  const variant = wasmGemmVariant();
  const useWasm = backend !== 'ts' && wasmGemmAvailable();
  const threads = getThreadCount();
  const failure = threadsFailure();
  const ready = readyHelpers();
  let threading: GemmInfo['threading'];
  if (failure !== undefined) threading = 'unavailable';
  else if (!useWasm || threads === 1) threading = 'single';
  else if (ready > 0) threading = 'on';
  else threading = threadsStarted() ? 'starting' : 'idle';
  return {
    backend: !useWasm ? 'ts' : variant === 'relaxed-simd' ? 'wasm-relaxed-simd' : 'wasm-simd',
    simd: variant !== 'none',
    relaxedSimd: variant === 'relaxed-simd',
    threads,
    activeThreads: threading === 'on' ? 1 + ready : 1,
    threading,
    ...(failure !== undefined ? { threadingNote: failure } : {}),
    threadThreshold: getThreadThreshold(),
  };
}

/**
 * Sets how many threads large float32 GEMMs are spread over, the calling thread included (1 turns
 * threading off). Helper threads start on the next call of at least `threadThreshold` multiply-adds
 * (Web Workers only inside a cross-origin-isolated worker; worker_threads in Node); results are
 * bit-identical for every count. Returns the previous setting.
 * @throws ValueError unless n is an integer ≥ 1
 */
export function setGemmThreads(n: number): number {
  checkNumber('setGemmThreads', 'n', n, { integer: true, min: 1 });
  const previous = getThreadCount();
  setThreadCount(n);
  return previous;
}

/** The current setting of `setGemmThreads` (default: logical cores where known, else 1). */
export function getGemmThreads(): number {
  return getThreadCount();
}

/**
 * Sets the size, in multiply-adds (M·N·K), from which float32 GEMMs use helper threads; smaller
 * calls run on the calling thread alone, where waking helpers would cost more than they save.
 * Returns the previous threshold.
 * @throws ValueError unless n is an integer ≥ 1
 */
export function setGemmThreadThreshold(n: number): number {
  checkNumber('setGemmThreadThreshold', 'n', n, { integer: true, min: 1 });
  return setThreadThreshold(n);
}

/** The current setting of `setGemmBackend`. */
export function getGemmBackend(): GemmBackend {
  return backend;
}

/**
 * C (M×N) = alpha · op(A) · op(B) + beta · C on contiguous row-major typed arrays (pass
 * `subarray` views to work inside larger buffers). A, B and C must share one dtype; C must not
 * overlap A or B.
 *
 * @param M - rows of op(A) and C
 * @param N - columns of op(B) and C
 * @param K - columns of op(A), rows of op(B)
 * @param A - M×K row-major, or K×M with `transA` (at least M·K elements)
 * @param B - K×N row-major, or N×K with `transB` (at least K·N elements)
 * @param C - M×N row-major, overwritten (beta = 0) or accumulated into
 * @throws ValueError for negative or fractional sizes or non-finite alpha/beta; DTypeError for
 *   mixed or non-float arrays; ShapeError for arrays shorter than their sizes
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
  if (C instanceof Float32Array && backend !== 'ts') {
    if (threadedWanted(args) && wasmGemmAvailable()) {
      const bytes = sharedGemmBytes();
      if (bytes && gemmThreaded(args, bytes)) return;
    }
    if (gemmWasm(args)) return;
  }
  gemmTs(args);
}

function checkGemm({ M, N, K, A, B, C, alpha, beta }: GemmArgs): void {
  checkNumber('gemm', 'M', M, { integer: true, min: 0 });
  checkNumber('gemm', 'N', N, { integer: true, min: 0 });
  checkNumber('gemm', 'K', K, { integer: true, min: 0 });
  checkNumber('gemm', 'alpha', alpha);
  checkNumber('gemm', 'beta', beta);
  const ctor = C?.constructor;
  if (ctor !== Float32Array && ctor !== Float64Array) {
    throw new DTypeError('gemm', 'C', `must be a Float32Array or Float64Array, got ${describe(C)}`);
  }
  if (A?.constructor !== ctor)
    throw new DTypeError('gemm', 'A', `must be a ${ctor.name} like C, got ${describe(A)}`);
  if (B?.constructor !== ctor)
    throw new DTypeError('gemm', 'B', `must be a ${ctor.name} like C, got ${describe(B)}`);
  if (A.length < M * K)
    throw new ShapeError('gemm', 'A', `has ${A.length} elements, expected ${M * K} (M×K = ${M}×${K})`);
  if (B.length < K * N)
    throw new ShapeError('gemm', 'B', `has ${B.length} elements, expected ${K * N} (K×N = ${K}×${N})`);
  if (C.length < M * N)
    throw new ShapeError('gemm', 'C', `has ${C.length} elements, expected ${M * N} (M×N = ${M}×${N})`);
}
