// Running the CLI from tests: in-process through main() with a recording context (fast, and able to
// simulate Ctrl-C at an exact point), or as a real subprocess of `src/bin.ts` through tsx, resolving
// the workspace packages to their sources (no build needed).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliContext } from '../src/context';
import { main } from '../src/main';

export const cliRoot = fileURLToPath(new URL('..', import.meta.url));
// tsx's loader by absolute URL: the subprocess may run in a temporary directory.
const tsxLoader = pathToFileURL(createRequire(join(cliRoot, 'package.json')).resolve('tsx')).href;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary directory for one test's files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'backprop-cli-'));
}

/**
 * Runs `backprop <args>` in-process. `interruptWhen` sees stderr as it grows; the first time it
 * returns true, the registered Ctrl-C handler runs (as a SIGINT would).
 */
export async function runMain(
  args: string[],
  opts: { cwd?: string; interruptWhen?: (stderr: string) => boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let handler: (() => void) | null = null;
  let interrupted = false;
  const ctx: CliContext = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
      if (!interrupted && handler && opts.interruptWhen?.(stderr)) {
        interrupted = true;
        handler();
      }
    },
    progressStream: null,
    stdoutIsTTY: false,
    cwd: opts.cwd ?? process.cwd(),
    onInterrupt: (h) => {
      handler = h;
      return () => {
        handler = null;
      };
    },
  };
  const code = await main(args, ctx);
  return { code, stdout, stderr };
}

/**
 * Runs `node src/bin.ts <args>` as a subprocess (tsx, sources via the @backprop/source condition).
 * `onStderr` sees stderr as it grows and may signal the child.
 */
export function runBin(
  args: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    onStderr?: (stderr: string, kill: (signal: NodeJS.Signals) => void) => void;
  } = {},
): Promise<CliRun & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@backprop/source', '--import', tsxLoader, join(cliRoot, 'src/bin.ts'), ...args],
      { cwd: opts.cwd ?? cliRoot, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      opts.onStderr?.(stderr, (signal) => child.kill(signal));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
}

/**
 * Writes a tiny MNIST-style dataset (plain IDX files, 8x8 images) into `dir`: class c has a bright
 * 2x2 block at a position of its own plus a little seeded noise, so a small net learns it quickly.
 */
export function writeTinyIdx(dir: string, counts = { train: 300, test: 100 }): void {
  let seed = 12345;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 16) % 40;
  };
  const images = (n: number, labels: Uint8Array) => {
    const header = [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8];
    const bytes = new Uint8Array(16 + n * 64);
    bytes.set(header);
    new DataView(bytes.buffer).setUint32(4, n);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      const r0 = 2 * Math.floor(c / 4);
      const c0 = 2 * (c % 4);
      for (let p = 0; p < 64; p++) bytes[16 + i * 64 + p] = noise();
      for (const [dr, dc] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        bytes[16 + i * 64 + (r0 + dr) * 8 + c0 + dc] = 255;
      }
    }
    return bytes;
  };
  const labels = (n: number) => {
    const bytes = new Uint8Array(8 + n);
    bytes.set([0, 0, 8, 1]);
    new DataView(bytes.buffer).setUint32(4, n);
    for (let i = 0; i < n; i++) bytes[8 + i] = i % 10;
    return bytes;
  };
  const trainLabels = labels(counts.train);
  const testLabels = labels(counts.test);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), trainLabels);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), testLabels);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), images(counts.train, trainLabels.subarray(8)));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images(counts.test, testLabels.subarray(8)));
}

/** The one JSON object a --json command printed on stdout. */
export function parseJsonOutput(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  if (lines.length !== 1)
    throw new Error(`expected one line of JSON on stdout, got ${lines.length}:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}
