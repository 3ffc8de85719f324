// Two settings of the Node process that training wants and that a library cannot make for its caller,
// made here because the command owns its process (bench/ makes them too, through the "./runtime"
// export). `BACKPROP_RUNTIME_TUNING=off` turns both off.
//
// 1. Fused multiply-add. Node 20 has WebAssembly relaxed SIMD behind --experimental-wasm-relaxed-simd
//    (Node 22+ and Chromium have it on). Setting the flag before the first module is compiled lets
//    @backprop/tensor pick its FMA GEMM, which it feature-detects: 1024² float32 ran 39.8 against
//    32.4 GFLOP/s on one thread on the 2-core AMD EPYC (Zen 3) these figures come from.
// 2. glibc's malloc, left alone, hands large freed blocks back to the kernel and maps fresh pages
//    for the next ones. A convnet step allocates about 30 MB of new arrays (activations and
//    gradients), and each fresh page faults: 2,900 faults and 9 ms of system time per step (of
//    41-54 ms) on that VM. The environment variables below keep freed memory for reuse (0.5 faults,
//    38 ms). glibc reads them once, at start-up, so the command relaunches itself with them set.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import v8 from 'node:v8';
import { type GemmInfo, gemmInfo, relaxedSimdValidates } from '@backprop/tensor';

/** Commands whose runs are long enough to pay for a relaunch (about 40 ms). */
const HEAVY_COMMANDS = new Set(['train', 'eval', 'bench']);

/** Set in the relaunched process (and by anyone who tunes malloc themselves): no second relaunch. */
const MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: String(256 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(1024 * 2 ** 20),
  MALLOC_TOP_PAD_: String(64 * 2 ** 20),
};

function tuningOff(env: NodeJS.ProcessEnv): boolean {
  return env.BACKPROP_RUNTIME_TUNING === 'off';
}

/**
 * Turns on WebAssembly relaxed SIMD where this Node has it behind a flag. Must run before the first
 * WebAssembly module is compiled. Returns whether relaxed SIMD validates afterwards.
 */
export function enableRelaxedSimd(env: NodeJS.ProcessEnv = process.env): boolean {
  if (relaxedSimdValidates()) return true;
  if (tuningOff(env)) return false;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdValidates();
}

/** Whether this process runs on glibc (whose malloc the environment variables tune). */
function onGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}

/**
 * Whether `backprop <argv>` should rerun itself with malloc tuned: a heavy command, on glibc, not
 * already tuned, tuning not turned off.
 */
export function wantsRelaunch(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (!HEAVY_COMMANDS.has(argv[0] ?? '') || argv.includes('--help') || argv.includes('-h')) return false;
  return canTuneMalloc(env);
}

/** Whether a relaunch would tune malloc: on glibc, not tuned already, tuning not turned off. */
export function canTuneMalloc(env: NodeJS.ProcessEnv = process.env): boolean {
  if (tuningOff(env) || env.MALLOC_MMAP_THRESHOLD_ !== undefined) return false;
  return onGlibc();
}

/**
 * Reruns this script in a child Node with the same flags and arguments and malloc tuned; resolves to
 * its exit status. SIGINT and SIGTERM sent to this process are passed on (the child's Ctrl-C handler
 * writes the checkpoint); a child killed by a signal is reported as 128 + its number, as shells do.
 */
export function relaunch(argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    stdio: 'inherit',
    env: { ...process.env, ...MALLOC_ENV },
  });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** What this process computes with, for the record of a run (`--json` prints it). */
export interface RuntimeInfo {
  /** The float32 GEMM: 'wasm-relaxed-simd' (fused multiply-add), 'wasm-simd' or 'ts'. */
  gemm: GemmInfo['backend'];
  /** Threads a large GEMM may use. */
  gemmThreads: number;
  /** Whether glibc's malloc runs with the settings above (freed memory kept for reuse). */
  mallocTuned: boolean;
  node: string;
}

export function runtimeInfo(env: NodeJS.ProcessEnv = process.env): RuntimeInfo {
  const info = gemmInfo();
  return {
    gemm: info.backend,
    gemmThreads: info.threads,
    mallocTuned: env.MALLOC_MMAP_THRESHOLD_ !== undefined,
    node: process.version,
  };
}

/** One line for people: `GEMM wasm-relaxed-simd (fused multiply-add), 2 threads; malloc tuned; Node v20.20.2`. */
export function formatRuntime(r: RuntimeInfo): string {
  const fma = r.gemm === 'wasm-relaxed-simd' ? ' (fused multiply-add)' : '';
  const threads = `${r.gemmThreads} thread${r.gemmThreads === 1 ? '' : 's'}`;
  return `GEMM ${r.gemm}${fma}, ${threads}; malloc ${r.mallocTuned ? 'tuned' : 'default'}; Node ${r.node}`;
}
