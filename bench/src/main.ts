// `pnpm bench` runs every suite, `pnpm bench gemm conv` the named ones; `--cpu-time` times with
// process CPU time instead of wall time (for busy, shared machines). Each suite prints a table
// (median ms, GFLOP/s, speed relative to the suite's reference implementation) and writes
// bench/results/<suite>.json with the machine it ran on.
//
// The process is set up as the `backprop` command sets up its own (apps/cli/src/runtime.ts): relaxed
// SIMD on (the FMA GEMM, on Node 20 behind a V8 flag) and, on glibc, a relaunch with malloc tuned to
// keep freed memory; `BACKPROP_RUNTIME_TUNING=off` measures the process as Node starts it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canTuneMalloc, enableRelaxedSimd, formatRuntime, relaunch, runtimeInfo } from 'backprop/runtime';
import { type BenchRow, benchClock, type Suite } from './harness';
import { suites } from './suites/index';

/** Implementations the "vs" column compares against, first present wins. */
const referenceOrder = ['tfjs-wasm', 'numpy', 'tfjs-cpu'];

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
    clock: benchClock(),
    runtime: runtimeInfo(),
  };
}

function pickReference(rows: readonly BenchRow[]): string | undefined {
  const impls = new Set(rows.filter((r) => Number.isFinite(r.medianMs)).map((r) => r.impl));
  return referenceOrder.find((name) => impls.has(name));
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** Renders rows as an aligned text table; `vs <ref>` is refMs / implMs (above 1 = faster than ref). */
export function formatTable(rows: readonly BenchRow[]): string {
  const reference = pickReference(rows);
  const header = [
    'case',
    'impl',
    'median ms',
    'GFLOP/s',
    reference ? `vs ${reference}` : 'vs ref',
    'runs',
    'note',
  ];
  const body = rows.map((r) => {
    const ref = rows.find((x) => x.case === r.case && x.impl === reference);
    const ratio = ref && Number.isFinite(r.medianMs) ? ref.medianMs / r.medianMs : undefined;
    return [
      r.case,
      r.impl,
      fmt(r.medianMs, 3),
      fmt(r.gflops, 2),
      ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
      String(r.runs),
      r.note ?? '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i >= 2 && i <= 5 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Sorts rows by case (in first-seen order), then impl (in first-seen order), for reading. */
function byCase(rows: readonly BenchRow[]): BenchRow[] {
  const caseOrder = [...new Set(rows.map((r) => r.case))];
  const implOrder = [...new Set(rows.map((r) => r.impl))];
  return [...rows].sort(
    (a, b) =>
      caseOrder.indexOf(a.case) - caseOrder.indexOf(b.case) ||
      implOrder.indexOf(a.impl) - implOrder.indexOf(b.impl),
  );
}

async function runSuite(suite: Suite): Promise<void> {
  process.stdout.write(`\n## ${suite.name}: ${suite.description}\n\n`);
  const started = performance.now();
  const rows = byCase(await suite.run());
  process.stdout.write(`${formatTable(rows)}\n`);
  process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${suite.name}.json`);
  const reference = pickReference(rows);
  writeFileSync(
    file,
    `${JSON.stringify({ suite: suite.name, machine: machine(), reference, rows }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${file}\n`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--cpu-time')) process.env.BENCH_CLOCK = 'cpu';
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown suite ${unknown.join(', ')}; available: ${suites.map((s) => s.name).join(', ')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const m = machine();
  const clock = m.clock === 'cpu' ? 'CPU time (--cpu-time)' : 'wall time';
  process.stdout.write(
    `# backprop bench — ${m.cpu} (${m.cores} cores), Node ${m.node}, ${m.date}, ${clock}\n` +
      `# ${formatRuntime(runtimeInfo())}\n`,
  );
  for (const suite of suites) {
    if (wanted.length === 0 || wanted.includes(suite.name)) await runSuite(suite);
  }
}

if (canTuneMalloc()) {
  process.exitCode = await relaunch(process.argv.slice(2));
} else {
  enableRelaxedSimd();
  await main();
}
