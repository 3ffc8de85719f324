import { describe, expect, it } from 'vitest';
import { medianMs } from '../../src/commands/bench';
import { parseJsonOutput, runMain } from '../helpers';

describe('medianMs', () => {
  it('runs once to warm up, then reps times', () => {
    let calls = 0;
    medianMs(() => {
      calls++;
    }, 4);
    expect(calls).toBe(5);
  });
});

describe('backprop bench', () => {
  it('--quick --json reports GEMM, conv and MLP-step rows with FLOP counts and positive GFLOP/s', async () => {
    const { code, stdout } = await runMain(['bench', '--quick', '--reps', '1', '--json']);
    expect(code).toBe(0);
    const result = parseJsonOutput(stdout) as {
      reps: number;
      runtime: { gemm: string; gemmThreads: number; mallocTuned: boolean; node: string };
      results: { name: string; dtype: string; flops: number; medianMs: number; gflops: number }[];
    };
    expect(result.reps).toBe(1);
    expect(['wasm-relaxed-simd', 'wasm-simd', 'ts']).toContain(result.runtime.gemm);
    expect(result.runtime.gemmThreads).toBeGreaterThanOrEqual(1);
    expect(result.runtime.node).toBe(process.version);
    const names = result.results.map((r) => `${r.name} ${r.dtype}`);
    expect(names).toEqual([
      'gemm 32x32x32 float32',
      'gemm 64x64x64 float32',
      'gemm 32x32x32 float64',
      'gemm 64x64x64 float64',
      'conv fwd+bwd 4x1x8x8 * 4x1x3x3 float32',
      'mlp step 20-16-8-10 bn adam, batch 10 float32',
    ]);
    expect(result.results[1].flops).toBe(2 * 64 ** 3);
    // conv: forward 2·N·F·C·k²·H·W, backward twice that.
    expect(result.results[4].flops).toBe(3 * 2 * 4 * 4 * 1 * 9 * 64);
    // mlp: 6 · batch · (20·16 + 16·8 + 8·10)
    expect(result.results[5].flops).toBe(6 * 10 * (20 * 16 + 16 * 8 + 8 * 10));
    for (const r of result.results) {
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.gflops).toBeCloseTo(r.flops / (r.medianMs * 1e6), 10);
    }
  });

  it('rejects --reps 0 with exit 2', async () => {
    const { code, stderr } = await runMain(['bench', '--reps', '0']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      "error: option '--reps <n>' argument '0' is invalid. Expected an integer >= 1, got '0'.",
    );
  });
});
