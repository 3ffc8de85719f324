import { describe, expect, it } from 'vitest';
import { formatRuntime, wantsRelaunch } from '../src/runtime';
import { parseJsonOutput, runBin, tempDir } from './helpers';

const onGlibc =
  process.platform === 'linux' &&
  typeof (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    ?.glibcVersionRuntime === 'string';
const nodeMajor = Number(process.versions.node.split('.')[0]);
const SPIRAL = [
  'train',
  '--dataset',
  'spiral',
  '--model',
  'fc',
  '--hidden-dims',
  '20',
  '--epochs',
  '1',
  '--json',
];

describe('wantsRelaunch', () => {
  const clean = { PATH: '/usr/bin' };
  it.skipIf(!onGlibc)('relaunches train, eval and bench on glibc', () => {
    for (const command of ['train', 'eval', 'bench'])
      expect(wantsRelaunch([command], clean), command).toBe(true);
  });

  it('never relaunches short commands, help, a tuned process, or with tuning off', () => {
    expect(wantsRelaunch(['data'], clean)).toBe(false);
    expect(wantsRelaunch(['gradcheck'], clean)).toBe(false);
    expect(wantsRelaunch([], clean)).toBe(false);
    expect(wantsRelaunch(['train', '--help'], clean)).toBe(false);
    expect(wantsRelaunch(['train'], { ...clean, MALLOC_MMAP_THRESHOLD_: '1000000' })).toBe(false);
    expect(wantsRelaunch(['train'], { ...clean, BACKPROP_RUNTIME_TUNING: 'off' })).toBe(false);
  });
});

describe('formatRuntime', () => {
  it('says which GEMM, how many threads and whether malloc is tuned', () => {
    expect(
      formatRuntime({ gemm: 'wasm-relaxed-simd', gemmThreads: 2, mallocTuned: true, node: 'v20.1.0' }),
    ).toBe('GEMM wasm-relaxed-simd (fused multiply-add), 2 threads; malloc tuned; Node v20.1.0');
    expect(formatRuntime({ gemm: 'ts', gemmThreads: 1, mallocTuned: false, node: 'v22.0.0' })).toBe(
      'GEMM ts, 1 thread; malloc default; Node v22.0.0',
    );
  });
});

describe('backprop train as a process', () => {
  it('runs with fused multiply-add and, on glibc, tuned malloc (the relaunched child does the work)', async () => {
    const env = { ...process.env };
    delete env.MALLOC_MMAP_THRESHOLD_;
    delete env.BACKPROP_RUNTIME_TUNING;
    const run = await runBin(SPIRAL, { cwd: tempDir(), env });
    expect(run.code, run.stderr).toBe(0);
    const runtime = parseJsonOutput(run.stdout).runtime as { gemm: string; mallocTuned: boolean };
    expect(runtime.gemm).toBe('wasm-relaxed-simd');
    expect(runtime.mallocTuned).toBe(onGlibc);
  });

  it('BACKPROP_RUNTIME_TUNING=off leaves the process as Node starts it', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, BACKPROP_RUNTIME_TUNING: 'off' };
    delete env.MALLOC_MMAP_THRESHOLD_;
    const run = await runBin(SPIRAL, { cwd: tempDir(), env });
    expect(run.code, run.stderr).toBe(0);
    const runtime = parseJsonOutput(run.stdout).runtime as { gemm: string; mallocTuned: boolean };
    expect(runtime.mallocTuned).toBe(false);
    // Node 20 has relaxed SIMD only behind the flag; later versions have it on.
    expect(runtime.gemm).toBe(nodeMajor === 20 ? 'wasm-simd' : 'wasm-relaxed-simd');
  });
});
