#!/usr/bin/env node
// What two threads can expect of this machine: the single-threaded GEMM kernel (the embedded module of
// src/kernels/wasm.generated.ts; rebuild it first with build:wasm) run on every core at once, each
// worker on operands of its own in a memory of its own, so nothing is shared but the hardware. The
// threaded GEMM cannot beat the sum; compare it with `pnpm bench gemm`'s backprop-wasm-2t rows.
//
//   node scripts/gemm-each-core.mjs [N ...] [--threads=T]     (default 512 1024, T = 2)
//
// Relaxed SIMD (the FMA kernel) is switched on as the CLI and the bench do; medians of 40 calls.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

function moduleBytes() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const generated = readFileSync(join(root, 'src', 'kernels', 'wasm.generated.ts'), 'utf8');
  for (const name of ['gemmRelaxedSimdWasm', 'gemmSimdWasm']) {
    const bytes = Buffer.from(
      new RegExp(`export const ${name} = '([^']+)'`).exec(generated)?.[1] ?? '',
      'base64',
    );
    if (bytes.length > 0 && WebAssembly.validate(bytes)) return { name, bytes };
  }
  throw new Error('gemm-each-core: no GEMM module in wasm.generated.ts validates here');
}

/** In a worker: the median GFLOP/s of 40 n×n×n calls, started when the main thread says go. */
async function worker({ bytes, n }) {
  const k = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  const a = (k.heapBase() + 63) & ~63;
  const b = a + 4 * n * n;
  const c = b + 4 * n * n;
  const work = c + 4 * n * n;
  k.memory.grow(Math.ceil((work + k.workspaceBytes(n, n, n)) / 65536));
  const f = new Float32Array(k.memory.buffer);
  for (let i = a / 4; i < c / 4; i++) f[i] = Math.random() - 0.5;
  const run = () => k.sgemm(0, 0, n, n, n, 1, 0, a, b, c, work);
  for (let i = 0; i < 20; i++) run(); // the optimizing tier
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  const rates = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    run();
    rates.push((2 * n ** 3) / ((performance.now() - t0) * 1e6));
  }
  rates.sort((x, y) => x - y);
  parentPort.postMessage(rates[rates.length >> 1]);
}

async function main() {
  const args = process.argv.slice(2);
  const threads = Number(args.find((x) => x.startsWith('--threads='))?.slice(10) ?? 2);
  const sizes = args.filter((x) => !x.startsWith('--')).map(Number);
  const { name, bytes } = moduleBytes();
  process.stdout.write(`${name}, ${threads} workers at once (${availableParallelism()} logical cores)\n`);
  for (const n of sizes.length > 0 ? sizes : [512, 1024]) {
    const workers = Array.from(
      { length: threads },
      () => new Worker(fileURLToPath(import.meta.url), { workerData: { bytes, n } }),
    );
    const next = () => Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    await next(); // every worker ready
    const done = next();
    for (const w of workers) w.postMessage('go');
    const rates = await done;
    const total = rates.reduce((s, r) => s + r, 0);
    process.stdout.write(
      `  ${n}²: ${rates.map((r) => r.toFixed(1)).join(' + ')} = ${total.toFixed(1)} GFLOP/s\n`,
    );
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (isMainThread) await main();
else await worker(workerData);
