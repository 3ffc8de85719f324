import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import {
  DTypeError,
  linspace,
  ones,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  affineForward,
  type BatchnormParam,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  layernormForward,
  reluForward,
} from '../src/index';
import { columnStats, expectThrow, normal, snapshot } from './dense-helpers';

// x = linspace(-1, 2, 12).reshape(4, 3) ** 2: features with different means and spreads.
function squaredLinspace(): Tensor {
  const x = linspace(-1, 2, 12, 'float64');
  for (let i = 0; i < x.size; i++) x.data[i] **= 2;
  return x.reshape([4, 3]);
}

describe('batchnormForward', () => {
  it('normalizes with the batch mean and biased variance in train mode (linspace values)', () => {
    const x = squaredLinspace();
    const gamma = linspace(0.5, 1.5, 3, 'float64');
    const beta = linspace(-0.1, 0.1, 3, 'float64');
    const bnParam: BatchnormParam = { mode: 'train' };
    const { out } = batchnormForward(x, gamma, beta, bnParam);
    // numpy 2.4: mu = x.mean(0); var = x.var(0); gamma * (x - mu) / np.sqrt(var + 1e-5) + beta
    const expected = tensor(
      [
        [-0.02921119321659303, -0.49213212114026905, -1.0769022549839133],
        [-0.6427141853394518, -0.9514554342045206, -1.1482296643768777],
        [-0.40675149606142924, -0.22966165653212567, 0.06433629530351757],
        [0.678676874617474, 1.6732492118769158, 2.5607956240572745],
      ],
      { dtype: 'float64' },
    );
    expect(relError(out, expected)).toBeLessThan(1e-12);
    // Running averages start at zero: 0.9·0 + 0.1·batch statistic (numpy: 0.1 * mu, 0.1 * var).
    expect(
      relError(
        bnParam.runningMean!,
        tensor([0.08884297520661155, 0.10867768595041319, 0.1433884297520661], { dtype: 'float64' }),
      ),
    ).toBeLessThan(1e-14);
    expect(
      relError(
        bnParam.runningVar!,
        tensor([0.06210129089543057, 0.12849019875691545, 0.24467078751451404], { dtype: 'float64' }),
      ),
    ).toBeLessThan(1e-14);
    expect(bnParam.runningMean!.dtype).toBe('float64');
  });

  it('gives per-feature mean ~beta and std ~gamma in train mode', () => {
    // The notebook's check: relu(affine) features with means and scales far from 0 and 1.
    const h = reluForward(affineForward(normal([200, 50], 1), normal([50, 3], 2), normal([3], 3)).out).out;
    const gamma = tensor([1, 2, 3], { dtype: 'float64' });
    const beta = tensor([11, 12, 13], { dtype: 'float64' });
    const { out } = batchnormForward(h, gamma, beta, { mode: 'train' });
    const { mean, std } = columnStats(out);
    for (let j = 0; j < 3; j++) {
      expect(mean[j]).toBeCloseTo(beta.data[j], 10);
      // std = gamma·σ/√(σ² + eps): within 1e-4 of gamma for these spreads
      expect(Math.abs(std[j] - gamma.data[j])).toBeLessThan(1e-4 * gamma.data[j]);
    }
  });

  it('running averages after many train steps normalize test batches (mean ~0, std ~1)', () => {
    const w = normal([50, 3], 2);
    const b = normal([3], 3);
    const gamma = ones([3], 'float64');
    const beta = zeros([3], 'float64');
    const bnParam: BatchnormParam = { mode: 'train' };
    for (let t = 0; t < 50; t++) {
      const h = reluForward(affineForward(normal([200, 50], 100 + t), w, b).out).out;
      batchnormForward(h, gamma, beta, bnParam);
    }
    bnParam.mode = 'test';
    const hTest = reluForward(affineForward(normal([200, 50], 999), w, b).out).out;
    const { mean, std } = columnStats(batchnormForward(hTest, gamma, beta, bnParam).out);
    for (let j = 0; j < 3; j++) {
      expect(Math.abs(mean[j])).toBeLessThan(0.2);
      expect(Math.abs(std[j] - 1)).toBeLessThan(0.2);
    }
  });

  it('uses exactly the running statistics in test mode and leaves them as they were', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float64' },
    );
    const runningMean = tensor([1, 1], { dtype: 'float64' });
    const runningVar = tensor([4 - 1e-5, 9 - 1e-5], { dtype: 'float64' });
    const bnParam: BatchnormParam = { mode: 'test', runningMean, runningVar };
    const { out } = batchnormForward(x, ones([2], 'float64'), zeros([2], 'float64'), bnParam);
    // (x - 1) / √(var + eps) = (x - 1) / [2, 3]
    const expected = [0, 1 / 3, 1, 1];
    for (let i = 0; i < 4; i++) expect(out.data[i]).toBeCloseTo(expected[i], 12);
    expect(Array.from(bnParam.runningMean!.data)).toEqual([1, 1]);
    expect(Array.from(bnParam.runningVar!.data)).toEqual([4 - 1e-5, 9 - 1e-5]);
  });

  it('honours eps and momentum', () => {
    const x = tensor(
      [
        [0, 10],
        [2, 30],
      ],
      { dtype: 'float64' },
    );
    const bnParam: BatchnormParam = {
      mode: 'train',
      eps: 3,
      momentum: 0.5,
      runningMean: tensor([4, 4], { dtype: 'float64' }),
      runningVar: tensor([2, 2], { dtype: 'float64' }),
    };
    const oldMean = bnParam.runningMean!;
    const { out } = batchnormForward(x, ones([2], 'float64'), zeros([2], 'float64'), bnParam);
    // The running statistics are replaced by new tensors; the ones passed in are left as they were.
    expect(bnParam.runningMean).not.toBe(oldMean);
    expect(Array.from(oldMean.data)).toEqual([4, 4]);
    // feature 0: mean 1, var 1, (x - 1)/√(1 + 3) = ∓1/2; feature 1: mean 20, var 100, (x - 20)/√103
    expect(out.data[0]).toBeCloseTo(-0.5, 14);
    expect(out.data[2]).toBeCloseTo(0.5, 14);
    expect(out.data[1]).toBeCloseTo(-10 / Math.sqrt(103), 14);
    // running = 0.5·old + 0.5·batch
    expect(Array.from(bnParam.runningMean!.data)).toEqual([2.5, 12]);
    expect(Array.from(bnParam.runningVar!.data)).toEqual([1.5, 51]);
  });

  it('works in float32, with float32 running statistics', () => {
    const x = normal([16, 4], 7, 'float32', 3, 2);
    const bnParam: BatchnormParam = { mode: 'train' };
    const { out } = batchnormForward(x, ones([4], 'float32'), zeros([4], 'float32'), bnParam);
    expect(out.dtype).toBe('float32');
    expect(bnParam.runningMean!.dtype).toBe('float32');
    const ref = batchnormForward(x.astype('float64'), ones([4], 'float64'), zeros([4], 'float64'), {
      mode: 'train',
    }).out;
    for (let i = 0; i < out.size; i++) expect(out.data[i]).toBeCloseTo(ref.data[i], 5);
  });

  it('rejects bad arguments, naming them', () => {
    const x = zeros([4, 3], 'float64');
    const g = ones([3], 'float64');
    const b = zeros([3], 'float64');
    expectThrow(
      () => batchnormForward(x, g, b, { mode: 'eval' as never }),
      ValueError,
      "batchnormForward: bnParam.mode must be one of 'train', 'test', got 'eval'",
    );
    expectThrow(
      () => batchnormForward(x, g, b, undefined as never),
      ValueError,
      'batchnormForward: bnParam must be an object { mode, eps?, momentum?, ... }, got undefined',
    );
    expectThrow(
      () => batchnormForward(x, ones([4], 'float64'), b, { mode: 'train' }),
      ShapeError,
      "batchnormForward: gamma has shape [4], expected [3] to match x's 3 features",
    );
    expectThrow(
      () => batchnormForward(x, g, zeros([1, 3], 'float64'), { mode: 'train' }),
      ShapeError,
      "batchnormForward: beta has shape [1,3], expected [3] to match x's 3 features",
    );
    expectThrow(
      () => batchnormForward(zeros([4, 3, 1], 'float64'), g, b, { mode: 'train' }),
      ShapeError,
      'batchnormForward: x has shape [4,3,1], expected [N, D]',
    );
    expectThrow(
      () => batchnormForward(x, ones([3], 'float32'), b, { mode: 'train' }),
      DTypeError,
      'batchnormForward: gamma has dtype float32, expected float64 to match x',
    );
    expectThrow(
      () => batchnormForward(x, g, b, { mode: 'train', eps: 0 }),
      ValueError,
      'batchnormForward: bnParam.eps must be a finite number > 0, got 0',
    );
    expectThrow(
      () => batchnormForward(x, g, b, { mode: 'train', momentum: 1.5 }),
      ValueError,
      'batchnormForward: bnParam.momentum must be a finite number in [0, 1], got 1.5',
    );
    expectThrow(
      () => batchnormForward(x, g, b, { mode: 'test', runningMean: zeros([2], 'float64') }),
      ShapeError,
      "batchnormForward: bnParam.runningMean has shape [2], expected [3] to match x's 3 features",
    );
    expectThrow(
      () => batchnormForward(x, g, b, { mode: 'test', runningVar: zeros([3], 'float32') }),
      DTypeError,
      'batchnormForward: bnParam.runningVar has dtype float32, expected float64 to match x',
    );
    expectThrow(
      () => batchnormForward(zeros([0, 3], 'float64'), g, b, { mode: 'train' }),
      ShapeError,
      'batchnormForward: x has shape [0,3], expected N >= 1 in train mode (batch statistics need an example)',
    );
  });
});

describe('batchnormBackward', () => {
  function setup(mode: 'train' | 'test', N = 4, D = 5) {
    const x = normal([N, D], 21, 'float64', 5, 4);
    const gamma = normal([D], 22);
    const beta = normal([D], 23);
    const dout = normal([N, D], 24);
    const stats = { runningMean: normal([D], 25), runningVar: normal([D], 26, 'float64', 2, 0.1) };
    const fresh = (): BatchnormParam => ({ mode, ...stats });
    return { x, gamma, beta, dout, fresh };
  }

  for (const backward of [batchnormBackward, batchnormBackwardAlt]) {
    for (const mode of ['train', 'test'] as const) {
      it(`${backward.name} matches the numerical gradient in float64 (${mode} mode)`, () => {
        const { x, gamma, beta, dout, fresh } = setup(mode);
        const { cache } = batchnormForward(x, gamma, beta, fresh());
        const { dx, dgamma, dbeta } = backward(dout, cache);
        const dxNum = evalNumericalGradientArray(
          (v) => batchnormForward(v, gamma, beta, fresh()).out,
          x,
          dout,
        );
        const dgNum = evalNumericalGradientArray(
          (v) => batchnormForward(x, v, beta, fresh()).out,
          gamma,
          dout,
        );
        const dbNum = evalNumericalGradientArray(
          (v) => batchnormForward(x, gamma, v, fresh()).out,
          beta,
          dout,
        );
        expect(relError(dx, dxNum)).toBeLessThan(1e-7);
        expect(relError(dgamma, dgNum)).toBeLessThan(1e-6);
        expect(relError(dbeta, dbNum)).toBeLessThan(1e-7);
      });
    }
  }

  it('batchnormBackwardAlt equals batchnormBackward for random shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (N, D, seed) => {
          const x = normal([N, D], seed, 'float64', 1, 3);
          const { cache } = batchnormForward(x, normal([D], seed + 1), normal([D], seed + 2), {
            mode: 'train',
          });
          const dout = normal([N, D], seed + 3);
          const a = batchnormBackward(dout, cache);
          const b = batchnormBackwardAlt(dout, cache);
          // Absolute closeness: with N = 1 the exact dx is 0 and both give rounding noise around it.
          for (let i = 0; i < a.dx.size; i++) expect(b.dx.data[i]).toBeCloseTo(a.dx.data[i], 10);
          expect(relError(a.dgamma, b.dgamma)).toBeLessThan(1e-12);
          expect(relError(a.dbeta, b.dbeta)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('does not mutate its cache or dout', () => {
    const { x, gamma, beta, dout, fresh } = setup('train');
    const { cache } = batchnormForward(x, gamma, beta, fresh());
    const before = () => [
      snapshot(cache.x),
      snapshot(cache.gamma),
      snapshot(cache.beta),
      snapshot(cache.xhat),
      Array.from(cache.mean),
      Array.from(cache.variance),
      Array.from(cache.invStd),
      snapshot(dout),
    ];
    const saved = before();
    batchnormBackward(dout, cache);
    batchnormBackwardAlt(dout, cache);
    expect(before()).toEqual(saved);
  });

  it('works in float32', () => {
    const x = normal([8, 3], 1, 'float32', 2, 3);
    const dout = normal([8, 3], 2, 'float32');
    const g = ones([3], 'float32');
    const { cache } = batchnormForward(x, g, zeros([3], 'float32'), { mode: 'train' });
    const got = batchnormBackwardAlt(dout, cache);
    expect([got.dx.dtype, got.dgamma.dtype, got.dbeta.dtype]).toEqual(['float32', 'float32', 'float32']);
    const ref = batchnormBackwardAlt(
      dout.astype('float64'),
      batchnormForward(x.astype('float64'), ones([3], 'float64'), zeros([3], 'float64'), { mode: 'train' })
        .cache,
    );
    for (let i = 0; i < ref.dx.size; i++) expect(got.dx.data[i]).toBeCloseTo(ref.dx.data[i], 5);
  });

  it('rejects a dout that does not match the forward output', () => {
    const { cache } = batchnormForward(
      zeros([4, 3], 'float64'),
      ones([3], 'float64'),
      zeros([3], 'float64'),
      {
        mode: 'train',
      },
    );
    expectThrow(
      () => batchnormBackward(zeros([4, 2], 'float64'), cache),
      ShapeError,
      'batchnormBackward: dout has shape [4,2], expected [4, 3] to match the forward output [4, 3]',
    );
    expectThrow(
      () => batchnormBackwardAlt(zeros([4, 3], 'float32'), cache),
      DTypeError,
      'batchnormBackwardAlt: dout has dtype float32, expected float64 to match cache.x',
    );
    expectThrow(
      () => batchnormBackward(zeros([4, 3], 'float64'), {} as never),
      ValueError,
      'batchnormBackward: cache must be the cache batchnormForward returned, got object',
    );
    // a layernorm cache has per-row, not per-feature, statistics
    const ln = layernormForward(zeros([4, 3], 'float64'), ones([3], 'float64'), zeros([3], 'float64')).cache;
    expectThrow(
      () => batchnormBackwardAlt(zeros([4, 3], 'float64'), ln as never),
      ValueError,
      'batchnormBackwardAlt: cache must be the cache batchnormForward returned (its statistics do not match cache.x)',
    );
  });
});
