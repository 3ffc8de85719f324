#!/usr/bin/env node
// Tunes the WebAssembly GEMM's cache blocking: runs the embedded module (src/kernels/
// wasm.generated.ts; rebuild it first with build:wasm) under several MC,KC,NC settings,
// interleaved, and reports GFLOP/s from CPU time (process.cpuUsage), which a busy machine disturbs
// far less than wall time.
//
//   node scripts/tune-wasm.mjs 1024,1024,1024 128,256,2048 64,512,1024 256,256,4096
//   node scripts/tune-wasm.mjs 128,100,3072[,transA,transB] ...   (sizes M,N,K then blockings)
//   TUNE_MS=20000 for longer runs; --relaxed picks the FMA module (Node 20 needs
//   --experimental-wasm-relaxed-simd).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const generated = readFileSync(join(root, 'src', 'kernels', 'wasm.generated.ts'), 'utf8');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const name = process.argv.includes('--relaxed') ? 'gemmRelaxedSimdWasm' : 'gemmSimdWasm';
const base64 = new RegExp(`export const ${name} = '([^']+)'`).exec(generated)?.[1];
if (!base64 || args.length < 2) {
  process.stderr.write('usage: node scripts/tune-wasm.mjs M,N,K[,transA,transB] MC,KC,NC [MC,KC,NC ...]\n');
  process.exit(2);
}
const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
const [M, N, K, transA = 0, transB = 0] = args[0].split(',').map(Number);

const variants = args.slice(1).map((blocking) => {
  const k = new WebAssembly.Instance(module, {}).exports;
  k.setBlocking(...blocking.split(',').map(Number));
  const a = (k.heapBase() + 63) & ~63;
  const b = a + 4 * M * K;
  const c = b + 4 * K * N;
  const work = c + 4 * M * N;
  const end = work + k.workspaceBytes(M, N, K);
  k.memory.grow(Math.ceil(end / 65536));
  const f = new Float32Array(k.memory.buffer);
  for (let i = a / 4; i < c / 4; i++) f[i] = Math.random() - 0.5;
  const run = () => k.sgemm(transA, transB, M, N, K, 1, 0, a, b, c, work);
  return { blocking, run, flops: 0, cpuMicros: 0 };
});

for (const v of variants) v.run(); // warm-up (and JIT tier-up)
const callsPerTurn = Math.max(1, Math.round(2e8 / (M * N * K)));
const until = performance.now() + Number(process.env.TUNE_MS ?? 10000);
while (performance.now() < until) {
  for (const v of variants) {
    const u0 = process.cpuUsage().user;
    for (let i = 0; i < callsPerTurn; i++) v.run();
    v.cpuMicros += process.cpuUsage().user - u0;
    v.flops += callsPerTurn * 2 * M * N * K;
  }
}
process.stdout.write(`${name} ${M}x${N}x${K} transA=${transA} transB=${transB}\n`);
for (const v of variants) {
  process.stdout.write(
    `  MC,KC,NC = ${v.blocking.padEnd(16)} ${(v.flops / v.cpuMicros / 1e3).toFixed(1)} GFLOP/s\n`,
  );
}
