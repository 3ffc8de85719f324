// `backprop bench`: a quick look at the kernels that decide training speed. Median times of a few
// repetitions after a warm-up, turned into GFLOP/s with the usual counts (2·M·N·K for a GEMM).
// Side-by-side comparisons with other libraries live in bench/ (`pnpm bench`).
import { convBackward, convForward } from '@backprop/layers';
import { FullyConnectedNet } from '@backprop/models';
import { adam } from '@backprop/optim';
import { type DType, gemm, Rng, randn, zeros } from '@backprop/tensor';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { parsePositiveIntegerArg } from '../options';
import { formatRuntime, runtimeInfo } from '../runtime';
import { formatRate } from '../ui/format';
import { formatTable } from '../ui/table';

interface BenchOptions {
  json?: boolean;
  reps: number;
  quick?: boolean;
}

/** One benchmark result. */
export interface BenchRow {
  name: string;
  dtype: DType;
  /** Floating-point operations per run. */
  flops: number;
  /** Median milliseconds per run. */
  medianMs: number;
  gflops: number;
}

export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description(
      'quick kernel and layer benchmark: GEMM, conv forward+backward, an MLP training step (GFLOP/s, medians)',
    )
    .option('--json', 'print one JSON object with every result on stdout')
    .option('--quick', 'small sizes only (a smoke test: seconds, not meaningful figures)')
    .option(
      '--reps <n>',
      'timed repetitions per benchmark (the median is reported)',
      parsePositiveIntegerArg,
      5,
    )
    .action(async (opts: BenchOptions) => {
      runBench(opts, ctx);
    });
}

/** Median of the run times (ms) of `fn` over `reps` runs after one warm-up run. */
export function medianMs(fn: () => void, reps: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

function row(name: string, dtype: DType, flops: number, ms: number): BenchRow {
  return { name, dtype, flops, medianMs: ms, gflops: flops / (ms * 1e6) };
}

/** Runs every benchmark, prints the table (or JSON) and returns the rows. */
export function runBench(opts: BenchOptions, ctx: CliContext): BenchRow[] {
  const rng = new Rng(0);
  const rows: BenchRow[] = [];
  const progress = (name: string) => ctx.stderr(`bench: ${name}\n`);

  for (const dtype of ['float32', 'float64'] as const) {
    const sizes = opts.quick ? [32, 64] : dtype === 'float32' ? [128, 256, 512, 1024] : [256, 512];
    for (const n of sizes) {
      const name = `gemm ${n}x${n}x${n}`;
      progress(`${name} ${dtype}`);
      const a = randn([n, n], { rng, dtype }).data;
      const b = randn([n, n], { rng, dtype }).data;
      const c = zeros([n, n], dtype).data;
      rows.push(
        row(
          name,
          dtype,
          2 * n * n * n,
          medianMs(() => gemm(n, n, n, a, b, c), opts.reps),
        ),
      );
    }
  }

  // Conv layers of the ThreeLayerConvNet on Fashion-MNIST (1x28x28) and CIFAR-10 (3x32x32), batch 50.
  const convShapes: (readonly [number, number, number, number, number])[] = opts.quick
    ? [[4, 1, 8, 4, 3]]
    : [
        [50, 1, 28, 32, 7],
        [50, 3, 32, 32, 7],
      ];
  for (const [N, C, H, F, k] of convShapes) {
    const dtype = 'float32';
    const name = `conv fwd+bwd ${N}x${C}x${H}x${H} * ${F}x${C}x${k}x${k}`;
    progress(name);
    const x = randn([N, C, H, H], { rng, dtype });
    const w = randn([F, C, k, k], { rng, dtype });
    const b = zeros([F], dtype);
    const convParam = { stride: 1, pad: (k - 1) / 2 };
    const forwardFlops = 2 * N * F * C * k * k * H * H;
    // Backward computes dw and dx, each about one forward's work.
    const ms = medianMs(() => {
      const { out, cache } = convForward(x, w, b, convParam);
      convBackward(out, cache);
    }, opts.reps);
    rows.push(row(name, dtype, 3 * forwardFlops, ms));
  }

  // One training step of FullyConnectedNet 784-256-128-10 with batchnorm (the pnpm start model):
  // loss + gradients + Adam.
  {
    const dtype = 'float32';
    const dims = opts.quick ? [20, 16, 8, 10] : [784, 256, 128, 10];
    const batch = opts.quick ? 10 : 100;
    const name = `mlp step ${dims.join('-')} bn adam, batch ${batch}`;
    progress(name);
    const model = new FullyConnectedNet({
      hiddenDims: dims.slice(1, -1),
      inputDim: dims[0],
      numClasses: 10,
      normalization: 'batchnorm',
      dropout: 1,
      reg: 0,
      weightScale: 1e-2,
      dtype,
      seed: 0,
    });
    const X = randn([batch, dims[0]], { rng, dtype });
    const y = new Int32Array(batch).map(() => rng.integer(0, 10));
    const configs: Record<string, Record<string, unknown>> = {};
    for (const k of Object.keys(model.params)) configs[k] = { learningRate: 1e-3 };
    let macs = 0;
    for (let i = 1; i < dims.length; i++) macs += dims[i - 1] * dims[i];
    const ms = medianMs(() => {
      const { grads } = model.loss(X, y);
      for (const k of Object.keys(model.params)) {
        const { nextW, config } = adam(model.params[k], grads[k], configs[k]);
        model.params[k] = nextW;
        configs[k] = config as Record<string, unknown>;
      }
    }, opts.reps);
    // forward 2·N·macs, backward twice that.
    rows.push(row(name, dtype, 6 * batch * macs, ms));
  }

  if (opts.json) {
    ctx.stdout(`${JSON.stringify({ runtime: runtimeInfo(), reps: opts.reps, results: rows })}\n`);
  } else {
    ctx.stdout(`${formatRuntime(runtimeInfo())}; median of ${opts.reps} runs after a warm-up\n\n`);
    ctx.stdout(
      formatTable(
        ['benchmark', 'dtype', 'median ms', 'GFLOP/s'],
        rows.map((r) => [r.name, r.dtype, r.medianMs.toFixed(2), formatRate(r.gflops)]),
        ['left', 'left', 'right', 'right'],
      ),
    );
  }
  return rows;
}
