// The first conv layer of ThreeLayerConvNet on CIFAR-10 shapes (x 50×3×32×32, w 32×3×7×7, stride 1,
// pad 3, float32), forward and forward+backward, side by side: backprop's im2col + GEMM layer against
// tfjs (cpu backend; wasm backend, which has no Conv2DBackpropFilter kernel, so it cannot train a conv
// layer) and a numpy im2col reference (CS231n's conv_forward_strides, OpenBLAS, one thread).
// GFLOP/s counts the GEMM work only: 2·F·C·HH·WW·N·H'·W' per pass (forward 1 pass, backward 2 more).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { convBackward, convForward } from '@backprop/layers';
import { Rng, randn } from '@backprop/tensor';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BenchRow,
  clockNowMs,
  interleavedOverThreads,
  lastPythonNote,
  measure,
  runPython,
  type Suite,
} from '../harness';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const shape = { N: 50, C: 3, H: 32, W: 32, F: 32, HH: 7, WW: 7, stride: 1, pad: 3 };
const { N, C, H, W, F, HH, WW, stride, pad } = shape;
const Ho = 1 + (H + 2 * pad - HH) / stride;
const Wo = 1 + (W + 2 * pad - WW) / stride;
/** GEMM flops of one pass (forward, dw or dx): 2·F·(C·HH·WW)·(N·H'·W'). */
const passFlops = 2 * F * C * HH * WW * N * Ho * Wo;

const FWD = 'forward';
const FWD_BWD = 'forward+backward';
const FWD_BWD_NO_DX = 'forward+backward, no dx';

function row(
  caseName: string,
  impl: string,
  t: { medianMs: number; runs: number },
  passes: number,
  note?: string,
): BenchRow {
  return {
    suite: 'conv',
    case: caseName,
    impl,
    medianMs: t.medianMs,
    gflops: (passes * passFlops) / (t.medianMs * 1e6),
    runs: t.runs,
    ...(note ? { note } : {}),
  };
}

/**
 * Median of at least 9 runs; a call over a second (tfjs-cpu) gets 3 runs, and one over 5 s (tfjs-cpu's
 * backward kernels, plain loops) is reported from its single run, so the suite ends in minutes.
 */
function timed(fn: () => void): { medianMs: number; runs: number } {
  const t0 = clockNowMs();
  fn();
  const once = clockNowMs() - t0;
  if (once > 5000) return { medianMs: once, runs: 1 };
  return once > 1000
    ? measure(fn, { minRuns: 3, minTimeMs: 0, warmup: 0 })
    : measure(fn, { minRuns: 9, minTimeMs: 1500, warmup: 2 });
}

/** The three cases on 1 GEMM thread and on every core, all six interleaved. */
function benchBackprop(): BenchRow[] {
  const rng = new Rng(1);
  const x = randn([N, C, H, W], { rng });
  const w = randn([F, C, HH, WW], { rng, std: 1e-2 });
  const b = randn([F], { rng });
  const convParam = { stride, pad };
  const dout = randn([N, F, Ho, Wo], { rng });
  const byImpl = interleavedOverThreads(
    {
      forward: () => convForward(x, w, b, convParam),
      both: () => convBackward(dout, convForward(x, w, b, convParam).cache),
      noDx: () => convBackward(dout, convForward(x, w, b, convParam).cache, { computeDx: false }),
    },
    { minRuns: 9, minTimeMs: 4500, warmup: 2 },
  );
  return [...byImpl].flatMap(([impl, t]) => [
    row(FWD, impl, t.forward, 1),
    row(FWD_BWD, impl, t.both, 3),
    row(FWD_BWD_NO_DX, impl, t.noDx, 2, "computeDx: false (a net's input layer)"),
  ]);
}

/**
 * tfjs in its native NHWC layout, with filters [HH, WW, C, F]: the layout it is fastest in. The
 * backward pass runs the kernels tfjs's conv2d gradient runs (Conv2DBackpropInput for dx,
 * Conv2DBackpropFilter for dw, a sum for db), called directly: tfjs-core's Node bundle registers no
 * gradient functions (the umbrella @tensorflow/tfjs package does), so `tf.grads` is unavailable here.
 */
function benchTfjs(impl: string): BenchRow[] {
  const rng = new Rng(1);
  const x = tf.tensor4d(randn([N, H, W, C], { rng }).data as Float32Array, [N, H, W, C]);
  const w = tf.tensor4d(randn([HH, WW, C, F], { rng, std: 1e-2 }).data as Float32Array, [HH, WW, C, F]);
  const b = tf.tensor1d(randn([F], { rng }).data as Float32Array);
  const dy = tf.tensor4d(randn([N, Ho, Wo, F], { rng }).data as Float32Array, [N, Ho, Wo, F]);
  const padding = 'same' as const; // pad (HH − 1)/2 = 3 on every side at stride 1
  const attrs = { strides: [stride, stride], pad: padding, dataFormat: 'NHWC' };
  const forward = (): tf.Tensor => tf.add(tf.conv2d(x, w, stride, padding), b);
  const dw = (): tf.Tensor =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
  const dx = (): tf.Tensor =>
    tf
      .engine()
      .runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
  const db = (): tf.Tensor => tf.sum(dy, [0, 1, 2]);
  const cases: [string, number, () => tf.Tensor[]][] = [
    [FWD, 1, () => [forward()]],
    [FWD_BWD, 3, () => [forward(), dx(), dw(), db()]],
    [FWD_BWD_NO_DX, 2, () => [forward(), dw(), db()]],
  ];
  const rows: BenchRow[] = [];
  for (const [caseName, passes, run] of cases) {
    try {
      const t = timed(() => {
        const outs = run();
        for (const o of outs) o.dataSync();
        tf.dispose(outs);
      });
      rows.push(row(caseName, impl, t, passes, 'NHWC'));
    } catch (err) {
      rows.push({
        suite: 'conv',
        case: caseName,
        impl,
        medianMs: Number.NaN,
        runs: 0,
        note: `cannot run: ${(err as Error).message.split('\n')[0].slice(0, 100)}`,
      });
    }
  }
  tf.dispose([x, w, b, dy]);
  return rows;
}

let tfjsWasmReady: Promise<boolean> | undefined;

function initTfjsWasm(): Promise<boolean> {
  if (!tfjsWasmReady) {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    tfjsWasmReady = tf.setBackend('wasm');
  }
  return tfjsWasmReady;
}

interface NumpyRow {
  case: string;
  medianMs: number;
  runs: number;
}

export const conv: Suite = {
  name: 'conv',
  description:
    'ThreeLayerConvNet conv1 (x 50×3×32×32, w 32×3×7×7, stride 1, pad 3, float32), GEMM on 1 thread and on every core: backprop vs tfjs wasm / cpu and numpy im2col',
  async run() {
    const rows: BenchRow[] = benchBackprop();
    if (await initTfjsWasm()) rows.push(...benchTfjs('tfjs-wasm'));
    await tf.setBackend('cpu');
    rows.push(...benchTfjs('tfjs-cpu'));
    const numpy = (await runPython('conv.py', [N, C, H, W, F, HH, WW, stride, pad].map(String))) as
      | NumpyRow[]
      | null;
    if (numpy) {
      for (const r of numpy) {
        rows.push(
          row(r.case, 'numpy', r, r.case === FWD ? 1 : 3, 'im2col (as_strided) + matmul, OpenBLAS 1 thread'),
        );
      }
    } else {
      rows.push({
        suite: 'conv',
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
