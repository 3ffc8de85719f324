// float32 GEMM, side by side: backprop's WebAssembly SIMD kernel (on 1 thread, and on 2 with a
// helper worker over shared memory) and its plain-TypeScript fallback against tfjs (wasm backend with SIMD, single-threaded in Node; cpu backend) and numpy (OpenBLAS,
// one thread). The sizes are the square benchmarks plus the affine layer of a CIFAR-10 net
// (128 images × 3072 features · 3072 × 100 hidden units).
import { gemm as backpropGemm, gemmInfo, Rng, setGemmBackend, setGemmThreads } from '@backprop/tensor';
import { CEILING_ROUNDS, type Ceiling, measureCeiling } from '../ceiling';
import {
  type BenchRow,
  clockNowMs,
  gemmGflops,
  lastPythonNote,
  measure,
  measureInterleaved,
  runPython,
  type Suite,
} from '../harness';
import { tf, tfjsWasmFeatures, useTfjsBackend } from '../tfjs';

interface GemmCase {
  name: string;
  M: number;
  N: number;
  K: number;
}

const cases: GemmCase[] = [
  { name: '256²', M: 256, N: 256, K: 256 },
  { name: '512²', M: 512, N: 512, K: 512 },
  { name: '1024²', M: 1024, N: 1024, K: 1024 },
  { name: '128x3072·3072x100', M: 128, N: 100, K: 3072 },
];

/**
 * Timing budget: fast calls get at least 7 runs and 500 ms; slow ones (tfjs-cpu takes seconds at
 * 1024²) get 3 runs, or just the probe run beyond a second.
 */
function timed(fn: () => void): { medianMs: number; runs: number } {
  const t0 = clockNowMs();
  fn();
  const once = clockNowMs() - t0;
  if (once > 1000) return { medianMs: once, runs: 1 };
  if (once > 300) return measure(fn, { minRuns: 3, minTimeMs: 0, warmup: 0 });
  return measure(fn, { minRuns: 7, minTimeMs: 500 });
}

function operands(c: GemmCase, seed: number): { A: Float32Array; B: Float32Array } {
  const rng = new Rng(seed);
  const A = new Float32Array(c.M * c.K);
  const B = new Float32Array(c.K * c.N);
  rng.fillNormal(A);
  rng.fillNormal(B);
  return { A, B };
}

function row(c: GemmCase, impl: string, t: { medianMs: number; runs: number }, note?: string): BenchRow {
  return {
    suite: 'gemm',
    case: c.name,
    impl,
    medianMs: t.medianMs,
    gflops: gemmGflops(c.M, c.N, c.K, t.medianMs),
    runs: t.runs,
    ...(note ? { note } : {}),
  };
}

/** backprop's gemm on one backend and thread count, as a closure over fresh operands. */
function backpropCall(c: GemmCase, backendName: 'wasm' | 'ts', threads = 1): () => void {
  const { A, B } = operands(c, 1);
  const C = new Float32Array(c.M * c.N);
  return () => {
    const previous = setGemmBackend(backendName);
    const previousThreads = setGemmThreads(threads);
    try {
      backpropGemm(c.M, c.N, c.K, A, B, C);
    } finally {
      setGemmBackend(previous);
      setGemmThreads(previousThreads);
    }
  };
}

/** Starts gemm's helper threads (for `threads` in all) and waits until they take work. */
async function startThreads(threads: number): Promise<boolean> {
  const previous = setGemmThreads(threads);
  try {
    const n = 256;
    const x = new Float32Array(n * n);
    for (let i = 0; i < 200; i++) {
      backpropGemm(n, n, n, x, x, new Float32Array(n * n));
      const info = gemmInfo();
      if (info.threading === 'on' && info.activeThreads === threads) return true;
      if (info.threading === 'unavailable') return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return false;
  } finally {
    setGemmThreads(previous);
  }
}

const ratio = (slowMs: number, fastMs: number): string => `×${(slowMs / fastMs).toFixed(2)}`;

/** "NN% of the ceiling" for a GEMM row, where the FMA ceiling was measured. */
function ofCeiling(c: GemmCase, t: { medianMs: number }, ceiling: number | undefined): string {
  if (ceiling === undefined) return '';
  return `, ${Math.round((100 * gemmGflops(c.M, c.N, c.K, t.medianMs)) / ceiling)}% of the FMA ceiling`;
}

/** The ceiling as two rows: one thread, and every thread at once. */
function ceilingRows(ceiling: Ceiling): BenchRow[] {
  const row = (impl: string, gflops: number, note: string): BenchRow => ({
    suite: 'gemm',
    case: 'FMA ceiling',
    impl,
    medianMs: Number.NaN,
    gflops,
    runs: CEILING_ROUNDS,
    note,
  });
  const what = 'f32x4.relaxed_madd on registers only, 12 chains: no GEMM can pass it';
  return [
    row('wasm-relaxed-simd, 1 thread', ceiling.one, what),
    row(`wasm-relaxed-simd, ${ceiling.threads} threads`, ceiling.all, `${ceiling.threads} workers at once`),
  ];
}

/** tfjs matMul on the current backend (result read back, as a user would); dispose when done. */
function tfjsCall(c: GemmCase): { call: () => void; dispose: () => void } {
  const { A, B } = operands(c, 1);
  const a = tf.tensor2d(A, [c.M, c.K]);
  const b = tf.tensor2d(B, [c.K, c.N]);
  return {
    call: () => {
      const out = tf.matMul(a, b);
      out.dataSync();
      out.dispose();
    },
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

interface NumpyRow {
  case: string;
  medianMs: number;
  runs: number;
}

export const gemm: Suite = {
  name: 'gemm',
  description:
    'float32 C = A·B: backprop wasm-simd (1 and 2 threads) / ts vs tfjs wasm / cpu and numpy (single-threaded)',
  async run() {
    const rows: BenchRow[] = [];
    const info = gemmInfo();
    const tfjsWasm = await useTfjsBackend('wasm');
    const tfjsWasmNote = tfjsWasm ? await tfjsWasmFeatures() : undefined;
    // backprop-wasm-2t: the same kernel over 2 threads (the caller and one helper worker). Under
    // --cpu-time its figure is GFLOP per CPU-second of both threads (efficiency), not speed.
    const threaded = info.simd && (await startThreads(2));
    // The FMA GEMM's yardstick, measured before the GEMMs so that the helper threads sleep meanwhile.
    const ceiling = info.backend === 'wasm-relaxed-simd' ? await measureCeiling(2) : undefined;
    if (ceiling) rows.push(...ceilingRows(ceiling));
    for (const c of cases) {
      // The head-to-head runs interleaved (one run each per round) so a busy machine skews
      // their ratios as little as possible; the slow references run after it.
      if (info.simd) {
        const fns: Record<string, () => void> = { wasm: backpropCall(c, 'wasm', 1) };
        if (threaded) fns.wasm2 = backpropCall(c, 'wasm', 2);
        let tfjsRun: ReturnType<typeof tfjsCall> | undefined;
        if (tfjsWasm) {
          await useTfjsBackend('wasm');
          tfjsRun = tfjsCall(c);
          fns.tfjs = tfjsRun.call;
        }
        const t = measureInterleaved(fns, { minRuns: 7, minTimeMs: 1000 });
        tfjsRun?.dispose();
        rows.push(
          row(c, 'backprop-wasm', t.wasm, `${info.backend}, 1 thread${ofCeiling(c, t.wasm, ceiling?.one)}`),
        );
        if (t.wasm2) {
          const vsTfjs = t.tfjs ? `, ${ratio(t.tfjs.medianMs, t.wasm2.medianMs)} tfjs-wasm` : '';
          rows.push(
            row(
              c,
              'backprop-wasm-2t',
              t.wasm2,
              `2 threads: ${ratio(t.wasm.medianMs, t.wasm2.medianMs)} 1 thread${vsTfjs}${ofCeiling(c, t.wasm2, ceiling?.all)}`,
            ),
          );
        }
        if (t.tfjs) rows.push(row(c, 'tfjs-wasm', t.tfjs, tfjsWasmNote));
      }
      rows.push(row(c, 'backprop-ts', timed(backpropCall(c, 'ts'))));
      await useTfjsBackend('cpu');
      const cpuRun = tfjsCall(c);
      rows.push(row(c, 'tfjs-cpu', timed(cpuRun.call)));
      cpuRun.dispose();
    }

    const numpy = (await runPython(
      'gemm.py',
      cases.map((c) => `${c.name}:${c.M}:${c.N}:${c.K}`),
    )) as NumpyRow[] | null;
    if (numpy) {
      for (const r of numpy) {
        const c = cases.find((x) => x.name === r.case);
        if (c) rows.push(row(c, 'numpy', r, 'OpenBLAS, 1 thread'));
      }
    } else {
      rows.push({
        suite: 'gemm',
        case: '-',
        impl: 'numpy',
        medianMs: Number.NaN,
        runs: 0,
        note: lastPythonNote,
      });
    }
    return rows;
  },
};
