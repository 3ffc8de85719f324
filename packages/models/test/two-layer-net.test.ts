import { relError } from '@backprop/gradcheck';
import {
  DTypeError,
  gemmInfo,
  linspace,
  ShapeError,
  setKernelBackend,
  tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { TwoLayerNet } from '../src/index';
import {
  checkGradients,
  expectError,
  randomInput,
  randomizeParams,
  randomLabels,
  sumOfSquares,
} from './helpers';

// The CS231n FullyConnectedNets notebook's TwoLayerNet check: fixed linspace weights and inputs.
// Expected values computed independently with python3/numpy 2.x:
//   W1 = linspace(-0.7, 0.3, D*H).reshape(D, H); b1 = linspace(-0.1, 0.9, H)
//   W2 = linspace(-0.3, 0.4, H*C).reshape(H, C); b2 = linspace(-0.9, 0.1, C)
//   X = linspace(-5.5, 4.5, N*D).reshape(D, N).T; scores = relu(X@W1+b1)@W2+b2
//   loss = softmax loss with y = [0, 5, 1] (+ 0.5*reg*(sum(W1**2)+sum(W2**2)) for reg = 1.0)
// (they match the notebook's correct_scores, 3.4702243556 and 26.5948426952).
const NOTEBOOK_SCORES = [
  [
    11.531651082430411, 12.291734395625888, 13.051817708821353, 13.811901022016835, 14.571984335212306,
    15.332067648407788, 16.092150961603263,
  ],
  [
    12.057690976760085, 12.746141052133215, 13.434591127506339, 14.123041202879465, 14.81149127825259,
    15.499941353625719, 16.18839142899884,
  ],
  [
    12.583730871089754, 13.200547708640531, 13.817364546191309, 14.434181383742082, 15.050998221292861,
    15.667815058843631, 16.28463189639442,
  ],
];
const NOTEBOOK_LOSS = 3.47022435559539;
const NOTEBOOK_LOSS_REG1 = 26.594842695238583;

function notebookNet(reg: number): TwoLayerNet {
  const [D, H, C] = [5, 50, 7];
  const net = new TwoLayerNet({
    inputDim: D,
    hiddenDim: H,
    numClasses: C,
    weightScale: 1e-3,
    reg,
    dtype: 'float64',
  });
  net.params.W1 = linspace(-0.7, 0.3, D * H, 'float64').reshape([D, H]);
  net.params.b1 = linspace(-0.1, 0.9, H, 'float64');
  net.params.W2 = linspace(-0.3, 0.4, H * C, 'float64').reshape([H, C]);
  net.params.b2 = linspace(-0.9, 0.1, C, 'float64');
  return net;
}
const notebookX = () => linspace(-5.5, 4.5, 15, 'float64').reshape([5, 3]).transpose();

describe('TwoLayerNet', () => {
  it('initialises W1 [D,H], b1 [H], W2 [H,C], b2 [C] with N(0, weightScale²) weights and zero biases', () => {
    const net = new TwoLayerNet({
      inputDim: 40,
      hiddenDim: 60,
      numClasses: 7,
      weightScale: 0.05,
      dtype: 'float64',
    });
    expect(Object.keys(net.params).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
    expect(net.params.W1.shape).toEqual([40, 60]);
    expect(net.params.b1.shape).toEqual([60]);
    expect(net.params.W2.shape).toEqual([60, 7]);
    expect(net.params.b2.shape).toEqual([7]);
    const std = Math.sqrt(sumOfSquares(net.params.W1) / net.params.W1.size);
    expect(std).toBeGreaterThan(0.045);
    expect(std).toBeLessThan(0.055);
    expect(Array.from(net.params.b1.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(net.params.b2.data).every((v) => v === 0)).toBe(true);
  });

  it('has the CS231n defaults and a complete JSON-safe config', () => {
    const net = new TwoLayerNet();
    expect(net.kind).toBe('two-layer');
    expect(net.config).toEqual({
      inputDim: 3072,
      hiddenDim: 100,
      numClasses: 10,
      weightScale: 1e-3,
      reg: 0,
      dtype: 'float32',
      seed: 0,
    });
    expect(JSON.parse(JSON.stringify(net.config))).toEqual(net.config);
    expect(net.params.W1.dtype).toBe('float32');
  });

  it('draws the same weights from the same seed and different weights from another', () => {
    const a = new TwoLayerNet({ inputDim: 6, hiddenDim: 4, numClasses: 3, seed: 5 });
    const b = new TwoLayerNet({ inputDim: 6, hiddenDim: 4, numClasses: 3, seed: 5 });
    const c = new TwoLayerNet({ inputDim: 6, hiddenDim: 4, numClasses: 3, seed: 6 });
    expect(Array.from(a.params.W2.data)).toEqual(Array.from(b.params.W2.data));
    expect(Array.from(a.params.W1.data)).not.toEqual(Array.from(c.params.W1.data));
  });

  it("reproduces the notebook's scores and losses for fixed linspace weights", () => {
    const net = notebookNet(0);
    const scores = net.loss(notebookX());
    expect(scores.shape).toEqual([3, 7]);
    expect(relError(scores, tensor(NOTEBOOK_SCORES, { dtype: 'float64' }))).toBeLessThan(1e-12);
    expect(relError(net.loss(notebookX(), [0, 5, 1]).loss, NOTEBOOK_LOSS)).toBeLessThan(1e-12);
    expect(relError(notebookNet(1.0).loss(notebookX(), [0, 5, 1]).loss, NOTEBOOK_LOSS_REG1)).toBeLessThan(
      1e-12,
    );
  });

  for (const reg of [0, 0.7]) {
    it(`matches the numerical gradient in float64 (reg = ${reg})`, () => {
      const net = new TwoLayerNet({
        inputDim: 5,
        hiddenDim: 12,
        numClasses: 4,
        weightScale: 0.3,
        reg,
        dtype: 'float64',
      });
      randomizeParams(net);
      const errors = checkGradients(net, randomInput([3, 5]), randomLabels(3, 4));
      expect(Object.keys(errors).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
    });
  }

  it('returns grads with the keys and shapes of params, and scores [N, C] in test mode', () => {
    const net = new TwoLayerNet({ inputDim: 8, hiddenDim: 5, numClasses: 3 });
    const X = randomInput([4, 8]).astype('float32');
    expect(net.loss(X).shape).toEqual([4, 3]);
    const { grads } = net.loss(X, [0, 1, 2, 0]);
    for (const name of Object.keys(net.params)) {
      expect(grads[name].shape).toEqual(net.params[name].shape);
      expect(grads[name].dtype).toBe('float32');
    }
  });

  it('starts near log(C) with small weights', () => {
    const net = new TwoLayerNet({ inputDim: 30, hiddenDim: 20, numClasses: 10, weightScale: 1e-3 });
    const { loss } = net.loss(randomInput([50, 30]), randomLabels(50, 10));
    expect(Math.abs(loss - Math.log(10))).toBeLessThan(1e-3);
  });

  it('adds exactly 0.5·reg·Σ W² to the loss and reg·W to the weight gradients', () => {
    const plain = new TwoLayerNet({
      inputDim: 6,
      hiddenDim: 5,
      numClasses: 3,
      weightScale: 0.2,
      dtype: 'float64',
    });
    const reg = new TwoLayerNet({
      inputDim: 6,
      hiddenDim: 5,
      numClasses: 3,
      weightScale: 0.2,
      reg: 0.3,
      dtype: 'float64',
    });
    const X = randomInput([4, 6]);
    const y = [2, 0, 1, 1];
    const a = plain.loss(X, y);
    const b = reg.loss(X, y);
    const penalty = 0.5 * 0.3 * (sumOfSquares(plain.params.W1) + sumOfSquares(plain.params.W2));
    expect(b.loss - a.loss).toBeCloseTo(penalty, 14);
    for (const name of ['W1', 'W2']) {
      for (let i = 0; i < a.grads[name].size; i++) {
        expect(b.grads[name].data[i] - a.grads[name].data[i]).toBeCloseTo(
          0.3 * plain.params[name].data[i],
          14,
        );
      }
    }
    expect(Array.from(b.grads.b1.data)).toEqual(Array.from(a.grads.b1.data));
  });

  // Without WebAssembly SIMD both runs would take the JavaScript loop: nothing to compare.
  it.skipIf(!gemmInfo().simd)(
    'float32: the L2 pass on the WebAssembly kernels gives the loss and gradients of the JavaScript loop',
    () => {
      // 9·10 = 90 and 10·3 = 30 weights: whole groups of four and tails, and reg·W added to gradients
      // that are not zero.
      const net = new TwoLayerNet({
        inputDim: 9,
        hiddenDim: 10,
        numClasses: 3,
        weightScale: 0.3,
        reg: 0.7,
        dtype: 'float32',
      });
      const X = randomInput([5, 9]);
      const y = [2, 0, 1, 1, 0];
      const run = (backend: 'auto' | 'ts') => {
        const previous = setKernelBackend(backend);
        try {
          const { loss, grads } = net.loss(X, y);
          return { loss, W1: Array.from(grads.W1.data), W2: Array.from(grads.W2.data) };
        } finally {
          setKernelBackend(previous);
        }
      };
      expect(run('auto')).toEqual(run('ts'));
    },
  );

  it('accepts [N, d1, …, dk] inputs and casts X to the model dtype', () => {
    const net = new TwoLayerNet({
      inputDim: 12,
      hiddenDim: 5,
      numClasses: 3,
      weightScale: 0.1,
      dtype: 'float64',
    });
    const X = randomInput([2, 12]);
    const flat = net.loss(X);
    expect(Array.from(net.loss(X.reshape([2, 3, 4])).data)).toEqual(Array.from(flat.data));
    const X32 = X.astype('float32');
    const cast = net.loss(X32);
    expect(cast.dtype).toBe('float64');
    expect(Array.from(cast.data)).toEqual(Array.from(net.loss(X32.astype('float64')).data));
  });

  it('gives the same scores in float32 as in float64 up to float32 rounding', () => {
    const net64 = new TwoLayerNet({
      inputDim: 10,
      hiddenDim: 8,
      numClasses: 4,
      weightScale: 0.3,
      dtype: 'float64',
    });
    const net32 = new TwoLayerNet({
      inputDim: 10,
      hiddenDim: 8,
      numClasses: 4,
      weightScale: 0.3,
      dtype: 'float32',
    });
    const X = randomInput([5, 10]);
    const y = randomLabels(5, 4);
    expect(relError(net32.loss(X).astype('float64'), net64.loss(X))).toBeLessThan(1e-4);
    expect(Math.abs(net32.loss(X, y).loss - net64.loss(X, y).loss)).toBeLessThan(1e-5);
  });

  it('does not mutate X or the params in a train step', () => {
    const net = new TwoLayerNet({
      inputDim: 4,
      hiddenDim: 3,
      numClasses: 2,
      weightScale: 0.5,
      dtype: 'float64',
    });
    const X = randomInput([3, 4]);
    const before = [Array.from(X.data), Array.from(net.params.W1.data)];
    net.loss(X, [1, 0, 1]);
    expect([Array.from(X.data), Array.from(net.params.W1.data)]).toEqual(before);
  });

  describe('errors', () => {
    it('rejects bad options, naming the option', () => {
      expectError(
        () => new TwoLayerNet({ hiddenDim: 0 }),
        ValueError,
        'TwoLayerNet: options.hiddenDim must be an integer >= 1, got 0',
      );
      expectError(
        () => new TwoLayerNet({ inputDim: 2.5 }),
        ValueError,
        'TwoLayerNet: options.inputDim must be an integer >= 1, got 2.5',
      );
      expectError(
        () => new TwoLayerNet({ numClasses: '10' as never }),
        ValueError,
        "TwoLayerNet: options.numClasses must be an integer >= 1, got '10'",
      );
      expectError(
        () => new TwoLayerNet({ weightScale: -1 }),
        ValueError,
        'TwoLayerNet: options.weightScale must be a finite number >= 0, got -1',
      );
      expectError(
        () => new TwoLayerNet({ reg: Number.NaN }),
        ValueError,
        'TwoLayerNet: options.reg must be a finite number >= 0, got NaN',
      );
      expectError(
        () => new TwoLayerNet({ seed: -1 }),
        ValueError,
        'TwoLayerNet: options.seed must be an integer in [0, 4294967295], got -1',
      );
      expectError(
        () => new TwoLayerNet({ dtype: 'int32' as never }),
        DTypeError,
        "TwoLayerNet: options.dtype must be 'float32' or 'float64', got 'int32'",
      );
      expectError(
        () => new TwoLayerNet({ hidden: 3 } as never),
        ValueError,
        'TwoLayerNet: options.hidden is not an option; expected one of inputDim, hiddenDim, numClasses, weightScale, reg, dtype, seed',
      );
      expectError(
        () => new TwoLayerNet(null as never),
        ValueError,
        'TwoLayerNet: options must be an object, got null',
      );
    });

    it('rejects X of the wrong shape and bad labels before any work', () => {
      const net = new TwoLayerNet({ inputDim: 6, hiddenDim: 3, numClasses: 3 });
      expectError(
        () => net.loss(zeros([2, 5])),
        ShapeError,
        'TwoLayerNet.loss: X has shape [2,5], expected [N, 6] (or [N, d1, …, dk] with 6 features) to match inputDim',
      );
      expectError(
        () => net.loss(zeros([6])),
        ShapeError,
        'TwoLayerNet.loss: X has shape [6], expected [N, 6] (or [N, d1, …, dk] with 6 features) to match inputDim',
      );
      expectError(
        () => net.loss(zeros([0, 6])),
        ShapeError,
        'TwoLayerNet.loss: X has shape [0,6], expected at least one example',
      );
      expectError(
        () => net.loss([1, 2] as never),
        ValueError,
        'TwoLayerNet.loss: X must be a Tensor, got an array',
      );
      expectError(
        () => net.loss(zeros([2, 6]), [0, 3]),
        ValueError,
        'TwoLayerNet.loss: y[1] is 3, expected an integer label in [0, 3)',
      );
      expectError(
        () => net.loss(zeros([2, 6]), [0]),
        ValueError,
        'TwoLayerNet.loss: y has 1 labels, expected 2 to match the batch size',
      );
    });

    it('names a parameter that was replaced by one of the wrong shape or dtype', () => {
      const net = new TwoLayerNet({ inputDim: 6, hiddenDim: 3, numClasses: 3 });
      net.params.W2 = zeros([3, 4]);
      expectError(
        () => net.loss(zeros([2, 6])),
        ShapeError,
        'TwoLayerNet.loss: params.W2 has shape [3,4], expected [3,3]',
      );
      net.params.W2 = zeros([3, 3], 'float64');
      expectError(
        () => net.loss(zeros([2, 6])),
        DTypeError,
        "TwoLayerNet.loss: params.W2 has dtype float64, expected the model's float32",
      );
      net.params.W2 = zeros([3, 3]);
      delete net.params.b1;
      expectError(
        () => net.loss(zeros([2, 6])),
        ValueError,
        'TwoLayerNet.loss: params.b1 must be a Tensor, got undefined',
      );
    });

    it('accepts only the empty state in setState', () => {
      const net = new TwoLayerNet({ inputDim: 2, hiddenDim: 2, numClasses: 2 });
      expect(net.getState()).toEqual({ tensors: {}, rng: null });
      net.setState({ tensors: {}, rng: null });
      expectError(
        () => net.setState({ tensors: { x: zeros([1]) }, rng: null }),
        ValueError,
        "TwoLayerNet.setState: state.tensors.x is not part of this model's state; expected no tensors",
      );
      expectError(
        () => net.setState({ tensors: {}, rng: { s: [1, 2, 3, 4], spareNormal: null } }),
        ValueError,
        'TwoLayerNet.setState: state.rng must be null: this model draws no random numbers, got object',
      );
    });
  });
});
