import { relError } from '@backprop/gradcheck';
import { DTypeError, ShapeError, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { FullyConnectedNet, type FullyConnectedNetOptions, TwoLayerNet } from '../src/index';
import {
  checkGradients,
  expectError,
  randomInput,
  randomizeParams,
  randomLabels,
  sumOfSquares,
} from './helpers';

// The FullyConnectedNets notebook's check, smaller (N, D, H1, H2, C = 2, 15, 20, 30, 10 there). Weights
// large enough that no gradient entry sinks into the ~1e-11 rounding noise of a float64 numerical gradient.
const [N, D, H1, H2, C] = [4, 5, 6, 6, 4];
const small = (options: Partial<FullyConnectedNetOptions> = {}) =>
  new FullyConnectedNet({
    hiddenDims: [H1, H2],
    inputDim: D,
    numClasses: C,
    weightScale: 0.4,
    dtype: 'float64',
    ...options,
  });

describe('FullyConnectedNet', () => {
  it('has params W1..WL, b1..bL and, with normalization, gamma (ones) and beta (zeros) for hidden layers', () => {
    const plain = small();
    expect(plain.numLayers).toBe(3);
    expect(Object.keys(plain.params)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    expect(plain.params.W1.shape).toEqual([D, H1]);
    expect(plain.params.W2.shape).toEqual([H1, H2]);
    expect(plain.params.W3.shape).toEqual([H2, C]);
    expect(plain.params.b3.shape).toEqual([C]);
    for (const normalization of ['batchnorm', 'layernorm'] as const) {
      const net = small({ normalization });
      expect(Object.keys(net.params).sort()).toEqual(
        ['W1', 'W2', 'W3', 'b1', 'b2', 'b3', 'beta1', 'beta2', 'gamma1', 'gamma2'].sort(),
      );
      expect(net.params.gamma2.shape).toEqual([H2]);
      expect(Array.from(net.params.gamma1.data)).toEqual(new Array(H1).fill(1));
      expect(Array.from(net.params.beta2.data)).toEqual(new Array(H2).fill(0));
    }
  });

  it('fills in the CS231n defaults in its config', () => {
    const net = new FullyConnectedNet({ hiddenDims: [10] });
    expect(net.kind).toBe('fc');
    expect(net.config).toEqual({
      hiddenDims: [10],
      inputDim: 3072,
      numClasses: 10,
      dropout: 1,
      normalization: null,
      reg: 0,
      weightScale: 1e-2,
      dtype: 'float32',
      seed: 0,
    });
    expect(JSON.parse(JSON.stringify(net.config))).toEqual(net.config);
  });

  it('does not keep a reference to the caller’s hiddenDims array', () => {
    const dims = [4, 3];
    const net = new FullyConnectedNet({ hiddenDims: dims, inputDim: 2, numClasses: 2 });
    dims[0] = 99;
    expect(net.config.hiddenDims).toEqual([4, 3]);
    expect(Object.isFrozen(net.config.hiddenDims)).toBe(true);
  });

  const variants: [string, Partial<FullyConnectedNetOptions>][] = [
    ['no normalization', {}],
    ['batchnorm', { normalization: 'batchnorm' }],
    ['layernorm', { normalization: 'layernorm' }],
    ['dropout', { dropout: 0.6 }],
    ['batchnorm and dropout', { normalization: 'batchnorm', dropout: 0.75 }],
    ['layernorm and dropout', { normalization: 'layernorm', dropout: 0.5 }],
  ];
  // A float64 numerical gradient carries ~1e-11 of absolute rounding noise, so against the 1e-7 relative
  // bar an entry below ~1e-4 can fail on noise alone (a real bug gives errors of 1e-3 and more). The
  // seed below gives errors of at most 2e-8 in every case here; some other seeds reach 1e-6 on a tiny entry.
  const SEED = 4;
  for (const [name, options] of variants) {
    for (const reg of [0, 3.14]) {
      it(`matches the numerical gradient in float64 with ${name} (reg = ${reg})`, () => {
        const net = small({ ...options, reg, seed: SEED });
        randomizeParams(net, SEED + 10);
        // Batchnorm subtracts the batch mean, so the bias before it has exactly zero gradient.
        const zero = options.normalization === 'batchnorm' ? ['b1', 'b2'] : [];
        checkGradients(net, randomInput([N, D], SEED + 20), randomLabels(N, C, SEED + 30), zero);
      });
    }
  }

  it('matches the numerical gradient with no hidden layers (softmax regression) and with three', () => {
    const shallow = small({ hiddenDims: [], seed: SEED });
    randomizeParams(shallow, SEED + 10);
    const X = randomInput([N, D], SEED + 20);
    const y = randomLabels(N, C, SEED + 30);
    expect(Object.keys(checkGradients(shallow, X, y))).toEqual(['W1', 'b1']);
    const deep = small({
      hiddenDims: [5, 4, 6],
      normalization: 'layernorm',
      dropout: 0.8,
      reg: 0.1,
      seed: SEED,
    });
    randomizeParams(deep, SEED + 10);
    const errors = checkGradients(deep, X, y);
    expect(Object.keys(errors)).toHaveLength(4 * 2 + 3 * 2);
  });

  it('with one hidden layer and no normalization or dropout, equals TwoLayerNet with the same params', () => {
    const fc = small({ hiddenDims: [H1], reg: 0.2 });
    const two = new TwoLayerNet({ inputDim: D, hiddenDim: H1, numClasses: C, reg: 0.2, dtype: 'float64' });
    randomizeParams(fc);
    two.params = { ...fc.params };
    const X = randomInput([N, D]);
    const y = randomLabels(N, C);
    expect(Array.from(fc.loss(X).data)).toEqual(Array.from(two.loss(X).data));
    const a = fc.loss(X, y);
    const b = two.loss(X, y);
    expect(a.loss).toBeCloseTo(b.loss, 14); // the L2 terms are summed in another order
    for (const name of ['W1', 'b1', 'W2', 'b2']) {
      expect(Array.from(a.grads[name].data)).toEqual(Array.from(b.grads[name].data));
    }
  });

  it('starts near log(C) with small weights', () => {
    for (const normalization of [null, 'batchnorm', 'layernorm'] as const) {
      const net = new FullyConnectedNet({
        hiddenDims: [20, 30],
        inputDim: 15,
        numClasses: 10,
        weightScale: 5e-3,
        normalization,
      });
      const { loss } = net.loss(randomInput([40, 15]), randomLabels(40, 10));
      expect(Math.abs(loss - Math.log(10))).toBeLessThan(0.01);
    }
  });

  it('adds exactly 0.5·reg·Σ W² over the weights only', () => {
    const a = small({ normalization: 'layernorm' });
    const b = small({ normalization: 'layernorm', reg: 0.25 });
    const X = randomInput([N, D]);
    const y = randomLabels(N, C);
    const penalty =
      0.5 * 0.25 * (sumOfSquares(a.params.W1) + sumOfSquares(a.params.W2) + sumOfSquares(a.params.W3));
    const ra = a.loss(X, y);
    const rb = b.loss(X, y);
    expect(rb.loss - ra.loss).toBeCloseTo(penalty, 13);
    for (let i = 0; i < a.params.W2.size; i++) {
      expect(rb.grads.W2.data[i] - ra.grads.W2.data[i]).toBeCloseTo(0.25 * a.params.W2.data[i], 13);
    }
    for (const name of ['b1', 'gamma1', 'beta2', 'b3']) {
      expect(Array.from(rb.grads[name].data)).toEqual(Array.from(ra.grads[name].data));
    }
  });

  it('returns scores [N, C] in test mode and grads shaped like params in train mode', () => {
    const net = small({ normalization: 'batchnorm', dropout: 0.5, dtype: 'float32' });
    const X = randomInput([N, D]);
    const scores = net.loss(X);
    expect(scores.shape).toEqual([N, C]);
    expect(scores.dtype).toBe('float32');
    const { grads } = net.loss(X, randomLabels(N, C));
    for (const name of Object.keys(net.params)) expect(grads[name].shape).toEqual(net.params[name].shape);
  });

  describe('dropout', () => {
    it('draws masks from the model’s seeded Rng: same seed, same losses; the stream advances', () => {
      const X = randomInput([N, D]);
      const y = randomLabels(N, C);
      const a = small({ dropout: 0.5, seed: 3 });
      const b = small({ dropout: 0.5, seed: 3 });
      const la = [a.loss(X, y).loss, a.loss(X, y).loss];
      const lb = [b.loss(X, y).loss, b.loss(X, y).loss];
      expect(la).toEqual(lb);
      expect(la[0]).not.toBe(la[1]);
    });

    it('restoring the state replays the same masks', () => {
      const net = small({ dropout: 0.5 });
      const X = randomInput([N, D]);
      const y = randomLabels(N, C);
      const state = net.getState();
      const first = net.loss(X, y);
      net.setState(state);
      const again = net.loss(X, y);
      expect(again.loss).toBe(first.loss);
      expect(Array.from(again.grads.W1.data)).toEqual(Array.from(first.grads.W1.data));
    });

    it('is off in test mode: scores equal those of the same weights without dropout, and draw nothing', () => {
      const withDropout = small({ dropout: 0.3 });
      const without = small();
      const X = randomInput([N, D]);
      const rngBefore = withDropout.getState().rng;
      expect(Array.from(withDropout.loss(X).data)).toEqual(Array.from(without.loss(X).data));
      expect(withDropout.getState().rng).toEqual(rngBefore);
    });

    it('changes the train-mode loss compared with no dropout', () => {
      const X = randomInput([N, D]);
      const y = randomLabels(N, C);
      expect(small({ dropout: 0.5 }).loss(X, y).loss).not.toBe(small().loss(X, y).loss);
    });
  });

  describe('batchnorm running statistics', () => {
    it('are updated in train mode, used in test mode, and untouched by test mode', () => {
      const net = small({ normalization: 'batchnorm' });
      const X = randomInput([8, D]);
      const zero = net.getState().tensors;
      expect(Object.keys(zero).sort()).toEqual([
        'bn1.runningMean',
        'bn1.runningVar',
        'bn2.runningMean',
        'bn2.runningVar',
      ]);
      expect(Array.from(zero['bn1.runningVar'].data)).toEqual(new Array(H1).fill(0));

      // One train step: running = 0.9·0 + 0.1·batch statistic, so runningMean of layer 1 is 0.1·mean(X·W1 + b1).
      net.loss(X, randomLabels(8, C));
      const after = net.getState().tensors;
      const W1 = net.params.W1;
      for (let j = 0; j < H1; j++) {
        let mean = 0;
        for (let n = 0; n < 8; n++)
          for (let d = 0; d < D; d++) mean += X.data[n * D + d] * W1.data[d * H1 + j];
        expect(after['bn1.runningMean'].data[j]).toBeCloseTo((0.1 * mean) / 8, 12);
      }
      const scores = net.loss(X);
      expect(net.getState().tensors['bn1.runningMean'].data).toEqual(after['bn1.runningMean'].data);
      // Test mode normalises with running statistics, so it differs from a fresh model's test mode.
      expect(Array.from(scores.data)).not.toEqual(
        Array.from(small({ normalization: 'batchnorm' }).loss(X).data),
      );
    });

    it('getState returns copies and setState copies in', () => {
      const net = small({ normalization: 'batchnorm' });
      const X = randomInput([5, D]);
      const state = net.getState();
      net.loss(X, randomLabels(5, C));
      expect(Array.from(state.tensors['bn1.runningMean'].data)).toEqual(new Array(H1).fill(0));
      const trained = net.getState();
      net.setState(state);
      state.tensors['bn1.runningMean'].data[0] = 42;
      expect(net.getState().tensors['bn1.runningMean'].data[0]).toBe(0);
      net.setState(trained);
      expect(net.getState()).toEqual(trained);
    });
  });

  describe('errors', () => {
    it('rejects bad options, naming the option', () => {
      expectError(
        () => small({ dropout: 0 }),
        ValueError,
        'FullyConnectedNet: options.dropout must be a finite number in (0, 1], got 0',
      );
      expectError(
        () => small({ dropout: 1.5 }),
        ValueError,
        'FullyConnectedNet: options.dropout must be a finite number in (0, 1], got 1.5',
      );
      expectError(
        () => small({ normalization: 'none' as never }),
        ValueError,
        "FullyConnectedNet: options.normalization must be null, 'batchnorm' or 'layernorm', got 'none'",
      );
      expectError(
        () => small({ hiddenDims: [4, 0] }),
        ValueError,
        'FullyConnectedNet: options.hiddenDims[1] must be an integer >= 1, got 0',
      );
      expectError(
        () => new FullyConnectedNet({} as never),
        ValueError,
        'FullyConnectedNet: options.hiddenDims must be an array of layer widths, got undefined',
      );
      expectError(
        () => new FullyConnectedNet(undefined as never),
        ValueError,
        'FullyConnectedNet: options must be an object, got undefined',
      );
      expectError(
        () => small({ useBatchnorm: true } as never),
        ValueError,
        'FullyConnectedNet: options.useBatchnorm is not an option; expected one of hiddenDims, inputDim, numClasses, dropout, normalization, reg, weightScale, dtype, seed',
      );
      expectError(
        () => small({ dtype: 'float16' as never }),
        DTypeError,
        "FullyConnectedNet: options.dtype must be 'float32' or 'float64', got 'float16'",
      );
      expectError(
        () => small({ seed: 1.5 }),
        ValueError,
        'FullyConnectedNet: options.seed must be an integer in [0, 4294967295], got 1.5',
      );
    });

    it('rejects X and y that do not fit', () => {
      const net = small();
      expectError(
        () => net.loss(zeros([2, D + 1])),
        ShapeError,
        `FullyConnectedNet.loss: X has shape [2,${D + 1}], expected [N, ${D}] (or [N, d1, …, dk] with ${D} features) to match inputDim`,
      );
      expectError(
        () => net.loss(zeros([2, D]), [0, -1]),
        ValueError,
        `FullyConnectedNet.loss: y[1] is -1, expected an integer label in [0, ${C})`,
      );
      expectError(
        () => net.loss(zeros([2, D]), 5 as never),
        ValueError,
        'FullyConnectedNet.loss: y must be an array of 2 integer labels, got 5',
      );
    });

    it('rejects a state that does not fit and changes nothing', () => {
      const net = small({ normalization: 'batchnorm', dropout: 0.5 });
      const before = net.getState();
      const good = net.getState();
      const missing = { tensors: { ...good.tensors }, rng: good.rng };
      delete missing.tensors['bn2.runningVar'];
      expectError(
        () => net.setState(missing),
        ValueError,
        'FullyConnectedNet.setState: state.tensors.bn2.runningVar must be a Tensor, got undefined',
      );
      expectError(
        () =>
          net.setState({
            tensors: { ...good.tensors, 'bn1.runningMean': zeros([H1 + 1], 'float64') },
            rng: good.rng,
          }),
        ShapeError,
        `FullyConnectedNet.setState: state.tensors.bn1.runningMean has shape [${H1 + 1}], expected [${H1}]`,
      );
      expectError(
        () =>
          net.setState({
            tensors: { ...good.tensors, 'bn1.runningMean': zeros([H1], 'float32') },
            rng: good.rng,
          }),
        DTypeError,
        "FullyConnectedNet.setState: state.tensors.bn1.runningMean has dtype float32, expected the model's float64",
      );
      expectError(
        () =>
          net.setState({
            tensors: { ...good.tensors, 'bn3.runningMean': zeros([2], 'float64') },
            rng: good.rng,
          }),
        ValueError,
        "FullyConnectedNet.setState: state.tensors.bn3.runningMean is not part of this model's state; expected bn1.runningMean, bn1.runningVar, bn2.runningMean, bn2.runningVar",
      );
      expectError(
        () => net.setState({ tensors: good.tensors, rng: { s: [0, 0, 0, 0], spareNormal: null } }),
        ValueError,
        'FullyConnectedNet.setState: state.rng is not a valid Rng state (Rng.setState: state.s must be four 32-bit integers, not all zero)',
      );
      expectError(
        () => net.setState({ tensors: good.tensors, rng: null }),
        ValueError,
        'FullyConnectedNet.setState: state.rng must be an Rng state { s, spareNormal }, got null',
      );
      expect(net.getState()).toEqual(before);
      expect(relError(net.getState().tensors['bn1.runningVar'], before.tensors['bn1.runningVar'])).toBe(0);
    });
  });
});
