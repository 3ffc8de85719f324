import { relError } from '@backprop/gradcheck';
import { DTypeError, linspace, ShapeError, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { ThreeLayerConvNet, type ThreeLayerConvNetOptions } from '../src/index';
import {
  checkGradients,
  expectError,
  randomInput,
  randomizeParams,
  randomLabels,
  sumOfSquares,
} from './helpers';

// The ConvolutionalNetworks notebook's sanity check, smaller: 3 filters of 3x3, hidden 7, input [3, 16, 16] there.
const small = (options: ThreeLayerConvNetOptions = {}) =>
  new ThreeLayerConvNet({
    inputDim: [2, 6, 6],
    numFilters: 3,
    filterSize: 3,
    hiddenDim: 5,
    numClasses: 4,
    weightScale: 0.3,
    dtype: 'float64',
    ...options,
  });

describe('ThreeLayerConvNet', () => {
  it('has W1 [F,C,fs,fs], b1 [F], W2 [F·H/2·W/2, hidden], b2, W3 [hidden, classes], b3', () => {
    const net = new ThreeLayerConvNet({
      inputDim: [3, 8, 10],
      numFilters: 4,
      filterSize: 5,
      hiddenDim: 6,
      numClasses: 3,
    });
    expect(Object.keys(net.params)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    expect(net.params.W1.shape).toEqual([4, 3, 5, 5]);
    expect(net.params.b1.shape).toEqual([4]);
    expect(net.params.W2.shape).toEqual([4 * 4 * 5, 6]);
    expect(net.params.b2.shape).toEqual([6]);
    expect(net.params.W3.shape).toEqual([6, 3]);
    expect(net.params.b3.shape).toEqual([3]);
    expect(Array.from(net.params.b2.data).every((v) => v === 0)).toBe(true);
  });

  it('has the CS231n defaults and draws N(0, weightScale²) weights', () => {
    const net = new ThreeLayerConvNet();
    expect(net.kind).toBe('convnet');
    expect(net.config).toEqual({
      inputDim: [3, 32, 32],
      numFilters: 32,
      filterSize: 7,
      hiddenDim: 100,
      numClasses: 10,
      weightScale: 1e-3,
      reg: 0,
      dtype: 'float32',
      seed: 0,
    });
    expect(net.params.W2.shape).toEqual([32 * 16 * 16, 100]);
    const std = Math.sqrt(sumOfSquares(net.params.W2) / net.params.W2.size);
    expect(std).toBeGreaterThan(0.99e-3);
    expect(std).toBeLessThan(1.01e-3);
  });

  it('computes scores and losses for fixed linspace weights equal to an independent numpy computation', () => {
    // python3/numpy 2.x, with explicit loops for the conv (stride 1, zero pad 1) and reshape-max for the pool:
    //   W1 = linspace(-0.3, 0.3, 36).reshape(2, 2, 3, 3); b1 = linspace(-0.1, 0.1, 2)
    //   W2 = linspace(-0.7, 0.5, 24).reshape(3, 8).T;   b2 = linspace(0.05, -0.05, 3)
    //   W3 = linspace(0.5, -0.5, 6).reshape(3, 2);      b3 = linspace(-0.2, 0.2, 2)
    //   X = linspace(-1, 1.5, 64).reshape(2, 2, 4, 4); y = [1, 0]
    //   hidden pre-activations [[-3.83, -1.28, 1.28], [-5.03, 0.106, 5.24]]: some units on, some off.
    const make = (reg: number) => {
      const net = new ThreeLayerConvNet({
        inputDim: [2, 4, 4],
        numFilters: 2,
        filterSize: 3,
        hiddenDim: 3,
        numClasses: 2,
        reg,
        dtype: 'float64',
      });
      net.params.W1 = linspace(-0.3, 0.3, 36, 'float64').reshape([2, 2, 3, 3]);
      net.params.b1 = linspace(-0.1, 0.1, 2, 'float64');
      net.params.W2 = linspace(-0.7, 0.5, 24, 'float64').reshape([3, 8]).transpose();
      net.params.b2 = linspace(0.05, -0.05, 3, 'float64');
      net.params.W3 = linspace(0.5, -0.5, 6, 'float64').reshape([3, 2]);
      net.params.b3 = linspace(-0.2, 0.2, 2, 'float64');
      return net;
    };
    const X = linspace(-1, 1.5, 64, 'float64').reshape([2, 2, 4, 4]);
    const expected = tensor(
      [
        [-0.5831476486246672, -0.4385794143744452],
        [-1.7610922803904174, -2.430017568766637],
      ],
      { dtype: 'float64' },
    );
    expect(relError(make(0).loss(X), expected)).toBeLessThan(1e-12);
    expect(relError(make(0).loss(X, [1, 0]).loss, 0.5185388618929319)).toBeLessThan(1e-12);
    expect(relError(make(0.1).loss(X, [1, 0]).loss, 0.779146315309081)).toBeLessThan(1e-12);
  });

  for (const [name, options] of [
    ['3x3 filters', {}],
    ['5x5 filters on a non-square input, reg = 0.5', { filterSize: 5, inputDim: [2, 4, 6], reg: 0.5 }],
  ] as [string, ThreeLayerConvNetOptions][]) {
    it(`matches the numerical gradient in float64 (${name})`, () => {
      const net = small(options);
      randomizeParams(net);
      const [C, H, W] = net.config.inputDim;
      const errors = checkGradients(net, randomInput([2, C, H, W]), randomLabels(2, 4));
      expect(Object.keys(errors)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
    });
  }

  it('returns scores [N, classes] in test mode and grads shaped like params in train mode', () => {
    const net = small({ dtype: 'float32' });
    const X = randomInput([3, 2, 6, 6]);
    const scores = net.loss(X);
    expect(scores.shape).toEqual([3, 4]);
    expect(scores.dtype).toBe('float32');
    const { grads } = net.loss(X, [0, 1, 3]);
    for (const name of Object.keys(net.params)) expect(grads[name].shape).toEqual(net.params[name].shape);
  });

  it('starts near log(10) with the default sizes and small weights, and adds 0.5·reg·Σ W² with reg', () => {
    const X = randomInput([4, 3, 32, 32]).astype('float32');
    const y = [1, 4, 7, 9];
    const plain = new ThreeLayerConvNet();
    const { loss } = plain.loss(X, y);
    expect(Math.abs(loss - Math.log(10))).toBeLessThan(1e-3);
    // The notebook's "about 2.508 with reg = 0.5": the penalty of N(0, 1e-6) weights.
    const regularised = new ThreeLayerConvNet({ reg: 0.5 });
    const penalty = ['W1', 'W2', 'W3'].reduce((s, k) => s + 0.25 * sumOfSquares(regularised.params[k]), 0);
    const withReg = regularised.loss(X, y).loss;
    expect(withReg - loss).toBeCloseTo(penalty, 5);
    expect(withReg).toBeGreaterThan(2.49);
    expect(withReg).toBeLessThan(2.53);
  });

  it('adds exactly reg·W to each weight gradient', () => {
    const a = small();
    const b = small({ reg: 0.7 });
    const X = randomInput([2, 2, 6, 6]);
    const ga = a.loss(X, [0, 2]).grads;
    const gb = b.loss(X, [0, 2]).grads;
    for (const name of ['W1', 'W2', 'W3']) {
      for (let i = 0; i < ga[name].size; i++) {
        expect(gb[name].data[i] - ga[name].data[i]).toBeCloseTo(0.7 * a.params[name].data[i], 13);
      }
    }
    expect(Array.from(gb.b1.data)).toEqual(Array.from(ga.b1.data));
  });

  it('gives the same scores in float32 as in float64 up to float32 rounding', () => {
    const X = randomInput([2, 2, 6, 6]);
    const s64 = small().loss(X);
    const s32 = small({ dtype: 'float32' }).loss(X);
    expect(relError(s32.astype('float64'), s64)).toBeLessThan(1e-4);
  });

  describe('errors', () => {
    it('rejects bad options, naming the option', () => {
      expectError(
        () => small({ filterSize: 4 }),
        ValueError,
        'ThreeLayerConvNet: options.filterSize must be odd so that padding (filterSize-1)/2 keeps the input size, got 4',
      );
      expectError(
        () => small({ inputDim: [3, 7, 8] }),
        ValueError,
        'ThreeLayerConvNet: options.inputDim must have even H and W for the 2x2 stride-2 max pool, got [3, 7, 8]',
      );
      expectError(
        () => small({ inputDim: [3, 8] as never }),
        ValueError,
        'ThreeLayerConvNet: options.inputDim must be [C, H, W], got an array of length 2',
      );
      expectError(
        () => small({ inputDim: [0, 8, 8] }),
        ValueError,
        'ThreeLayerConvNet: options.inputDim[0] must be an integer >= 1, got 0',
      );
      expectError(
        () => small({ numFilters: -2 }),
        ValueError,
        'ThreeLayerConvNet: options.numFilters must be an integer >= 1, got -2',
      );
      expectError(
        () => small({ dtype: 'float16' as never }),
        DTypeError,
        "ThreeLayerConvNet: options.dtype must be 'float32' or 'float64', got 'float16'",
      );
      expectError(
        () => small({ stride: 2 } as never),
        ValueError,
        'ThreeLayerConvNet: options.stride is not an option; expected one of inputDim, numFilters, filterSize, hiddenDim, numClasses, weightScale, reg, dtype, seed',
      );
    });

    it('rejects X that is not [N, C, H, W] of inputDim, and bad labels', () => {
      const net = small();
      expectError(
        () => net.loss(zeros([2, 2, 6, 5])),
        ShapeError,
        'ThreeLayerConvNet.loss: X has shape [2,2,6,5], expected [N, 2, 6, 6] to match inputDim',
      );
      expectError(
        () => net.loss(zeros([2, 72])),
        ShapeError,
        'ThreeLayerConvNet.loss: X has shape [2,72], expected [N, 2, 6, 6] to match inputDim',
      );
      expectError(
        () => net.loss(zeros([2, 2, 6, 6]), [0, 4]),
        ValueError,
        'ThreeLayerConvNet.loss: y[1] is 4, expected an integer label in [0, 4)',
      );
    });
  });
});
