// The multi-threaded float32 GEMM: the WebAssembly kernel (assembly/gemm.ts, built a second time
// on an imported shared memory) runs on the calling thread and on helper threads (worker_threads in
// Node, Web Workers in cross-origin-isolated browser workers) over one shared WebAssembly.Memory.
//
// `gemm` stays synchronous. The caller copies A and B into the shared memory, packs the operand every
// band shares (B for bands of whole rows of C, A for bands of whole columns) once, into the panels the
// kernel reads, and rings a bell; every thread, the caller included, claims bands
// one at a time with a compare-and-swap and runs the kernel on each; the caller then waits with
// Atomics.wait until every band is done and copies C out. K is never split and a band boundary is
// always a register-tile boundary, so every element of C is computed by exactly the instruction
// sequence of the single-threaded call: results are bit-identical for any thread count and any
// scheduling. Claiming bands dynamically (several per thread) keeps a descheduled helper from
// stalling the call on a busy machine: a helper that wakes late finds nothing left and goes back
// to sleep.
//
// Helpers start lazily, on the first call big enough to use them, from the embedded module bytes
// (no file paths: an eval'd worker in Node, a Blob URL in browsers) and are unref'd, so they never
// keep a Node process alive. Until they report ready, calls run on the caller's thread alone.
// Anything that fails at start-up (no SharedArrayBuffer, not cross-origin isolated, a browser main
// thread, where Atomics.wait is not allowed, a worker that cannot start) leaves the single-threaded
// kernel in charge; `threadsStatus` says why.

import type { ConvGeometry } from '../ops/im2col';
import { convSizes, copyDwFromTransposed } from './conv-sizes';
import type { GemmArgs } from './gemm-types';

type ConvArgs11 = [number, number, number, number, number, number, number, number, number, number, number];
/** C, H, W, HH, WW, stride, pad, H′, W′. */
type ConvGeometryArgs = readonly [number, number, number, number, number, number, number, number, number];

interface SharedGemmExports {
  heapBase(): number;
  convForward(...args: [...ConvArgs11, number, number, number, number, number, number]): void;
  convBackwardFilterColumns(
    ...args: [...ConvArgs11, number, number, number, number, number, boolean, number, number]
  ): void;
  convBackwardData(...args: [...ConvArgs11, number, number, number, number, number]): void;
  biasGradient(n: number, F: number, P: number, dout: number, db: number, first: boolean): void;
  convForwardColsBytes(F: number, ...geometry: ConvGeometryArgs): number;
  convForwardWorkBytes(F: number, ...geometry: ConvGeometryArgs): number;
  convBackwardColsBytes(...geometry: ConvGeometryArgs): number;
  convBackwardDcolsBytes(F: number, ...geometry: ConvGeometryArgs): number;
  convBackwardDwRows(K: number): number;
  workspaceBytes(M: number, N: number, K: number): number;
  packedBytes(outer: number, K: number, tile: number): number;
  packAAll(transA: number, a: number, lda: number, M: number, K: number, alpha: number, dst: number): void;
  packBAll(transB: number, b: number, ldb: number, K: number, N: number, dst: number): void;
  sgemmShared(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    beta: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    work: number,
    packedA: number,
    packedB: number,
  ): void;
}

// ---- control block (an Int32Array over a SharedArrayBuffer; the doubles live in a Float64Array
// over the same bytes) ----------------------------------------------------------------------------
/** Incremented (and notified) by the caller to wake the helpers for a new call. */
const BELL = 0;
/** (call sequence << 8) | bands not yet claimed; claimed by compare-and-swap. */
const CLAIM = 1;
/** Bands finished in this call; the last helper to finish notifies. */
const DONE = 2;
/** Set to 1 by a helper whose kernel call threw (the caller then recomputes single-threaded). */
const ERROR = 3;
// The call's descriptor, written before CLAIM publishes it and stable until DONE reaches BANDS.
const TRANS_A = 4;
const TRANS_B = 5;
const M_ = 6;
const N_ = 7;
const K_ = 8;
const A_ = 9; // byte addresses, stored as uint32
const B_ = 10;
const C_ = 11;
const WORK = 12;
const WORK_BYTES = 13;
const SPLIT_ROWS = 14;
const BANDS = 15;
const ALPHA64 = 10; // Float64Array indices: bytes 80..95, int32 words 20..23
const BETA64 = 11;
/** Bands computed by helpers, ever (statistics for tests and benchmarks). */
const HELPER_BANDS = 16;
/** What a band is: 0 a band of C's rows or columns (GEMM); the CONV_* kinds below. */
const KIND = 17;
/** Byte address of the shared operand, packed whole (B for bands of rows, A for bands of columns). */
const PACKED = 18;
/** Convolution jobs (assembly/conv.ts): images of the forward pass, columns of dw, images of dx. */
const CONV_FORWARD = 1;
const CONV_FILTER = 2;
const CONV_DATA = 3;
/** A convolution's descriptor: n, F, C, H, W, HH, WW, stride, pad, Ho, Wo at CONV_GEOM + 0..10. */
const CONV_GEOM = 40;
const CONV_X = 51; // byte addresses, stored as uint32
const CONV_W = 52;
const CONV_IN = 53; // b (forward) or dout (backward)
const CONV_OUT = 54; // out, dwᵀ or dx
const CONV_FIRST = 55; // dwᵀ: 1 when this call's first image starts the sum
const CONV_SCRATCH = 56; // thread t's columns at CONV_SCRATCH + t·CONV_SCRATCH_BYTES …
const CONV_SCRATCH_BYTES = 57;
const CONV_WORK_OFFSET = 58; // … and its GEMM workspace CONV_WORK_OFFSET bytes after them
/** Helper i reports start-up at READY + i: 1 ready, 2 failed. */
const READY = 64;
const CONTROL_INTS = READY + 64;
/** At most this many helpers; bands per call at most 255 (CLAIM's low byte). */
const MAX_HELPERS = 63;

/**
 * The helper thread's program, shared by Node (eval'd worker_threads code) and browsers (a Blob
 * URL). It mirrors `runBands` below; keep the two in step.
 */
const helperSource = `
function helperMain(data) {
  const ctrl = new Int32Array(data.control);
  const u32 = new Uint32Array(data.control);
  const f64 = new Float64Array(data.control);
  const slot = data.slot;
  let k;
  try {
    k = new WebAssembly.Instance(new WebAssembly.Module(data.bytes), { env: { memory: data.memory } }).exports;
  } catch (e) {
    Atomics.store(ctrl, ${READY} + slot, 2);
    return;
  }
  Atomics.store(ctrl, ${READY} + slot, 1);
  let bell = 0;
  for (;;) {
    Atomics.wait(ctrl, ${BELL}, bell);
    bell = Atomics.load(ctrl, ${BELL});
    if (bell < 0) return;
    for (;;) {
      const claim = Atomics.load(ctrl, ${CLAIM});
      const left = claim & 255;
      if (left === 0) break;
      if (Atomics.compareExchange(ctrl, ${CLAIM}, claim, claim - 1) !== claim) continue;
      const bands = ctrl[${BANDS}];
      try {
        if (ctrl[${KIND}] === 0) runBand(k, ctrl, u32, f64, bands - left, bands, u32[${WORK}] + (slot + 1) * u32[${WORK_BYTES}]);
        else runConvBand(k, ctrl, u32, bands - left, bands, slot + 1);
      } catch (e) {
        Atomics.store(ctrl, ${ERROR}, 1);
      }
      Atomics.add(ctrl, ${HELPER_BANDS}, 1);
      if (Atomics.add(ctrl, ${DONE}, 1) + 1 === bands) Atomics.notify(ctrl, ${DONE});
    }
  }
}
function runBand(k, ctrl, u32, f64, band, bands, work) {
  const transA = ctrl[${TRANS_A}], transB = ctrl[${TRANS_B}];
  const M = ctrl[${M_}], N = ctrl[${N_}], K = ctrl[${K_}];
  const a = u32[${A_}], b = u32[${B_}], c = u32[${C_}];
  const rows = ctrl[${SPLIT_ROWS}] === 1;
  const extent = rows ? M : N;
  const tile = rows ? 4 : 8;
  const units = Math.ceil(extent / tile);
  const s = Math.floor((band * units) / bands) * tile;
  const e = Math.min(extent, Math.floor(((band + 1) * units) / bands) * tile);
  const lda = transA ? M : K, ldb = transB ? K : N, packed = u32[${PACKED}];
  if (rows) {
    k.sgemmShared(transA, transB, e - s, N, K, f64[${ALPHA64}], f64[${BETA64}],
      a + 4 * (transA ? s : s * K), lda, b, ldb, c + 4 * s * N, N, work, 0, packed);
  } else {
    k.sgemmShared(transA, transB, M, e - s, K, f64[${ALPHA64}], f64[${BETA64}],
      a, lda, b + 4 * (transB ? s * K : s), ldb, c + 4 * s, N, work, packed, 0);
  }
}
function runConvBand(k, ctrl, u32, band, bands, thread) {
  const kind = ctrl[${KIND}];
  const g = [];
  for (let i = 0; i < 11; i++) g.push(ctrl[${CONV_GEOM} + i]);
  const [n, F, C, H, W, HH, WW, stride, pad, Ho, Wo] = g;
  const scratch = u32[${CONV_SCRATCH}] + thread * u32[${CONV_SCRATCH_BYTES}];
  const work = scratch + u32[${CONV_WORK_OFFSET}];
  const x = u32[${CONV_X}], w = u32[${CONV_W}], input = u32[${CONV_IN}], out = u32[${CONV_OUT}];
  const P = Ho * Wo, image = C * H * W;
  if (kind === ${CONV_FILTER}) {
    const units = Math.ceil((C * HH * WW) / 8);
    const k0 = Math.floor((band * units) / bands) * 8;
    const k1 = Math.min(C * HH * WW, Math.floor(((band + 1) * units) / bands) * 8);
    k.convBackwardFilterColumns(n, F, C, H, W, HH, WW, stride, pad, Ho, Wo, x, input, out, k0, k1, ctrl[${CONV_FIRST}] === 1, scratch, work);
    return;
  }
  const s = Math.floor((band * n) / bands);
  const e = Math.floor(((band + 1) * n) / bands);
  if (kind === ${CONV_FORWARD}) {
    k.convForward(e - s, F, C, H, W, HH, WW, stride, pad, Ho, Wo, x + 4 * s * image, w, input, out + 4 * s * F * P, scratch, work);
  } else {
    k.convBackwardData(e - s, F, C, H, W, HH, WW, stride, pad, Ho, Wo, w, input + 4 * s * F * P, out + 4 * s * image, scratch, work);
  }
}
`;

const nodeHelper = `${helperSource}
helperMain(require('node:worker_threads').workerData);
`;

const browserHelper = `${helperSource}
self.onmessage = (event) => { self.onmessage = null; helperMain(event.data); };
`;

let helperUrl: string | undefined;

/** A started helper: how to stop it. */
interface Helper {
  stop(): void;
}

interface Pool {
  /** Whether the threads run the convolution module (a superset of the GEMM's exports). */
  conv: boolean;
  memory: WebAssembly.Memory;
  kernel: SharedGemmExports;
  control: Int32Array;
  u32: Uint32Array;
  f64: Float64Array;
  helpers: Helper[];
  /** Call sequence, in CLAIM's upper 24 bits. */
  seq: number;
  view?: Float32Array;
}

let pool: Pool | null = null;
/** Why threading is off (undefined while it has not been tried or works). */
let failure: string | undefined;
let wantedThreads = defaultThreads();

/** Calls that took the shared-memory path, and bands helpers computed in pools since stopped. */
let threadedCalls = 0;
let helperBandsBase = 0;
/**
 * Bands of C per thread in a threaded call. More bands balance a busy machine better; each costs a
 * claim and its own slice of the operand the bands do not share (packed by the band).
 */
let bandsPerThread = 4;

/** Tuning only: sets the bands per thread (an integer ≥ 1); returns the previous value. */
export function setBandsPerThread(n: number): number {
  const previous = bandsPerThread;
  bandsPerThread = Math.max(1, Math.floor(n));
  return previous;
}

/** Tests only: false makes the caller leave every band to the helpers. */
let callerWorks = true;

/** Below this many multiply-adds (M·N·K) a call runs on the caller's thread alone. */
let threshold = 1 << 21;

/** Logical cores, where the platform says; else 1. */
export function defaultThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  let n = nav?.hardwareConcurrency;
  if (!(typeof n === 'number' && n >= 1)) {
    const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>('os');
    n = os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
  }
  return Math.max(1, Math.min(MAX_HELPERS + 1, Math.floor(n)));
}

function nodeBuiltin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(`node:${name}`) as T | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets the wanted thread count (already checked: an integer ≥ 1). At 1 the helpers stay asleep
 * (for a later return to the same count); another count restarts them on the next threaded call.
 */
export function setThreadCount(n: number): void {
  wantedThreads = Math.min(n, MAX_HELPERS + 1);
  if (pool && wantedThreads > 1 && pool.helpers.length !== wantedThreads - 1) stopPool();
}

export function getThreadCount(): number {
  return wantedThreads;
}

/** Sets the M·N·K threshold for threading (already checked); returns the previous one. */
export function setThreadThreshold(n: number): number {
  const previous = threshold;
  threshold = n;
  return previous;
}

export function getThreadThreshold(): number {
  return threshold;
}

/** Helper threads that have started and are taking work now. */
export function readyHelpers(): number {
  if (!pool) return 0;
  let ready = 0;
  let failed = 0;
  for (let i = 0; i < pool.helpers.length; i++) {
    const state = Atomics.load(pool.control, READY + i);
    if (state === 1) ready++;
    else if (state === 2) failed++;
  }
  if (failed > 0 && failed === pool.helpers.length) {
    failure = 'helper threads failed to start';
    stopPool();
  }
  return ready;
}

/** Statistics for tests and benchmarks: threaded calls and bands computed by helper threads. */
export function threadStats(): { threadedCalls: number; helperBands: number } {
  const bands = pool ? Atomics.load(pool.control, HELPER_BANDS) : 0;
  return { threadedCalls, helperBands: bands + helperBandsBase };
}

/**
 * Tests only: with false, a threaded call with a ready helper leaves every band to the helpers, so
 * a test can be sure that helper threads computed the result. Returns the previous setting.
 */
export function setCallerWorks(works: boolean): boolean {
  const previous = callerWorks;
  callerWorks = works;
  return previous;
}

/** Whether helper threads have been started (and not stopped since). */
export function threadsStarted(): boolean {
  return pool !== null && pool.helpers.length > 0;
}

/** Why the threaded GEMM is off, or undefined. */
export function threadsFailure(): string | undefined {
  return failure;
}

function stopPool(): void {
  if (!pool) return;
  helperBandsBase += Atomics.load(pool.control, HELPER_BANDS);
  Atomics.store(pool.control, BELL, -1);
  Atomics.notify(pool.control, BELL);
  for (const h of pool.helpers) h.stop();
  pool = null;
}

/**
 * Why helper threads cannot run in the global scope `scope` (this one by default; tests pass
 * imitations of browser scopes), or undefined when they can be tried.
 */
export function platformProblem(scope: object = globalThis): string | undefined {
  const g = scope as {
    SharedArrayBuffer?: unknown;
    Atomics?: unknown;
    process?: { versions?: { node?: string } };
    crossOriginIsolated?: boolean;
    WorkerGlobalScope?: new () => unknown;
    Worker?: unknown;
  };
  if (typeof g.SharedArrayBuffer !== 'function' || typeof g.Atomics !== 'object')
    return 'SharedArrayBuffer/Atomics unavailable';
  if (g.process?.versions?.node !== undefined) {
    if (scope !== globalThis) return undefined;
    return nodeBuiltin('worker_threads') ? undefined : 'worker_threads unavailable';
  }
  if (typeof g.Worker !== 'function') return 'Web Workers unavailable';
  if (g.crossOriginIsolated !== true) return 'page not cross-origin isolated';
  if (!(typeof g.WorkerGlobalScope === 'function' && scope instanceof g.WorkerGlobalScope))
    return 'Atomics.wait not allowed on a browser main thread';
  return undefined;
}

function startHelper(
  bytes: Uint8Array,
  memory: WebAssembly.Memory,
  control: SharedArrayBuffer,
  slot: number,
): Helper {
  const data = { bytes, memory, control, slot };
  const wt = nodeBuiltin<typeof import('node:worker_threads')>('worker_threads');
  if (wt) {
    // execArgv [] : the helper needs none of the parent's loaders (--import tsx, …), only V8's
    // process-wide flags, which it shares anyway.
    const worker = new wt.Worker(nodeHelper, {
      eval: true,
      workerData: data,
      name: `backprop-gemm-${slot}`,
      execArgv: [],
    });
    worker.unref();
    worker.on('error', () => {}); // a dead helper only stops taking bands
    return { stop: () => void worker.terminate() };
  }
  // One Blob URL for every helper, never revoked: a worker may fetch its script after the
  // constructor returns, and this thread cannot learn when without yielding.
  helperUrl ??= URL.createObjectURL(new Blob([browserHelper], { type: 'text/javascript' }));
  const worker = new Worker(helperUrl, { name: `backprop-gemm-${slot}` });
  worker.postMessage(data);
  return { stop: () => worker.terminate() };
}

/**
 * The pool, started on first use with `threads - 1` helpers; null where threading is off. `bytes`
 * is the shared-memory module for this engine's SIMD variant: the GEMM's, or the convolution
 * module's (`conv`), which also serves GEMMs. A pool running the GEMM alone is restarted on the
 * convolution module the first time a convolution wants it (its helpers take work once ready).
 */
function getPool(bytes: Uint8Array<ArrayBuffer>, conv = false): Pool | null {
  if (pool && conv && !pool.conv) stopPool();
  if (pool) return pool;
  if (failure !== undefined) return null;
  const problem = platformProblem();
  if (problem) {
    failure = problem;
    return null;
  }
  try {
    const module = new WebAssembly.Module(bytes);
    const memory = newSharedMemory();
    const kernel = new WebAssembly.Instance(module, { env: { memory } })
      .exports as unknown as SharedGemmExports;
    const sab = new SharedArrayBuffer(CONTROL_INTS * 4);
    const control = new Int32Array(sab);
    const helpers: Helper[] = [];
    const next: Pool = {
      conv,
      memory,
      kernel,
      control,
      u32: new Uint32Array(sab),
      f64: new Float64Array(sab),
      helpers,
      seq: 0,
    };
    try {
      for (let i = 0; i < wantedThreads - 1; i++) helpers.push(startHelper(bytes, memory, sab, i));
    } catch (e) {
      pool = next;
      stopPool();
      throw e;
    }
    pool = next;
    return pool;
  } catch (e) {
    failure = `start-up failed: ${e instanceof Error ? e.message : String(e)}`;
    return null;
  }
}

/** 4 GiB of address space where the engine reserves it, else 1 GiB. */
function newSharedMemory(): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  } catch {
    return new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true });
  }
}

const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/**
 * Whether `gemmThreaded` would spread this call over helper threads now (threads wanted, the call
 * above the threshold). Starts the helpers the first time it says yes; they take work once ready.
 */
export function threadedWanted({ M, N, K }: GemmArgs): boolean {
  return wantedThreads > 1 && M * N * K >= threshold && failure === undefined;
}

/**
 * float32 C = alpha·op(A)·op(B) + beta·C over the caller's thread and the ready helpers, bit-
 * identical to the single-threaded kernel. Arguments are checked; K > 0 and alpha ≠ 0 are not
 * required. Returns false (doing nothing) where threading is off or memory is short.
 */
export function gemmThreaded(args: GemmArgs, bytes: Uint8Array<ArrayBuffer>): boolean {
  const p = getPool(bytes);
  if (!p) return false;
  const { M, N, K, A, B, C, transA, transB, alpha, beta } = args;
  const threads = 1 + readyHelpers();
  // Split C into bands of whole rows when B (packed once, shared by the bands) is the smaller
  // operand, else of whole columns; several bands per thread so a slow thread costs little.
  let rows = N <= M;
  if ((rows ? Math.ceil(M / 4) : Math.ceil(N / 8)) < threads) rows = !rows;
  const units = rows ? Math.ceil(M / 4) : Math.ceil(N / 8);
  const bands = threads === 1 ? 1 : Math.min(units, 255, bandsPerThread * threads);
  const maxBand = Math.ceil(units / bands) * (rows ? 4 : 8);
  const k = p.kernel;
  const sizeA = M * K;
  const sizeB = K * N;
  const sizeC = M * N;
  const a = align(k.heapBase());
  const b = align(a + 4 * sizeA);
  const c = align(b + 4 * sizeB);
  const packed = align(c + 4 * sizeC);
  const work = align(packed + (rows ? k.packedBytes(N, K, 8) : k.packedBytes(M, K, 4)));
  const workBytes = align(
    k.workspaceBytes(rows ? Math.min(M, maxBand) : M, rows ? N : Math.min(N, maxBand), K),
  );
  const end = work + (p.helpers.length + 1) * workBytes;
  const memory = p.memory;
  try {
    if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  } catch {
    return false;
  }
  if (p.view === undefined || p.view.length * 4 !== memory.buffer.byteLength) {
    p.view = new Float32Array(memory.buffer);
  }
  const mem = p.view;
  mem.set(A.subarray(0, sizeA), a >>> 2);
  mem.set(B.subarray(0, sizeB), b >>> 2);
  if (beta !== 0) mem.set(C.subarray(0, sizeC), c >>> 2);
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;
  if (rows) k.packBAll(tb, b, transB ? K : N, K, N, packed);
  else k.packAAll(ta, a, transA ? M : K, M, K, alpha, packed);

  const ctrl = p.control;
  ctrl[TRANS_A] = ta;
  ctrl[TRANS_B] = tb;
  ctrl[M_] = M;
  ctrl[N_] = N;
  ctrl[K_] = K;
  p.u32[A_] = a;
  p.u32[B_] = b;
  p.u32[C_] = c;
  p.u32[WORK] = work;
  p.u32[WORK_BYTES] = workBytes;
  p.u32[PACKED] = packed;
  ctrl[SPLIT_ROWS] = rows ? 1 : 0;
  p.f64[ALPHA64] = alpha;
  p.f64[BETA64] = beta;
  ctrl[KIND] = 0;
  const ok = runJob(p, bands, threads, (band) =>
    runBand(k, M, N, K, transA, transB, alpha, beta, a, b, c, work, packed, rows, band, bands),
  );
  if (!ok) return false;
  C.set(mem.subarray(c >>> 2, (c >>> 2) + sizeC));
  return true;
}

/**
 * Runs a job of `bands` bands (its descriptor already in the control block) on the caller and the
 * ready helpers: publishes it, rings the bell, claims bands until none is left, and waits for the
 * helpers' last ones. False when a helper's kernel call threw (threading is then turned off and the
 * caller recomputes single-threaded).
 */
function runJob(p: Pool, bands: number, threads: number, runLocal: (band: number) => void): boolean {
  const ctrl = p.control;
  ctrl[BANDS] = bands;
  ctrl[ERROR] = 0;
  Atomics.store(ctrl, DONE, 0);
  p.seq = (p.seq + 1) & 0xffffff;
  // Publishing CLAIM (a sequentially consistent store) makes the descriptor visible to helpers.
  Atomics.store(ctrl, CLAIM, (p.seq << 8) | bands);
  if (threads > 1) {
    Atomics.add(ctrl, BELL, 1);
    Atomics.notify(ctrl, BELL);
  }
  threadedCalls++;
  for (; callerWorks || threads === 1; ) {
    const claim = Atomics.load(ctrl, CLAIM);
    const left = claim & 255;
    if (left === 0) break;
    if (Atomics.compareExchange(ctrl, CLAIM, claim, claim - 1) !== claim) continue;
    runLocal(bands - left);
    Atomics.add(ctrl, DONE, 1);
  }
  for (;;) {
    const done = Atomics.load(ctrl, DONE);
    if (done === bands) break;
    Atomics.wait(ctrl, DONE, done);
  }
  if (Atomics.load(ctrl, ERROR) !== 0) {
    failure = 'a helper thread failed';
    stopPool();
    return false;
  }
  return true;
}

/** One band of C on the caller's thread, exactly as `runBand` in `helperSource` does it. */
function runBand(
  k: SharedGemmExports,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
  a: number,
  b: number,
  c: number,
  work: number,
  packed: number,
  rows: boolean,
  band: number,
  bands: number,
): void {
  const extent = rows ? M : N;
  const tile = rows ? 4 : 8;
  const units = Math.ceil(extent / tile);
  const s = Math.floor((band * units) / bands) * tile;
  const e = Math.min(extent, Math.floor(((band + 1) * units) / bands) * tile);
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  if (rows) {
    const aBand = a + 4 * (transA ? s : s * K);
    k.sgemmShared(ta, tb, e - s, N, K, alpha, beta, aBand, lda, b, ldb, c + 4 * s * N, N, work, 0, packed);
  } else {
    const bBand = b + 4 * (transB ? s * K : s);
    k.sgemmShared(ta, tb, M, e - s, K, alpha, beta, a, lda, bBand, ldb, c + 4 * s, N, work, packed, 0);
  }
}

// ---- convolution over the threads ------------------------------------------------------------
// The forward pass and dx split the batch (each image is independent); dw splits its columns (the
// im2col rows k, the rows of the dwᵀ the module sums), each band summing over every image in order. Either way every output element is
// computed by the single-threaded kernel's instruction sequence: results are bit-identical for any
// thread count. Images go through in groups of at most GROUP_BYTES (conv-sizes.ts), as on one thread.

/** Whether a convolution of this size goes to the threads (threads wanted, enough work, two images). */
export function convThreadedWanted(g: ConvGeometry, N: number, F: number): boolean {
  const macs = N * F * g.outHeight * g.outWidth * g.C * g.HH * g.WW;
  return wantedThreads > 1 && N >= 2 && macs >= threshold && failure === undefined;
}

/** Writes the convolution's geometry (for `n` images) into the control block. */
function setConvGeometry(ctrl: Int32Array, g: ConvGeometry, n: number, F: number): void {
  const values = [n, F, g.C, g.H, g.W, g.HH, g.WW, g.stride, g.pad, g.outHeight, g.outWidth];
  for (let i = 0; i < values.length; i++) ctrl[CONV_GEOM + i] = values[i];
}

/** The pool's memory grown to `end` bytes and a current view on it; null when it cannot grow. */
function sharedView(p: Pool, end: number): Float32Array | null {
  const memory = p.memory;
  try {
    if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  } catch {
    return null;
  }
  if (p.view === undefined || p.view.length * 4 !== memory.buffer.byteLength) {
    p.view = new Float32Array(memory.buffer);
  }
  return p.view;
}

/** Consecutive 64-byte-aligned regions of these byte sizes from the heap base; the last is `end`. */
function regions(k: SharedGemmExports, sizes: number[]): number[] {
  const at = [align(k.heapBase())];
  for (const size of sizes) at.push(align(at[at.length - 1] + size));
  return at;
}

/**
 * The forward pass of a float32 convolution over the threads (see `convForwardF32`); false, doing
 * nothing, where threading is off, the helpers are not ready yet, or memory is short.
 */
export function convForwardThreaded(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  out: Float32Array,
  g: ConvGeometry,
  N: number,
  F: number,
  bytes: Uint8Array<ArrayBuffer>,
): boolean {
  const p = getPool(bytes, true);
  if (!p) return false;
  const threads = 1 + readyHelpers();
  if (threads === 1) return false;
  const k = p.kernel;
  const { K, P, image, G } = convSizes(g, N, F, 1);
  const geometry = [g.C, g.H, g.W, g.HH, g.WW, g.stride, g.pad, g.outHeight, g.outWidth] as const;
  const workOffset = align(k.convForwardColsBytes(F, ...geometry));
  const scratchBytes = workOffset + align(k.convForwardWorkBytes(F, ...geometry));
  const [aw, ab, ax, aout, ascratch] = regions(k, [4 * F * K, 4 * F, 4 * G * image, 4 * G * F * P]);
  const mem = sharedView(p, ascratch + threads * scratchBytes);
  if (!mem) return false;
  mem.set(w.subarray(0, F * K), aw >>> 2);
  mem.set(b.subarray(0, F), ab >>> 2);
  const ctrl = p.control;
  ctrl[KIND] = CONV_FORWARD;
  p.u32[CONV_X] = ax;
  p.u32[CONV_W] = aw;
  p.u32[CONV_IN] = ab;
  p.u32[CONV_OUT] = aout;
  p.u32[CONV_SCRATCH] = ascratch;
  p.u32[CONV_SCRATCH_BYTES] = scratchBytes;
  p.u32[CONV_WORK_OFFSET] = workOffset;
  for (let n0 = 0; n0 < N; n0 += G) {
    const n = Math.min(G, N - n0);
    mem.set(x.subarray(n0 * image, (n0 + n) * image), ax >>> 2);
    setConvGeometry(ctrl, g, n, F);
    const bands = Math.min(n, 255, 4 * threads);
    if (!runJob(p, bands, threads, (band) => runConvBand(p, band, bands))) return false;
    out.set(mem.subarray(aout >>> 2, (aout >>> 2) + n * F * P), n0 * F * P);
  }
  return true;
}

/**
 * The backward pass of a float32 convolution over the threads (see `convBackwardF32`): dw, and dx
 * when given; false, doing nothing useful, where threading is off or not ready or memory is short.
 */
export function convBackwardThreaded(
  x: Float32Array,
  w: Float32Array,
  dout: Float32Array,
  dw: Float32Array,
  dx: Float32Array | null,
  g: ConvGeometry,
  N: number,
  F: number,
  bytes: Uint8Array<ArrayBuffer>,
  db?: Float32Array,
): boolean {
  const p = getPool(bytes, true);
  if (!p) return false;
  const threads = 1 + readyHelpers();
  if (threads === 1) return false;
  const k = p.kernel;
  const { K, P, image, G } = convSizes(g, N, F, dx ? 2 : 1);
  const geometry = [g.C, g.H, g.W, g.HH, g.WW, g.stride, g.pad, g.outHeight, g.outWidth] as const;
  // Each thread's scratch serves both kinds of band: dwᵀ's rows and dx's images.
  const workOffset = align(
    Math.max(k.convBackwardColsBytes(...geometry), k.convBackwardDcolsBytes(F, ...geometry)),
  );
  const work = Math.max(k.workspaceBytes(K, F, P), k.workspaceBytes(K, P, F));
  const scratchBytes = workOffset + align(work);
  const [aw, adw, adb, ax, adout, adx, ascratch] = regions(k, [
    4 * F * K,
    4 * k.convBackwardDwRows(K) * F,
    4 * F,
    4 * G * image,
    4 * G * F * P,
    dx ? 4 * G * image : 0,
  ]);
  const mem = sharedView(p, ascratch + threads * scratchBytes);
  if (!mem) return false;
  mem.set(w.subarray(0, F * K), aw >>> 2);
  const ctrl = p.control;
  p.u32[CONV_X] = ax;
  p.u32[CONV_W] = aw;
  p.u32[CONV_IN] = adout;
  p.u32[CONV_SCRATCH] = ascratch;
  p.u32[CONV_SCRATCH_BYTES] = scratchBytes;
  p.u32[CONV_WORK_OFFSET] = workOffset;
  for (let n0 = 0; n0 < N; n0 += G) {
    const n = Math.min(G, N - n0);
    mem.set(x.subarray(n0 * image, (n0 + n) * image), ax >>> 2);
    mem.set(dout.subarray(n0 * F * P, (n0 + n) * F * P), adout >>> 2);
    // db on this thread, before the helpers start (its sum over images is sequential).
    if (db) k.biasGradient(n, F, P, adout, adb, n0 === 0);
    setConvGeometry(ctrl, g, n, F);
    // dw by columns, the rows of dwᵀ: bands of whole register tiles (8 rows).
    ctrl[KIND] = CONV_FILTER;
    p.u32[CONV_OUT] = adw;
    ctrl[CONV_FIRST] = n0 === 0 ? 1 : 0;
    const filterBands = Math.min(Math.ceil(K / 8), 255, 2 * threads);
    if (!runJob(p, filterBands, threads, (band) => runConvBand(p, band, filterBands))) return false;
    if (dx) {
      ctrl[KIND] = CONV_DATA;
      p.u32[CONV_OUT] = adx;
      const dataBands = Math.min(n, 255, 4 * threads);
      if (!runJob(p, dataBands, threads, (band) => runConvBand(p, band, dataBands))) return false;
      dx.set(mem.subarray(adx >>> 2, (adx >>> 2) + n * image), n0 * image);
    }
  }
  copyDwFromTransposed(mem, adw, K, F, dw);
  db?.set(mem.subarray(adb >>> 2, (adb >>> 2) + F));
  return true;
}

/** One convolution band on the caller's thread (thread 0), exactly as `runConvBand` in `helperSource`. */
function runConvBand(p: Pool, band: number, bands: number): void {
  const { control: ctrl, u32, kernel: k } = p;
  const [n, F, C, H, W, HH, WW, stride, pad, Ho, Wo] = ctrl.subarray(CONV_GEOM, CONV_GEOM + 11);
  const scratch = u32[CONV_SCRATCH];
  const work = scratch + u32[CONV_WORK_OFFSET];
  const x = u32[CONV_X];
  const w = u32[CONV_W];
  const input = u32[CONV_IN];
  const out = u32[CONV_OUT];
  const P = Ho * Wo;
  const image = C * H * W;
  const geometry: ConvArgs11 = [n, F, C, H, W, HH, WW, stride, pad, Ho, Wo];
  const kind = ctrl[KIND];
  if (kind === CONV_FILTER) {
    const units = Math.ceil((C * HH * WW) / 8);
    const k0 = Math.floor((band * units) / bands) * 8;
    const k1 = Math.min(C * HH * WW, Math.floor(((band + 1) * units) / bands) * 8);
    k.convBackwardFilterColumns(...geometry, x, input, out, k0, k1, ctrl[CONV_FIRST] === 1, scratch, work);
    return;
  }
  const s = Math.floor((band * n) / bands);
  const e = Math.floor(((band + 1) * n) / bands);
  geometry[0] = e - s;
  if (kind === CONV_FORWARD) {
    k.convForward(...geometry, x + 4 * s * image, w, input, out + 4 * s * F * P, scratch, work);
  } else {
    k.convBackwardData(...geometry, w, input + 4 * s * F * P, out + 4 * s * image, scratch, work);
  }
}
