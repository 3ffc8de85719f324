// One full training step, side by side with numpy: model.loss(X, y) (forward + backward) and an Adam
// update of every parameter, as the Solver does it (params[k] = nextW, config carried to the next step).
//   mlp:     TwoLayerNet 3072-100-10, batch 200, float32 (CIFAR-10 shapes)        target <= 3 ms
//   convnet: ThreeLayerConvNet on Fashion-MNIST shapes: batch 50 of 1×28×28, 32 7×7 filters (stride 1,
//            pad 3), 2×2 max pool, hidden 100, 10 classes, float32                 target <= 10 ms, < numpy
// numpy runs the same steps CS231n-style (bench/python/steps.py: im2col "strides" conv, reshape pool,
// affine, relu, softmax, adam), one BLAS thread; both skip the first layer's dx, which no model needs.
// The "loss only" rows time model.loss(X, y) alone, so the optimizer's share of a step is the difference.
// GFLOP/s counts the GEMM work of the loss: mlp 2·N·(2·D·H + 3·H·C) = 247 MFLOP (forward and dw of W1,
// forward, dw and dx of W2), convnet 434 MFLOP (conv forward and dw, 2·32·49·50·784 each; forward, dw and
// dx of W2 and W3). At 3 ms the mlp needs 82 GFLOP/s of GEMM, at 10 ms the convnet 43.
import { type Model, ThreeLayerConvNet, TwoLayerNet } from '@backprop/models';
import { type AdamConfig, adam } from '@backprop/optim';
import { Rng, randn, type Tensor } from '@backprop/tensor';
import { type BenchRow, interleavedOverThreads, lastPythonNote, runPython, type Suite } from '../harness';

/** A model, one fixed minibatch, and the per-parameter Adam state a training run would carry. */
export interface StepSetup {
  model: Model;
  X: Tensor;
  y: Int32Array;
  configs: Record<string, AdamConfig>;
}

interface StepCase {
  /** The case name, shared with bench/python/steps.py. */
  name: string;
  /** What the step is, for the table's note column. */
  note: string;
  targetMs: number;
  /** GEMM flops of one model.loss(X, y) (see the top of the file). */
  gemmFlops: number;
  setup(): StepSetup;
}

function labels(rng: Rng, n: number, classes: number): Int32Array {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.integer(0, classes);
  return y;
}

/** TwoLayerNet 3072-100-10 on a CIFAR-10-shaped batch of 200, float32. */
export function mlpSetup(): StepSetup {
  const rng = new Rng(1);
  const model = new TwoLayerNet({
    inputDim: 3072,
    hiddenDim: 100,
    numClasses: 10,
    weightScale: 1e-3,
    reg: 1e-3,
  });
  return { model, X: randn([200, 3072], { rng }), y: labels(rng, 200, 10), configs: {} };
}

/** ThreeLayerConvNet on a Fashion-MNIST-shaped batch of 50 (1×28×28), 32 7×7 filters, hidden 100, float32. */
export function convnetSetup(): StepSetup {
  const rng = new Rng(2);
  const model = new ThreeLayerConvNet({
    inputDim: [1, 28, 28],
    numFilters: 32,
    filterSize: 7,
    hiddenDim: 100,
    numClasses: 10,
    weightScale: 1e-3,
    reg: 1e-3,
  });
  return { model, X: randn([50, 1, 28, 28], { rng }), y: labels(rng, 50, 10), configs: {} };
}

/**
 * One training step: forward + backward, then Adam (learning rate 1e-3) on every parameter, in place
 * as the Solver runs it. Returns the loss.
 */
export function trainingStep(s: StepSetup): number {
  const { loss, grads } = s.model.loss(s.X, s.y);
  for (const name in s.model.params) {
    const { nextW, config } = adam(
      s.model.params[name],
      grads[name],
      s.configs[name] ?? { learningRate: 1e-3 },
      {
        inPlace: true,
      },
    );
    s.model.params[name] = nextW;
    s.configs[name] = config;
  }
  return loss;
}

export const stepCases: StepCase[] = [
  {
    name: 'mlp',
    note: 'TwoLayerNet 3072-100-10, batch 200',
    targetMs: 3,
    gemmFlops: 2 * 200 * (2 * 3072 * 100 + 3 * 100 * 10),
    setup: mlpSetup,
  },
  {
    name: 'convnet',
    note: 'ThreeLayerConvNet 1x28x28, 32 7x7, hidden 100, batch 50',
    targetMs: 10,
    gemmFlops: 2 * 2 * 32 * 49 * 50 * 784 + 3 * 2 * 50 * (6272 * 100 + 100 * 10),
    setup: convnetSetup,
  },
];

/** The step and the loss alone on 1 GEMM thread and on every core, all four interleaved. */
function benchBackprop(c: StepCase): BenchRow[] {
  const step = c.setup();
  const lossOnly = c.setup();
  const byImpl = interleavedOverThreads(
    {
      step: () => trainingStep(step),
      loss: () => lossOnly.model.loss(lossOnly.X, lossOnly.y),
    },
    { minRuns: 15, minTimeMs: 3000, warmup: 5 },
  );
  return [...byImpl].flatMap(([impl, t]) => [
    {
      suite: 'steps',
      case: `${c.name} step`,
      impl,
      ...t.step,
      gflops: c.gemmFlops / (t.step.medianMs * 1e6),
      note: `${c.note}; target <= ${c.targetMs} ms`,
    },
    {
      suite: 'steps',
      case: `${c.name} loss only`,
      impl,
      ...t.loss,
      gflops: c.gemmFlops / (t.loss.medianMs * 1e6),
      note: 'forward + backward',
    },
  ]);
}

interface NumpyRow {
  case: string;
  medianMs: number;
  runs: number;
}

export const steps: Suite = {
  name: 'steps',
  description:
    'one float32 training step (loss forward + backward, Adam on every parameter), GEMM on 1 thread and on every core: backprop vs numpy (CS231n layers)',
  async run() {
    const rows = stepCases.flatMap((c) => benchBackprop(c));
    const numpy = (await runPython(
      'steps.py',
      stepCases.map((c) => c.name),
    )) as NumpyRow[] | null;
    if (numpy) {
      for (const r of numpy) {
        const c = stepCases.find((x) => r.case.startsWith(`${x.name} `));
        rows.push({
          suite: 'steps',
          case: r.case,
          impl: 'numpy',
          medianMs: r.medianMs,
          ...(c ? { gflops: c.gemmFlops / (r.medianMs * 1e6) } : {}),
          runs: r.runs,
          note: 'OpenBLAS 1 thread',
        });
      }
    } else {
      rows.push({
        suite: 'steps',
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
