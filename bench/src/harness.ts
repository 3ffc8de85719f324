// The measuring tools every suite shares: a median-of-runs timer and a bridge to the numpy
// reference scripts in bench/python/. Timing lives here and only here (tests never time anything).

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gemmInfo, getGemmThreads, setGemmThreads } from '@backprop/tensor';

/** One measured case of one implementation: a row in a suite's table and in results/<suite>.json. */
export interface BenchRow {
  suite: string;
  case: string;
  impl: string;
  medianMs: number;
  gflops?: number;
  runs: number;
  note?: string;
}

/** A group of cases run side by side against reference implementations. */
export interface Suite {
  name: string;
  description: string;
  run(): Promise<BenchRow[]>;
}

export interface MeasureOptions {
  /** At least this many timed runs (default 5). */
  minRuns?: number;
  /** Keep running until this much time has been spent in timed runs (default 300 ms). */
  minTimeMs?: number;
  /** Untimed runs first, to reach JIT tier-up and warm caches (default 2). */
  warmup?: number;
}

/**
 * What `measure` times: 'wall' (default) or, with BENCH_CLOCK=cpu (`pnpm bench --cpu-time`), this
 * process's CPU time (user + system), which on a shared, oversubscribed machine leaves out the
 * time other processes hold the core. Every row of a run uses the same clock (numpy included).
 */
export function benchClock(): 'wall' | 'cpu' {
  return process.env.BENCH_CLOCK === 'cpu' ? 'cpu' : 'wall';
}

function cpuNowMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The current reading of the bench clock (`benchClock`), in milliseconds. */
export function clockNowMs(): number {
  return benchClock() === 'cpu' ? cpuNowMs() : performance.now();
}

/**
 * Times `fn` and returns the median of the runs: at least `minRuns` runs and at least
 * `minTimeMs` of timed work, after `warmup` untimed calls. The median shrugs off GC pauses and
 * the neighbours on a shared machine better than the mean. Times are wall-clock milliseconds, or
 * CPU milliseconds under BENCH_CLOCK=cpu (see `benchClock`).
 */
export function measure(fn: () => void, opts: MeasureOptions = {}): { medianMs: number; runs: number } {
  const minRuns = opts.minRuns ?? 5;
  const minTimeMs = opts.minTimeMs ?? 300;
  const warmup = opts.warmup ?? 2;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < minRuns || spent < minTimeMs) {
    const t0 = clockNowMs();
    fn();
    const dt = clockNowMs() - t0;
    times.push(dt);
    spent += dt;
    if (times.length >= 10_000) break;
  }
  return { medianMs: median(times), runs: times.length };
}

/**
 * Times several implementations of the same work in alternation (one run of each per round) and
 * returns each one's median, so a neighbour's burst of load or a frequency change hits them all
 * alike and their ratio stays honest on a busy machine. Same options as `measure`.
 */
export function measureInterleaved(
  fns: Record<string, () => void>,
  opts: MeasureOptions = {},
): Record<string, { medianMs: number; runs: number }> {
  const minRuns = opts.minRuns ?? 5;
  const minTimeMs = opts.minTimeMs ?? 300;
  const warmup = opts.warmup ?? 2;
  const names = Object.keys(fns);
  for (const name of names) for (let i = 0; i < warmup; i++) fns[name]();
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  let spent = 0;
  let rounds = 0;
  while ((rounds < minRuns || spent < minTimeMs) && rounds < 10_000) {
    for (const name of names) {
      const t0 = clockNowMs();
      fns[name]();
      const dt = clockNowMs() - t0;
      times[name].push(dt);
      spent += dt;
    }
    rounds++;
  }
  return Object.fromEntries(names.map((name) => [name, { medianMs: median(times[name]), runs: rounds }]));
}

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** GFLOP/s of a GEMM of sizes M×K·K×N done in `ms` milliseconds (2·M·N·K flops). */
export function gemmGflops(M: number, N: number, K: number, ms: number): number {
  return (2 * M * N * K) / (ms * 1e6);
}

const pythonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'python');

/** Why the last `runPython` call returned null (python3 or numpy missing, script failed). */
export let lastPythonNote: string | undefined;

/**
 * Runs bench/python/<script> with python3 and parses its JSON stdout. Returns null (and sets
 * `lastPythonNote`, also printed to stderr) when python3 or numpy is missing or the script fails,
 * so a suite can still report the JavaScript rows. The child runs single-threaded BLAS, and
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are dropped so OpenBLAS detects the CPU itself. The
 * script gets BENCH_CLOCK too and times with the same clock.
 */
export function runPython(script: string, args: string[]): Promise<unknown | null> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    BLIS_NUM_THREADS: '1',
    VECLIB_MAXIMUM_THREADS: '1',
    NUMEXPR_NUM_THREADS: '1',
    BENCH_CLOCK: benchClock(),
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return new Promise((resolve) => {
    const fail = (note: string): void => {
      lastPythonNote = note;
      process.stderr.write(`bench: ${script}: ${note}\n`);
      resolve(null);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('python3', [join(pythonDir, script), ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      fail(`python3 could not start (${(err as Error).message})`);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (err) => fail(`python3 not available (${err.message})`));
    child.on('close', (code) => {
      if (code !== 0) {
        const missingNumpy = /No module named ['"]?numpy/.test(stderr);
        fail(missingNumpy ? 'numpy is not installed' : `exited with ${code}: ${stderr.trim().slice(-300)}`);
        return;
      }
      try {
        lastPythonNote = undefined;
        resolve(JSON.parse(stdout) as unknown);
      } catch {
        fail(`printed no JSON: ${stdout.trim().slice(0, 200)}`);
      }
    });
  });
}

/** The GEMM thread counts a suite compares: 1 and the default (when that is more than 1). */
function threadCounts(): number[] {
  return [...new Set([1, getGemmThreads()])];
}

/** The row label of backprop on `n` GEMM threads, e.g. "backprop (wasm-relaxed-simd, 2 threads)". */
function threadsImpl(n: number): string {
  return `backprop (${gemmInfo().backend}, ${n} thread${n > 1 ? 's' : ''})`;
}

/**
 * Times every function of `fns` on 1 GEMM thread and on the default count, all interleaved in one
 * `measureInterleaved` (one run of each per round), so the host's phases of load hit both thread
 * counts alike and their ratio stays honest. Returns, per row label (`threadsImpl`), each function's
 * median; the thread setting is restored after every run.
 */
export function interleavedOverThreads(
  fns: Record<string, () => void>,
  opts: MeasureOptions = {},
): Map<string, Record<string, { medianMs: number; runs: number }>> {
  const counts = threadCounts();
  const all: Record<string, () => void> = {};
  for (const n of counts) {
    for (const [name, fn] of Object.entries(fns)) {
      all[`${n}:${name}`] = () => {
        const previous = setGemmThreads(n);
        try {
          fn();
        } finally {
          setGemmThreads(previous);
        }
      };
    }
  }
  const t = measureInterleaved(all, opts);
  return new Map(
    counts.map((n) => [
      threadsImpl(n),
      Object.fromEntries(Object.keys(fns).map((name) => [name, t[`${n}:${name}`]])),
    ]),
  );
}
