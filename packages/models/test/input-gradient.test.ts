// The models never need the gradient of their input X: each one's first layer runs its backward with
// computeDx false, skipping a GEMM the size of the forward one. These spy on the layers to hold that.
import { Rng, randn } from '@backprop/tensor';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FullyConnectedNet, ThreeLayerConvNet, TwoLayerNet } from '../src/index';

vi.mock('@backprop/layers', async (importOriginal) => {
  const layers = await importOriginal<typeof import('@backprop/layers')>();
  return {
    ...layers,
    affineBackward: vi.fn(layers.affineBackward),
    affineReluBackward: vi.fn(layers.affineReluBackward),
    affineNormReluBackward: vi.fn(layers.affineNormReluBackward),
    convReluPoolBackward: vi.fn(layers.convReluPoolBackward),
  };
});

const layers = await import('@backprop/layers');

/** For every call of a spied backward, whether it computed dx (and whether it was asked to). */
function dxPerCall(fn: unknown): { asked: boolean; computed: boolean }[] {
  const spy = vi.mocked(fn as (...args: unknown[]) => { dx: unknown });
  return spy.mock.calls.map((args, i) => ({
    asked: (args[2] as { computeDx?: boolean } | undefined)?.computeDx ?? true,
    computed: (spy.mock.results[i].value as { dx: unknown }).dx !== null,
  }));
}

afterEach(() => {
  vi.clearAllMocks();
});

const X = (shape: number[]) => randn(shape, { rng: new Rng(3), dtype: 'float64' });
const y = [0, 2, 1];

describe('the input gradient is never computed', () => {
  it('TwoLayerNet: the first affine-relu skips dx, the second affine computes it', () => {
    new TwoLayerNet({ inputDim: 4, hiddenDim: 5, numClasses: 3, dtype: 'float64' }).loss(X([3, 4]), y);
    expect(dxPerCall(layers.affineReluBackward)).toEqual([{ asked: false, computed: false }]);
    expect(dxPerCall(layers.affineBackward)).toEqual([{ asked: true, computed: true }]);
  });

  for (const normalization of [null, 'batchnorm', 'layernorm'] as const) {
    it(`FullyConnectedNet (${normalization ?? 'no'} normalization): only layer 1 skips dx`, () => {
      const net = new FullyConnectedNet({
        hiddenDims: [5, 6],
        inputDim: 4,
        numClasses: 3,
        normalization,
        dropout: 0.5,
        dtype: 'float64',
      });
      net.loss(X([3, 4]), y);
      const hidden = normalization === null ? layers.affineReluBackward : layers.affineNormReluBackward;
      // Backward runs from the last hidden layer to the first.
      expect(dxPerCall(hidden)).toEqual([
        { asked: true, computed: true },
        { asked: false, computed: false },
      ]);
      expect(dxPerCall(layers.affineBackward)).toEqual([{ asked: true, computed: true }]);
    });
  }

  it('FullyConnectedNet without hidden layers (softmax regression): its one affine layer skips dx', () => {
    new FullyConnectedNet({ hiddenDims: [], inputDim: 4, numClasses: 3, dtype: 'float64' }).loss(
      X([3, 4]),
      y,
    );
    expect(dxPerCall(layers.affineBackward)).toEqual([{ asked: false, computed: false }]);
  });

  it('ThreeLayerConvNet: the conv block skips dx, both affine layers compute it', () => {
    new ThreeLayerConvNet({
      inputDim: [1, 4, 4],
      numFilters: 2,
      filterSize: 3,
      hiddenDim: 5,
      numClasses: 3,
      dtype: 'float64',
    }).loss(X([3, 1, 4, 4]), y);
    expect(dxPerCall(layers.convReluPoolBackward)).toEqual([{ asked: false, computed: false }]);
    expect(dxPerCall(layers.affineReluBackward)).toEqual([{ asked: true, computed: true }]);
    expect(dxPerCall(layers.affineBackward)).toEqual([{ asked: true, computed: true }]);
  });
});
