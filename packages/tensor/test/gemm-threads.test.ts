import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convBackwardF32,
  convForwardF32,
  convGeometry,
  gemm,
  gemmInfo,
  getGemmThreads,
  Rng,
  setGemmThreads,
  setGemmThreadThreshold,
  ValueError,
} from '../src/index';
import { platformProblem, setCallerWorks, threadStats } from '../src/kernels/gemm-threads';
import { expectError } from './helpers';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const defaultThreads = getGemmThreads();
let defaultThreshold = 0;

async function helpersReady(): Promise<void> {
  // The first call at or above the threshold starts the helper; it takes work once ready.
  setGemmThreads(2);
  const x = new Float32Array(64);
  gemm(8, 8, 8, x, x, new Float32Array(64));
  for (let i = 0; i < 500 && gemmInfo().threading !== 'on'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(gemmInfo()).toMatchObject({ threads: 2, activeThreads: 2, threading: 'on' });
}

beforeAll(async () => {
  setGemmThreads(2);
  defaultThreshold = setGemmThreadThreshold(1);
  await helpersReady();
}, 15_000);

afterAll(() => {
  setCallerWorks(true);
  setGemmThreadThreshold(defaultThreshold);
  setGemmThreads(defaultThreads);
});

interface Case {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
}

/** C from `gemm` with the given thread count (C starts as the same random values each time). */
function run(c: Case, threads: number, seed: number, callerWorks = true): Float32Array {
  const rng = new Rng(seed);
  const A = new Float32Array(c.M * c.K);
  const B = new Float32Array(c.K * c.N);
  const C = new Float32Array(c.M * c.N);
  rng.fillNormal(A);
  rng.fillNormal(B);
  rng.fillNormal(C);
  setGemmThreads(threads);
  const previous = setCallerWorks(callerWorks);
  try {
    gemm(c.M, c.N, c.K, A, B, C, c);
  } finally {
    setCallerWorks(previous);
  }
  return C;
}

/** Bitwise equality (so -0 vs 0 and NaN payloads count), with the first difference in the message. */
function expectBitIdentical(actual: Float32Array, expected: Float32Array): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const first = a.findIndex((v, i) => v !== e[i]);
  expect(first, first < 0 ? '' : `C[${first}] = ${actual[first]}, single-threaded ${expected[first]}`).toBe(
    -1,
  );
}

const caseArb = fc.record({
  M: fc.integer({ min: 1, max: 150 }),
  N: fc.integer({ min: 1, max: 150 }),
  K: fc.integer({ min: 1, max: 300 }),
  transA: fc.boolean(),
  transB: fc.boolean(),
  alpha: fc.constantFrom(1, -0.75, 2.5, 0),
  beta: fc.constantFrom(0, 1, 0.5),
});

describe('threaded gemm', () => {
  it('is bit-identical to one thread for random shapes, transposes, alpha and beta', async () => {
    await helpersReady();
    const before = threadStats();
    fc.assert(
      // Half the runs leave every band to the helper; the rest share the bands as scheduling falls.
      fc.property(caseArb, fc.integer(), fc.boolean(), (c, seed, callerWorks) => {
        expectBitIdentical(run(c, 2, seed, callerWorks), run(c, 1, seed));
      }),
      { numRuns: 60, seed: 7 },
    );
    expect(threadStats().threadedCalls - before.threadedCalls).toBe(60);
  });

  it('is bit-identical when the helper thread computes every band', async () => {
    await helpersReady();
    const shapes: Case[] = [
      // row bands (N ≤ M), column bands (N > M), ragged edges, K beyond one 256-deep block
      { M: 203, N: 37, K: 300, transA: false, transB: false, alpha: 1, beta: 0 },
      { M: 9, N: 301, K: 513, transA: true, transB: false, alpha: 1, beta: 0.5 },
      { M: 130, N: 70, K: 257, transA: false, transB: true, alpha: -2, beta: 1 },
      { M: 41, N: 131, K: 100, transA: true, transB: true, alpha: 0.5, beta: -1 },
      { M: 3, N: 5, K: 2, transA: false, transB: false, alpha: 1, beta: 0 },
      // The shared operand packed whole over several blocks: B past one 2048-column block (row
      // bands), A past one 128-row block (column bands), both with several K blocks.
      { M: 2100, N: 2050, K: 20, transA: false, transB: true, alpha: 1, beta: 0 },
      { M: 300, N: 2060, K: 520, transA: true, transB: false, alpha: -1.5, beta: 0 },
      { M: 2110, N: 20, K: 260, transA: false, transB: false, alpha: 1, beta: 1 },
    ];
    for (const c of shapes) {
      const before = threadStats().helperBands;
      const threaded = run(c, 2, 11, false);
      expect(threadStats().helperBands, JSON.stringify(c)).toBeGreaterThan(before);
      expectBitIdentical(threaded, run(c, 1, 11));
    }
  });

  it('matches the float64 triple loop (so the bands cover C exactly once)', async () => {
    await helpersReady();
    const c: Case = { M: 67, N: 45, K: 33, transA: true, transB: false, alpha: 1.5, beta: 0.25 };
    const rng = new Rng(3);
    const A = new Float32Array(c.M * c.K);
    const B = new Float32Array(c.K * c.N);
    const C = new Float32Array(c.M * c.N);
    rng.fillNormal(A);
    rng.fillNormal(B);
    rng.fillNormal(C);
    const C0 = C.slice();
    setCallerWorks(false);
    try {
      gemm(c.M, c.N, c.K, A, B, C, c);
    } finally {
      setCallerWorks(true);
    }
    for (let i = 0; i < c.M; i++) {
      for (let j = 0; j < c.N; j++) {
        let sum = 0;
        let abs = 0;
        for (let k = 0; k < c.K; k++) {
          const t = A[k * c.M + i] * B[k * c.N + j];
          sum += t;
          abs += Math.abs(t);
        }
        const want = c.alpha * sum + c.beta * C0[i * c.N + j];
        const bound = 2 * (c.K + 2) * 2 ** -24 * (c.alpha * abs + c.beta * Math.abs(C0[i * c.N + j]));
        expect(Math.abs(C[i * c.N + j] - want)).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('keeps calls below the threshold on the calling thread', async () => {
    await helpersReady();
    const x = new Float32Array(20 * 30);
    const y = new Float32Array(30 * 40);
    const out = new Float32Array(20 * 40);
    setGemmThreadThreshold(20 * 40 * 30 + 1);
    try {
      const before = threadStats().threadedCalls;
      gemm(20, 40, 30, x, y, out);
      expect(threadStats().threadedCalls).toBe(before);
      setGemmThreadThreshold(20 * 40 * 30);
      gemm(20, 40, 30, x, y, out);
      expect(threadStats().threadedCalls).toBe(before + 1);
      expect(gemmInfo().threadThreshold).toBe(20 * 40 * 30);
    } finally {
      setGemmThreadThreshold(1);
    }
  });

  it('keeps its helpers asleep at one thread and uses them again at two', async () => {
    setGemmThreads(1);
    expect(gemmInfo()).toMatchObject({ threads: 1, activeThreads: 1, threading: 'single' });
    const before = threadStats().threadedCalls;
    const x = new Float32Array(64);
    gemm(8, 8, 8, x, x, new Float32Array(64));
    expect(threadStats().threadedCalls).toBe(before);
    setGemmThreads(2);
    expect(gemmInfo().threading).toBe('on');
    await helpersReady();
  });
});

describe('setGemmThreads / setGemmThreadThreshold', () => {
  it('return the previous setting', () => {
    expect(setGemmThreads(3)).toBe(2);
    expect(getGemmThreads()).toBe(3);
    expect(gemmInfo().threads).toBe(3);
    expect(setGemmThreads(2)).toBe(3);
    expect(setGemmThreadThreshold(5)).toBe(1);
    expect(setGemmThreadThreshold(1)).toBe(5);
  });

  it('reject counts that are not integers ≥ 1 with a ValueError', () => {
    expectError(
      () => setGemmThreads(0),
      new ValueError('setGemmThreads', 'n', 'must be an integer >= 1, got 0'),
    );
    for (const bad of [1.5, Number.NaN]) {
      let message = '';
      try {
        setGemmThreads(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
        message = (e as Error).message;
      }
      expect(message).toMatch(/^setGemmThreads: n /);
    }
    expectError(
      () => setGemmThreadThreshold(0),
      new ValueError('setGemmThreadThreshold', 'n', 'must be an integer >= 1, got 0'),
    );
    expect(getGemmThreads()).toBe(2);
  });

  it('default to the logical core count', () => {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
    const cores = nav?.hardwareConcurrency ?? availableParallelism();
    expect(defaultThreads).toBe(Math.min(cores, 64));
  });
});

describe('threading fallback', () => {
  it('names why a browser scope cannot use helper threads', () => {
    class WorkerGlobalScope {}
    const base = { SharedArrayBuffer, Atomics, Worker: class {}, WorkerGlobalScope };
    expect(platformProblem({})).toBe('SharedArrayBuffer/Atomics unavailable');
    expect(platformProblem({ ...base, Worker: undefined, crossOriginIsolated: true })).toBe(
      'Web Workers unavailable',
    );
    expect(platformProblem({ ...base, crossOriginIsolated: false })).toBe('page not cross-origin isolated');
    // A window: Atomics.wait is not allowed on a browser's main thread.
    expect(platformProblem({ ...base, crossOriginIsolated: true })).toBe(
      'Atomics.wait not allowed on a browser main thread',
    );
    const workerScope = Object.assign(new WorkerGlobalScope(), base, { crossOriginIsolated: true });
    expect(platformProblem(workerScope)).toBeUndefined();
    expect(platformProblem()).toBeUndefined();
  });

  it('runs single-threaded without SharedArrayBuffer; with it, helpers (relaxed SIMD) never keep Node alive', () => {
    // Child 1 removes SharedArrayBuffer before loading the library: gemm falls back and says so.
    // Child 2 runs threaded calls and then just ends: it must exit on its own, with threads on.
    const script = (dropSab: boolean) => `
      ${dropSab ? 'delete globalThis.SharedArrayBuffer;' : ''}
      const { gemm, gemmInfo, setGemmThreads, setGemmThreadThreshold, Rng } = await import('./src/index.ts');
      setGemmThreads(2);
      setGemmThreadThreshold(1);
      const rng = new Rng(5);
      const [M, N, K] = [33, 20, 17];
      const A = new Float32Array(M * K), B = new Float32Array(K * N), C = new Float32Array(M * N);
      rng.fillNormal(A); rng.fillNormal(B);
      let worst = 0;
      for (let round = 0; round < 500 && (round < 5 || gemmInfo().threading === 'starting'); round++) {
        gemm(M, N, K, A, B, C);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0; for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
          worst = Math.max(worst, Math.abs(C[i * N + j] - s));
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      // Bit-identical to one thread here too (this child runs the relaxed-SIMD modules).
      const [m, n, k] = [150, 70, 300];
      const a = new Float32Array(m * k), b = new Float32Array(k * n);
      rng.fillNormal(a); rng.fillNormal(b);
      const c2 = new Float32Array(m * n), c1 = new Float32Array(m * n);
      gemm(m, n, k, a, b, c2, { alpha: 0.5 });
      const info = gemmInfo();
      setGemmThreads(1);
      gemm(m, n, k, a, b, c1, { alpha: 0.5 });
      const identical = c1.every((v, i) => Object.is(v, c2[i]));
      console.log(JSON.stringify({ info, worst, identical }));
    `;
    for (const dropSab of [true, false]) {
      const flags = dropSab || gemmInfo().relaxedSimd ? [] : ['--experimental-wasm-relaxed-simd'];
      const args = [...flags, '--import', 'tsx', '--input-type=module', '-e', script(dropSab)];
      const child = spawnSync(process.execPath, args, {
        cwd: root,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const { info, worst, identical } = JSON.parse(child.stdout);
      expect(worst).toBeLessThan(1e-4);
      expect(identical).toBe(true);
      if (dropSab) {
        expect(info).toMatchObject({
          threads: 2,
          activeThreads: 1,
          threading: 'unavailable',
          threadingNote: 'SharedArrayBuffer/Atomics unavailable',
        });
      } else {
        expect(info).toMatchObject({
          backend: 'wasm-relaxed-simd',
          threads: 2,
          activeThreads: 2,
          threading: 'on',
        });
      }
    }
  }, 45_000);
});

describe('threaded convolution', () => {
  /** out, dw and dx of a float32 convolution with the given thread count and caller participation. */
  function conv(p: ConvCase, threads: number, callerWorks = true) {
    const g = convGeometry({ fn: 'test', stride: 'stride', pad: 'pad', field: 'w' }, p);
    const P = g.outHeight * g.outWidth;
    const rng = new Rng(p.seed);
    const x = new Float32Array(p.N * p.C * p.H * p.W);
    const w = new Float32Array(p.F * p.C * p.HH * p.WW);
    const b = new Float32Array(p.F);
    const dout = new Float32Array(p.N * p.F * P);
    for (const a of [x, w, b, dout]) rng.fillNormal(a);
    const out = new Float32Array(dout.length);
    const dw = new Float32Array(w.length);
    const dx = new Float32Array(x.length);
    const db = new Float32Array(p.F);
    setGemmThreads(threads);
    const previous = setCallerWorks(callerWorks);
    try {
      expect(convForwardF32(x, w, b, out, g, p.N, p.F)).toBe(true);
      expect(convBackwardF32(x, w, dout, dw, p.withDx ? dx : null, g, p.N, p.F, db)).toBe(true);
    } finally {
      setCallerWorks(previous);
    }
    return { out, dw, dx, db };
  }

  interface ConvCase {
    N: number;
    F: number;
    C: number;
    H: number;
    W: number;
    HH: number;
    WW: number;
    stride: number;
    pad: number;
    seed: number;
    withDx: boolean;
  }

  const convArb = fc
    .record({
      N: fc.integer({ min: 2, max: 9 }),
      F: fc.integer({ min: 1, max: 12 }),
      C: fc.integer({ min: 1, max: 3 }),
      HH: fc.integer({ min: 1, max: 5 }),
      stride: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 2 }),
      oh: fc.integer({ min: 1, max: 12 }),
      seed: fc.integer(),
      withDx: fc.boolean(),
    })
    .map((p) => {
      const H = Math.max(p.HH, (p.oh - 1) * p.stride + p.HH - 2 * p.pad);
      return { ...p, WW: p.HH, H, W: H };
    })
    .filter((p) => (p.H + 2 * p.pad - p.HH) % p.stride === 0);

  it('is bit-identical to one thread: forward by images, dw by columns, dx by images', async () => {
    // The first threaded convolution restarts the helpers on the convolution module.
    conv({ N: 2, F: 2, C: 1, H: 8, W: 8, HH: 3, WW: 3, stride: 1, pad: 1, seed: 0, withDx: true }, 2);
    await helpersReady();
    const before = threadStats();
    fc.assert(
      fc.property(convArb, fc.boolean(), (p, callerWorks) => {
        const one = conv(p, 1);
        const two = conv(p, 2, callerWorks);
        expectBitIdentical(two.out, one.out);
        expectBitIdentical(two.dw, one.dw);
        expectBitIdentical(two.dx, one.dx);
        expectBitIdentical(two.db, one.db);
      }),
      { numRuns: 60, seed: 11 },
    );
    // Large images, which one thread takes in blocks of output rows (see assembly/conv.ts).
    for (const p of [
      { N: 3, F: 5, C: 3, H: 32, W: 32, HH: 7, WW: 7, stride: 1, pad: 3, seed: 1, withDx: true },
      { N: 4, F: 4, C: 1, H: 28, W: 28, HH: 7, WW: 7, stride: 1, pad: 3, seed: 2, withDx: true },
    ]) {
      const one = conv(p, 1);
      const two = conv(p, 2);
      expectBitIdentical(two.out, one.out);
      expectBitIdentical(two.dw, one.dw);
      expectBitIdentical(two.dx, one.dx);
      expectBitIdentical(two.db, one.db);
    }
    const after = threadStats();
    expect(after.threadedCalls - before.threadedCalls).toBeGreaterThanOrEqual(120);
    expect(after.helperBands).toBeGreaterThan(before.helperBands);
  }, 30_000);
});
