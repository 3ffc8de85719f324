// The float32 loops of a training step that are not GEMMs — ReLU forward and backward, 2×2 max
// pooling, the Adam update, the L2 penalty — on the WebAssembly SIMD module built from
// assembly/kernels.ts.
//
// The caller's arrays stay where they are: each call streams them through the module's memory in
// chunks of CHUNK floats per array (copy in, run, copy out), small enough to stay in L2, so the
// copies cost a fraction of what the kernels save (bench/: `pnpm bench steps`). Each function
// returns false, doing nothing, where the engine has no WebAssembly SIMD or `setKernelBackend('ts')`
// is in force; the caller then runs its own JavaScript loop, which gives the same bits.
import { checkOneOf } from '../check';
import { decodeBase64, wasmSimdSupported } from './gemm-wasm';
import { kernelsSimdWasm } from './wasm.generated';

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  relu(x: number, out: number, n: number): void;
  firstNotNonNegative(x: number, n: number): number;
  reluBackward(x: number, dout: number, dx: number, n: number): void;
  maxPool2x2(
    x: number,
    out: number,
    argmax: number,
    planes: number,
    H: number,
    W: number,
    indexBase: number,
  ): void;
  maxPool2x2Backward(
    dout: number,
    argmax: number,
    dx: number,
    planes: number,
    H: number,
    W: number,
    indexBase: number,
  ): void;
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    correct1: number,
    correct2: number,
    epsilon: number,
  ): void;
  sumSquaresAddScaled(w: number, g: number, n: number, reg: number, sums: number): void;
}

/** Floats per array per chunk: four arrays of 32 KB (Adam's w, dw, m, v) fit in a 512 KB L2. */
const CHUNK = 8192;

/** Which implementation the float32 ReLU, 2×2 max pooling and Adam loops use (see `setKernelBackend`). */
export type KernelBackend = 'auto' | 'wasm' | 'ts';

let backend: KernelBackend = 'auto';
let kernels: KernelExports | null | undefined; // undefined: not loaded yet; null: unavailable
let base = 0;
let f32 = new Float32Array(0);
let i32 = new Int32Array(0);
let f64 = new Float64Array(0);

/**
 * Chooses the implementation of the float32 ReLU, 2×2 max-pooling and Adam loops: 'auto' and 'wasm'
 * run the WebAssembly SIMD kernels where the engine has SIMD; 'ts' forces the JavaScript loops
 * (tests compare the two; the results are bit-identical). Returns the previous setting.
 */
export function setKernelBackend(next: KernelBackend): KernelBackend {
  checkOneOf('setKernelBackend', 'backend', next, ['auto', 'wasm', 'ts']);
  const previous = backend;
  backend = next;
  return previous;
}

/** The current setting of `setKernelBackend`. */
export function getKernelBackend(): KernelBackend {
  return backend;
}

/** The module, loaded on first use (synchronously, like the GEMM); null without SIMD or under 'ts'. */
function module(): KernelExports | null {
  if (backend === 'ts') return null;
  if (kernels === undefined) {
    kernels = null;
    if (wasmSimdSupported()) {
      try {
        const bytes = decodeBase64(kernelsSimdWasm);
        kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
          .exports as unknown as KernelExports;
        base = Math.ceil(kernels.heapBase() / 64) * 64;
        reserve(kernels, 4 * CHUNK + 8);
      } catch {
        kernels = null; // synchronous compilation refused: the JavaScript loops serve
      }
    }
  }
  return kernels;
}

/** Makes room for `floats` floats from `base` and refreshes the views (growth detaches them). */
function reserve(k: KernelExports, floats: number): void {
  const bytes = base + 4 * floats;
  const memory = k.memory;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  if (f32.buffer !== memory.buffer) {
    f32 = new Float32Array(memory.buffer);
    i32 = new Int32Array(memory.buffer);
    f64 = new Float64Array(memory.buffer);
  }
}

/**
 * The index of the first float32 entry that is negative or NaN, or −1 if there is none (Adam's and
 * RMSProp's running averages of dw² are checked with it every step); undefined where the kernels are
 * unavailable.
 */
export function firstNotNonNegativeF32(x: Float32Array): number | undefined {
  const k = module();
  if (k === null) return undefined;
  const at = base >>> 2;
  for (let start = 0; start < x.length; start += CHUNK) {
    const n = Math.min(CHUNK, x.length - start);
    f32.set(x.subarray(start, start + n), at);
    const i = k.firstNotNonNegative(base, n);
    if (i >= 0) return start + i;
  }
  return -1;
}

/** out = max(0, x) for float32 (NaN stays NaN, −0 becomes +0). */
export function reluF32(x: Float32Array, out: Float32Array): boolean {
  const k = module();
  if (k === null) return false;
  const at = base >>> 2;
  for (let start = 0; start < x.length; start += CHUNK) {
    const n = Math.min(CHUNK, x.length - start);
    f32.set(x.subarray(start, start + n), at);
    k.relu(base, base, n);
    out.set(f32.subarray(at, at + n), start);
  }
  return true;
}

/** dx = dout where x > 0, else +0, for float32. */
export function reluBackwardF32(x: Float32Array, dout: Float32Array, dx: Float32Array): boolean {
  const k = module();
  if (k === null) return false;
  const ax = base >>> 2;
  const ad = ax + CHUNK;
  for (let start = 0; start < x.length; start += CHUNK) {
    const n = Math.min(CHUNK, x.length - start);
    f32.set(x.subarray(start, start + n), ax);
    f32.set(dout.subarray(start, start + n), ad);
    k.reluBackward(4 * ax, 4 * ad, 4 * ad, n);
    dx.set(f32.subarray(ad, ad + n), start);
  }
  return true;
}

/**
 * Runs `step` over `planes` planes of H×W floats in chunks of whole planes: with the float offsets
 * (in the module's views) of a plane-sized region and of two quarter-sized ones, the chunk's first
 * plane and its number of planes. Returns false where the kernels are unavailable.
 */
function poolChunks(
  planes: number,
  H: number,
  W: number,
  step: (k: KernelExports, full: number, q1: number, q2: number, first: number, count: number) => void,
): boolean {
  const k = module();
  if (k === null) return false;
  const plane = H * W;
  const perChunk = Math.max(1, Math.floor((2 * CHUNK) / plane));
  const floats = perChunk * plane;
  reserve(k, floats + 2 * (floats >>> 2));
  const full = base >>> 2;
  const q1 = full + floats;
  const q2 = q1 + (floats >>> 2);
  for (let p = 0; p < planes; p += perChunk) step(k, full, q1, q2, p, Math.min(perChunk, planes - p));
  return true;
}

/**
 * 2×2 max pooling with stride 2 over `planes` planes of H×W float32 values (H, W even): the maxima
 * into out and each one's flat index into x into argmax (the first maximum on ties; NaN wins).
 */
export function maxPool2x2F32(
  x: Float32Array,
  out: Float32Array,
  argmax: Int32Array,
  planes: number,
  H: number,
  W: number,
): boolean {
  return poolChunks(planes, H, W, (k, ax, ao, aa, p, count) => {
    const start = p * H * W;
    const n = count * H * W;
    f32.set(x.subarray(start, start + n), ax);
    k.maxPool2x2(4 * ax, 4 * ao, 4 * aa, count, H, W, start);
    out.set(f32.subarray(ao, ao + (n >>> 2)), start >>> 2);
    argmax.set(i32.subarray(aa, aa + (n >>> 2)), start >>> 2);
  });
}

/**
 * The backward pass of `maxPool2x2F32`: dx (planes×H×W, every entry written) holds each window's
 * dout at its argmax and +0 elsewhere (the values of a scatter-add into a zeroed dx).
 */
export function maxPool2x2BackwardF32(
  dout: Float32Array,
  argmax: Int32Array,
  dx: Float32Array,
  planes: number,
  H: number,
  W: number,
): boolean {
  return poolChunks(planes, H, W, (k, adx, ad, aa, p, count) => {
    const start = p * H * W;
    const n = count * H * W;
    f32.set(dout.subarray(start >>> 2, (start + n) >>> 2), ad);
    i32.set(argmax.subarray(start >>> 2, (start + n) >>> 2), aa);
    k.maxPool2x2Backward(4 * ad, 4 * aa, 4 * adx, count, H, W, start);
    dx.set(f32.subarray(adx, adx + n), start);
  });
}

/** Adam's hyperparameters for one step (correct1 = 1 − β1ᵗ, correct2 = 1 − β2ᵗ). */
export interface AdamStep {
  learningRate: number;
  beta1: number;
  beta2: number;
  correct1: number;
  correct2: number;
  epsilon: number;
}

/**
 * One Adam step on float32 arrays (bit for bit @backprop/optim's loop): reads the weights x, the
 * gradient g and the moments m, v; writes the new weights to out and the new moments to nextM, nextV
 * (which may be x, m and v themselves: the in-place step).
 */
export function adamF32(
  out: Float32Array,
  nextM: Float32Array,
  nextV: Float32Array,
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  h: AdamStep,
): boolean {
  const k = module();
  if (k === null) return false;
  const aw = base >>> 2;
  const ag = aw + CHUNK;
  const am = ag + CHUNK;
  const av = am + CHUNK;
  for (let start = 0; start < x.length; start += CHUNK) {
    const n = Math.min(CHUNK, x.length - start);
    const end = start + n;
    f32.set(x.subarray(start, end), aw);
    f32.set(g.subarray(start, end), ag);
    f32.set(m.subarray(start, end), am);
    f32.set(v.subarray(start, end), av);
    k.adam(
      4 * aw,
      4 * ag,
      4 * am,
      4 * av,
      n,
      h.learningRate,
      h.beta1,
      h.beta2,
      h.correct1,
      h.correct2,
      h.epsilon,
    );
    out.set(f32.subarray(aw, aw + n), start);
    nextM.set(f32.subarray(am, am + n), start);
    nextV.set(f32.subarray(av, av + n), start);
  }
  return true;
}

/**
 * The L2 penalty's pass (bit for bit @backprop/models' loop): returns Σ w² in float64, as four partial
 * sums combined (s0 + s1) + (s2 + s3), and adds reg·w into g in place; undefined, touching nothing,
 * where the kernels are unavailable.
 */
export function sumSquaresAddScaledF32(w: Float32Array, g: Float32Array, reg: number): number | undefined {
  const k = module();
  if (k === null) return undefined;
  const aw = base >>> 2;
  const ag = aw + CHUNK;
  const sums = base + 16 * CHUNK; // four float64 after the four chunk-sized regions
  f64.fill(0, sums >>> 3, (sums >>> 3) + 4);
  for (let start = 0; start < w.length; start += CHUNK) {
    const n = Math.min(CHUNK, w.length - start);
    f32.set(w.subarray(start, start + n), aw);
    f32.set(g.subarray(start, start + n), ag);
    k.sumSquaresAddScaled(4 * aw, 4 * ag, n, reg, sums);
    g.set(f32.subarray(ag, ag + n), start);
  }
  const s = f64.subarray(sums >>> 3, (sums >>> 3) + 4);
  return s[0] + s[1] + (s[2] + s[3]);
}
