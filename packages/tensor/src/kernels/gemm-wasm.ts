// Loads the embedded WebAssembly SIMD GEMM (assembly/gemm.ts, built by scripts/build-wasm.mjs) and
// runs float32 GEMMs on it. The module has its own linear memory: each call copies A and B (and C
// when beta ≠ 0) in, runs `sgemm`, and copies C out. Copies are memcpy-speed `set` calls, a few
// percent of the multiply at the sizes where speed matters (bench/gemm). The memory is reused
// between calls and only grows (WebAssembly memory cannot shrink): it stays as large as the
// largest call's operands plus the packing workspace.
//
// Loading is lazy and synchronous (new WebAssembly.Module on first use), so `gemm` stays a plain
// synchronous function in Node, browsers, workers and bundlers with no file paths. Where an engine
// refuses synchronous compilation (some browsers' main threads cap its size), the module is
// compiled asynchronously in the background and `gemm` uses the TypeScript kernel until it is ready.

import type { GemmArgs } from './gemm-types';
import {
  gemmRelaxedSimdSharedWasm,
  gemmRelaxedSimdWasm,
  gemmSimdSharedWasm,
  gemmSimdWasm,
} from './wasm.generated';

export interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  workspaceBytes(M: number, N: number, K: number): number;
  sgemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    beta: number,
    a: number,
    b: number,
    c: number,
    work: number,
  ): void;
}

/** (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): valid only where SIMD is. */
const simdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

/** (func (result v128) … i8x16.relaxed_swizzle): valid only where relaxed SIMD is. */
const relaxedSimdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2,
  253, 15, 253, 128, 2, 11,
]);

/** Which WebAssembly GEMM module this engine runs. */
export type WasmGemmVariant = 'relaxed-simd' | 'simd' | 'none';

let variant: WasmGemmVariant | undefined;

function validates(probe: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

/**
 * Whether this engine validates relaxed-SIMD modules now. Unlike `wasmGemmVariant` (fixed at first
 * use) it asks again each call: an application that turns relaxed SIMD on with a V8 flag before the
 * first GEMM can check that the flag took.
 */
export function relaxedSimdValidates(): boolean {
  return validates(relaxedSimdProbe);
}

/**
 * The best module this engine validates: relaxed SIMD (fused multiply-add; Chromium, Node 22+, or
 * Node 20 with --experimental-wasm-relaxed-simd), else baseline SIMD, else none.
 */
export function wasmGemmVariant(): WasmGemmVariant {
  if (variant === undefined) {
    if (!validates(simdProbe)) variant = 'none';
    else variant = validates(relaxedSimdProbe) ? 'relaxed-simd' : 'simd';
  }
  return variant;
}

/** Whether this engine validates WebAssembly SIMD (128-bit) modules. */
export function wasmSimdSupported(): boolean {
  return wasmGemmVariant() !== 'none';
}

/** The bytes of an embedded module (base64 in wasm.generated.ts). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function instantiate(module: WebAssembly.Module): GemmExports {
  return new WebAssembly.Instance(module, {}).exports as unknown as GemmExports;
}

/**
 * An embedded module's builds (base64, from wasm.generated.ts): baseline and relaxed SIMD, each on
 * its own memory and on an imported shared one. Each module's strings are referenced only from the
 * file that uses it, so a bundle carries only the modules its code can reach.
 */
export interface EmbeddedModule {
  name: 'gemm' | 'conv';
  simd: string;
  relaxed: string;
  shared: string;
  relaxedShared: string;
}

/** The GEMM alone (assembly/gemm.ts). */
export const GEMM_MODULE: EmbeddedModule = {
  name: 'gemm',
  simd: gemmSimdWasm,
  relaxed: gemmRelaxedSimdWasm,
  shared: gemmSimdSharedWasm,
  relaxedShared: gemmRelaxedSimdSharedWasm,
};

// undefined: not tried yet; null: unavailable for now
const instances: Record<EmbeddedModule['name'], GemmExports | null | undefined> = {
  gemm: undefined,
  conv: undefined,
};

/**
 * The instantiated module (the GEMM by default), compiling it on first use; null when SIMD is
 * missing or the module is not ready yet.
 */
export function loadKernel(m: EmbeddedModule = GEMM_MODULE): GemmExports | null {
  const which = m.name;
  const cached = instances[which];
  if (cached !== undefined) return cached;
  instances[which] = null;
  const variant = wasmGemmVariant();
  if (variant === 'none') return null;
  const bytes = decodeBase64(variant === 'relaxed-simd' ? m.relaxed : m.simd);
  try {
    instances[which] = instantiate(new WebAssembly.Module(bytes));
  } catch {
    // Synchronous compilation refused (e.g. a size cap on a browser's main thread): compile in
    // the background; until then the TypeScript kernel serves.
    WebAssembly.compile(bytes).then(
      (module) => {
        instances[which] = instantiate(module);
      },
      () => {},
    );
  }
  return instances[which] ?? null;
}

const sharedBytes: Record<EmbeddedModule['name'], Uint8Array<ArrayBuffer> | null | undefined> = {
  gemm: undefined,
  conv: undefined,
};

/**
 * The bytes of this engine's variant of a module built on an imported shared memory (the threads'
 * module); null without SIMD.
 */
export function sharedGemmBytes(m: EmbeddedModule = GEMM_MODULE): Uint8Array<ArrayBuffer> | null {
  const which = m.name;
  if (sharedBytes[which] === undefined) {
    const variant = wasmGemmVariant();
    sharedBytes[which] =
      variant === 'none' ? null : decodeBase64(variant === 'relaxed-simd' ? m.relaxedShared : m.shared);
  }
  return sharedBytes[which] ?? null;
}

/** Whether float32 GEMMs can run on the WebAssembly kernel now (loads it on first call). */
export function wasmGemmAvailable(): boolean {
  return loadKernel() !== null;
}

/** Round a byte offset up to a cache line (a number, not an int32: offsets may pass 2 GiB). */
export const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;
/** 32-bit linear memory tops out at 4 GiB; stay a page below. */
export const maxMemoryBytes = 2 ** 32 - 65536;

const views = new WeakMap<GemmExports, Float32Array>();

/** A Float32Array over the module's memory, at least `bytes` long; recreated after growth. */
export function memoryView(k: GemmExports, bytes: number): Float32Array {
  const memory = k.memory;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  // Growing detaches the old ArrayBuffer (and every view on it): make a fresh view.
  let view = views.get(k);
  if (view === undefined || view.buffer !== memory.buffer) {
    view = new Float32Array(memory.buffer);
    views.set(k, view);
  }
  return view;
}

/**
 * float32 C = alpha·op(A)·op(B) + beta·C on the WebAssembly kernel. Arguments are already checked;
 * returns false (doing nothing) when the kernel is unavailable, so the caller can fall back.
 */
export function gemmWasm({ M, N, K, A, B, C, transA, transB, alpha, beta }: GemmArgs): boolean {
  const k = loadKernel();
  if (k === null) return false;
  const sizeA = M * K;
  const sizeB = K * N;
  const sizeC = M * N;
  const a = align(k.heapBase());
  const b = align(a + 4 * sizeA);
  const c = align(b + 4 * sizeB);
  const work = align(c + 4 * sizeC);
  const end = work + k.workspaceBytes(M, N, K);
  if (end > maxMemoryBytes) return false; // beyond 32-bit linear memory: the TS kernel copes
  let mem: Float32Array;
  try {
    mem = memoryView(k, end);
  } catch {
    return false; // the engine refused to grow the memory (out of memory): fall back
  }
  mem.set(A.subarray(0, sizeA), a >>> 2);
  mem.set(B.subarray(0, sizeB), b >>> 2);
  if (beta !== 0) mem.set(C.subarray(0, sizeC), c >>> 2);
  k.sgemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, beta, a, b, c, work);
  C.set(mem.subarray(c >>> 2, (c >>> 2) + sizeC));
  return true;
}
