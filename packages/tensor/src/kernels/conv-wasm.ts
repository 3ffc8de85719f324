// float32 convolution on the convolution module (assembly/conv.ts with the GEMM): im2col, the
// per-image GEMMs and col2im all run in the module's memory, so only x, w, dout and the results
// cross into it, where the JavaScript path (im2colImage / col2imImage around `gemm`) copies every
// image's columns in and out.
// Same arithmetic, same order, same bits as that path on one thread (tests compare them).
//
// With threads wanted and enough work, the threaded versions in gemm-threads.ts split the images
// (forward, dx) or dw's columns over the helper threads, with the same bits.
//
// Images go through in groups of at most SINGLE_THREAD_GROUP_BYTES (conv-sizes.ts) of input and
// output, so memory stays bounded for any batch (the module's memory only grows) and a group's output
// is still in L2 when it is copied out. Functions return false,
// doing nothing, where the kernel is unavailable or `setGemmBackend('ts')` is in force; the caller
// then runs its JavaScript path.
import type { ConvGeometry } from '../ops/im2col';
import { convSizes, copyDwFromTransposed, SINGLE_THREAD_GROUP_BYTES } from './conv-sizes';
import { getGemmBackend } from './gemm';
import { convBackwardThreaded, convForwardThreaded, convThreadedWanted } from './gemm-threads';
import {
  align,
  type EmbeddedModule,
  type GemmExports,
  loadKernel,
  maxMemoryBytes,
  memoryView,
  sharedGemmBytes,
} from './gemm-wasm';
import {
  convRelaxedSimdSharedWasm,
  convRelaxedSimdWasm,
  convSimdSharedWasm,
  convSimdWasm,
} from './wasm.generated';

/** The GEMM with the convolution loops (assembly/index.ts): loaded only by code that convolves. */
const CONV_MODULE: EmbeddedModule = {
  name: 'conv',
  simd: convSimdWasm,
  relaxed: convRelaxedSimdWasm,
  shared: convSimdSharedWasm,
  relaxedShared: convRelaxedSimdSharedWasm,
};

type Geometry = readonly [number, number, number, number, number, number, number, number, number];

interface ConvExports extends GemmExports {
  convForward(
    n: number,
    F: number,
    ...rest: [...Geometry, number, number, number, number, number, number]
  ): void;
  convBackward(
    n: number,
    F: number,
    ...rest: [...Geometry, number, number, number, number, number, boolean, number, number, number]
  ): void;
  biasGradient(n: number, F: number, P: number, dout: number, db: number, first: boolean): void;
  convForwardColsBytes(F: number, ...geometry: Geometry): number;
  convForwardWorkBytes(F: number, ...geometry: Geometry): number;
  convBackwardColsBytes(...geometry: Geometry): number;
  convBackwardDcolsBytes(F: number, ...geometry: Geometry): number;
  convBackwardDwRows(K: number): number;
}

function kernel(): ConvExports | null {
  if (getGemmBackend() === 'ts') return null;
  return loadKernel(CONV_MODULE) as ConvExports | null;
}

function geometry(g: ConvGeometry): Geometry {
  return [g.C, g.H, g.W, g.HH, g.WW, g.stride, g.pad, g.outHeight, g.outWidth];
}

/** Byte offsets of consecutive regions of the given float counts, from the kernel's heap base. */
function layout(k: GemmExports, floats: number[], workBytes: number): { at: number[]; end: number } {
  const at: number[] = [];
  let next = align(k.heapBase());
  for (const n of floats) {
    at.push(next);
    next = align(next + 4 * n);
  }
  at.push(next); // the GEMM workspace
  return { at, end: next + workBytes };
}

/**
 * out (N×F×H'×W') = conv(x, w) + b for float32 x (N×C×H×W), w (F×C×HH×WW), b (F). Arguments are
 * already checked by the layer.
 */
export function convForwardF32(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  out: Float32Array,
  g: ConvGeometry,
  N: number,
  F: number,
): boolean {
  const k = kernel();
  if (k === null || N === 0) return false;
  if (convThreadedWanted(g, N, F)) {
    const bytes = sharedGemmBytes(CONV_MODULE);
    if (bytes && convForwardThreaded(x, w, b, out, g, N, F, bytes)) return true;
  }
  const { K, P, image, G } = convSizes(g, N, F, 1, SINGLE_THREAD_GROUP_BYTES);
  const colsFloats = k.convForwardColsBytes(F, ...geometry(g)) / 4;
  const workBytes = k.convForwardWorkBytes(F, ...geometry(g));
  const { at, end } = layout(k, [F * K, F, colsFloats, G * image, G * F * P], workBytes);
  const [aw, ab, acols, ax, aout, awork] = at;
  if (end > maxMemoryBytes) return false;
  let mem: Float32Array;
  try {
    mem = memoryView(k, end);
  } catch {
    return false; // the engine refused to grow the memory: the JavaScript path copes
  }
  mem.set(w.subarray(0, F * K), aw >>> 2);
  mem.set(b.subarray(0, F), ab >>> 2);
  for (let n0 = 0; n0 < N; n0 += G) {
    const n = Math.min(G, N - n0);
    mem.set(x.subarray(n0 * image, (n0 + n) * image), ax >>> 2);
    k.convForward(n, F, ...geometry(g), ax, aw, ab, aout, acols, awork);
    out.set(mem.subarray(aout >>> 2, (aout >>> 2) + n * F * P), n0 * F * P);
  }
  return true;
}

/**
 * dw (F×C×HH×WW, overwritten), db (F, overwritten) when given, and dx (N×C×H×W, overwritten) when
 * given, of a float32 convolution from dout (N×F×H'×W'). Arguments are already checked. The module
 * sums dwᵀ; it is transposed into dw once, at the end.
 */
export function convBackwardF32(
  x: Float32Array,
  w: Float32Array,
  dout: Float32Array,
  dw: Float32Array,
  dx: Float32Array | null,
  g: ConvGeometry,
  N: number,
  F: number,
  db?: Float32Array,
): boolean {
  const k = kernel();
  if (k === null || N === 0) return false;
  if (convThreadedWanted(g, N, F)) {
    const bytes = sharedGemmBytes(CONV_MODULE);
    if (bytes && convBackwardThreaded(x, w, dout, dw, dx, g, N, F, bytes, db)) return true;
  }
  const { K, P, image, G } = convSizes(g, N, F, dx ? 2 : 1, SINGLE_THREAD_GROUP_BYTES);
  // dwᵀ = cols·doutᵀ (assembly/conv.ts), dx as wᵀ·dout.
  const workBytes = Math.max(k.workspaceBytes(K, F, P), dx ? k.workspaceBytes(K, P, F) : 0);
  const dcolsFloats = dx ? k.convBackwardDcolsBytes(F, ...geometry(g)) / 4 : 0;
  const colsFloats = k.convBackwardColsBytes(...geometry(g)) / 4;
  const dwTFloats = k.convBackwardDwRows(K) * F;
  const regions = [F * K, dwTFloats, F, colsFloats, dcolsFloats, G * image, G * F * P, dx ? G * image : 0];
  const { at, end } = layout(k, regions, workBytes);
  const [aw, adw, adb, acols, adcols, ax, adout, adx, awork] = at;
  if (end > maxMemoryBytes) return false;
  let mem: Float32Array;
  try {
    mem = memoryView(k, end);
  } catch {
    return false;
  }
  mem.set(w.subarray(0, F * K), aw >>> 2);
  for (let n0 = 0; n0 < N; n0 += G) {
    const n = Math.min(G, N - n0);
    mem.set(x.subarray(n0 * image, (n0 + n) * image), ax >>> 2);
    mem.set(dout.subarray(n0 * F * P, (n0 + n) * F * P), adout >>> 2);
    if (db) k.biasGradient(n, F, P, adout, adb, n0 === 0);
    k.convBackward(n, F, ...geometry(g), ax, aw, adout, adw, dx ? adx : 0, n0 === 0, acols, adcols, awork);
    if (dx) dx.set(mem.subarray(adx >>> 2, (adx >>> 2) + n * image), n0 * image);
  }
  copyDwFromTransposed(mem, adw, K, F, dw);
  db?.set(mem.subarray(adb >>> 2, (adb >>> 2) + F));
  return true;
}
