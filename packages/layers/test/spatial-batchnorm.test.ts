import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import { DTypeError, linspace, ShapeError, type Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import {
  type BatchnormParam,
  batchnormForward,
  spatialBatchnormBackward,
  spatialBatchnormForward,
} from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

/** x (N, C, H, W) -> (N·H·W, C): each channel becomes a column, as numpy's x.transpose(0, 2, 3, 1).reshape(-1, C). */
function channelsLast(x: Tensor): Tensor {
  const [N, C, H, W] = x.shape;
  return x.permute([0, 2, 3, 1]).reshape([N * H * W, C]);
}

/** Per-channel mean and biased std over (N, H, W). */
function channelStats(t: Tensor): { mean: number[]; std: number[] } {
  const [N, C, H, W] = t.shape;
  const M = N * H * W;
  const mean = new Array<number>(C).fill(0);
  const variance = new Array<number>(C).fill(0);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < H * W; p++) mean[c] += t.data[(n * C + c) * H * W + p] / M;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < H * W; p++) variance[c] += (t.data[(n * C + c) * H * W + p] - mean[c]) ** 2 / M;
  return { mean, std: variance.map(Math.sqrt) };
}

describe('spatialBatchnormForward', () => {
  it('normalizes per channel over (N, H, W) in train mode (linspace values by hand)', () => {
    // numpy 2: x = np.linspace(-1, 2, 12).reshape(2, 2, 1, 3); mu = x.mean((0, 2, 3)); var = x.var((0, 2, 3))
    // out = gamma·(x − mu)/sqrt(var + 1e-5) + beta with gamma = [1.5, −0.5], beta = [0.1, 0.2]
    const x = linspace(-1, 2, 12, 'float64').reshape([2, 2, 1, 3]);
    const bnParam: BatchnormParam = { mode: 'train' };
    const { out } = spatialBatchnormForward(
      x,
      tensor([1.5, -0.5], { dtype: 'float64' }),
      tensor([0.1, 0.2], { dtype: 'float64' }),
      bnParam,
    );
    const expected = tensor(
      [
        -1.829789142956628, -1.347341857217471, -0.8648945714783141, 0.8432630476522094, 0.682447285739157,
        0.5216315238261047, 1.064894571478314, 1.547341857217471, 2.029789142956628, -0.12163152382610448,
        -0.28244728573915695, -0.4432630476522093,
      ],
      { dtype: 'float64' },
    ).reshape([2, 2, 1, 3]);
    expect(relError(out, expected)).toBeLessThan(1e-13);
    // Running statistics start at zero: 0.9·0 + 0.1·(batch mean, batch variance).
    expect(
      relError(
        bnParam.runningMean!,
        tensor([0.009090909090909084, 0.09090909090909091], { dtype: 'float64' }),
      ),
    ).toBeLessThan(1e-14);
    expect(
      relError(bnParam.runningVar!, tensor([0.07190082644628099, 0.07190082644628099], { dtype: 'float64' })),
    ).toBeLessThan(1e-14);
    expect(bnParam.runningMean!.shape).toEqual([2]);
  });

  it('gives per-channel mean ~beta and std ~gamma in train mode (the notebook check)', () => {
    const x = normal([2, 3, 4, 5], 1, 'float64', 10, 4);
    const gamma = tensor([3, 4, 5], { dtype: 'float64' });
    const beta = tensor([6, 7, 8], { dtype: 'float64' });
    const { mean, std } = channelStats(spatialBatchnormForward(x, gamma, beta, { mode: 'train' }).out);
    for (let c = 0; c < 3; c++) {
      expect(mean[c]).toBeCloseTo(beta.data[c], 10);
      expect(Math.abs(std[c] - gamma.data[c])).toBeLessThan(1e-5 * gamma.data[c]);
    }
  });

  it('equals batchnormForward on the channels-last reshape, in train and test mode', () => {
    const x = normal([3, 4, 2, 5], 2, 'float64', 1, 2);
    const gamma = normal([4], 3);
    const beta = normal([4], 4);
    const spatialParam: BatchnormParam = { mode: 'train', momentum: 0.7 };
    const flatParam: BatchnormParam = { mode: 'train', momentum: 0.7 };
    for (const mode of ['train', 'test'] as const) {
      spatialParam.mode = mode;
      flatParam.mode = mode;
      const spatial = spatialBatchnormForward(x, gamma, beta, spatialParam).out;
      const flat = batchnormForward(channelsLast(x), gamma, beta, flatParam).out;
      expect(relError(channelsLast(spatial), flat)).toBeLessThan(1e-12);
      expect(relError(spatialParam.runningMean!, flatParam.runningMean!)).toBeLessThan(1e-14);
      expect(relError(spatialParam.runningVar!, flatParam.runningVar!)).toBeLessThan(1e-14);
    }
  });

  it('running averages after many train steps normalize test batches (mean ~0, std ~1)', () => {
    const N = 10;
    const gamma = tensor([1, 1, 1], { dtype: 'float64' });
    const beta = zeros([3], 'float64');
    const bnParam: BatchnormParam = { mode: 'train' };
    for (let t = 0; t < 60; t++)
      spatialBatchnormForward(normal([N, 3, 4, 5], 100 + t, 'float64', 5, 3), gamma, beta, bnParam);
    bnParam.mode = 'test';
    const { mean, std } = channelStats(
      spatialBatchnormForward(normal([50, 3, 4, 5], 7, 'float64', 5, 3), gamma, beta, bnParam).out,
    );
    // 1000 test values per channel: sampling error of the mean ~0.03, so 0.15 is a wide margin.
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(mean[c])).toBeLessThan(0.15);
      expect(Math.abs(std[c] - 1)).toBeLessThan(0.15);
    }
  });

  it('works in float32 with float32 running statistics', () => {
    const x = normal([2, 3, 4, 4], 5, 'float32');
    const bnParam: BatchnormParam = { mode: 'train' };
    const { out, cache } = spatialBatchnormForward(
      x,
      normal([3], 6, 'float32'),
      normal([3], 7, 'float32'),
      bnParam,
    );
    expect(out.dtype).toBe('float32');
    expect(bnParam.runningVar!.dtype).toBe('float32');
    const g = spatialBatchnormBackward(normal([2, 3, 4, 4], 8, 'float32'), cache);
    expect([g.dx.dtype, g.dgamma.dtype, g.dbeta.dtype]).toEqual(['float32', 'float32', 'float32']);
    const ref = spatialBatchnormForward(x.astype('float64'), normal([3], 6), normal([3], 7), {
      mode: 'train',
    }).out;
    expect(relError(out.astype('float64'), ref)).toBeLessThan(1e-4);
  });

  it('rejects bad shapes, dtypes and bnParam, naming the argument', () => {
    const x = normal([2, 3, 4, 4], 1);
    const g3 = normal([3], 2);
    const fn = 'spatialBatchnormForward';
    expectThrow(
      () => spatialBatchnormForward(x, normal([4], 2), g3, { mode: 'train' }),
      ShapeError,
      `${fn}: gamma has shape [4], expected [3] to match x's 3 channels`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, g3, normal([1, 3, 1, 1], 2), { mode: 'train' }),
      ShapeError,
      `${fn}: beta has shape [1,3,1,1], expected [3] to match x's 3 channels`,
    );
    expectThrow(
      () => spatialBatchnormForward(normal([6, 3], 1), g3, g3, { mode: 'train' }),
      ShapeError,
      `${fn}: x has shape [6,3], expected [N, C, H, W] (4 dimensions)`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, normal([3], 2, 'float32'), g3, { mode: 'train' }),
      DTypeError,
      `${fn}: gamma has dtype float32, expected float64 to match x`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, g3, g3, { mode: 'eval' as 'test' }),
      ValueError,
      `${fn}: bnParam.mode must be one of 'train', 'test', got 'eval'`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, g3, g3, { mode: 'train', eps: 0 }),
      ValueError,
      `${fn}: bnParam.eps must be a finite number > 0, got 0`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, g3, g3, { mode: 'train', momentum: 1.5 }),
      ValueError,
      `${fn}: bnParam.momentum must be a finite number in [0, 1], got 1.5`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, g3, g3, { mode: 'test', runningMean: zeros([4], 'float64') }),
      ShapeError,
      `${fn}: bnParam.runningMean has shape [4], expected [3] to match x's 3 channels`,
    );
    expectThrow(
      () => spatialBatchnormForward(x, g3, g3, null as never),
      ValueError,
      `${fn}: bnParam must be an object { mode, eps?, momentum?, ... }, got null`,
    );
    expectThrow(
      () => spatialBatchnormForward(zeros([0, 3, 2, 2], 'float64'), g3, g3, { mode: 'train' }),
      ShapeError,
      `${fn}: x has shape [0,3,2,2], expected N·H·W >= 1 in train mode (batch statistics need a value)`,
    );
  });
});

describe('spatialBatchnormBackward', () => {
  it('matches the numerical gradient in float64 in train mode (dx, dgamma, dbeta)', () => {
    const x = normal([2, 3, 4, 5], 1, 'float64', 5, 4);
    const gamma = normal([3], 2);
    const beta = normal([3], 3);
    const dout = normal([2, 3, 4, 5], 4);
    const f = (xx: Tensor, gg: Tensor, bb: Tensor) =>
      spatialBatchnormForward(xx, gg, bb, { mode: 'train' }).out;
    const { cache } = spatialBatchnormForward(x, gamma, beta, { mode: 'train' });
    const { dx, dgamma, dbeta } = spatialBatchnormBackward(dout, cache);
    expect(
      relError(
        dx,
        evalNumericalGradientArray((xx) => f(xx, gamma, beta), x, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        dgamma,
        evalNumericalGradientArray((gg) => f(x, gg, beta), gamma, dout),
      ),
    ).toBeLessThan(1e-6);
    expect(
      relError(
        dbeta,
        evalNumericalGradientArray((bb) => f(x, gamma, bb), beta, dout),
      ),
    ).toBeLessThan(1e-7);
  });

  it('matches the numerical gradient in float64 in test mode (statistics are constants)', () => {
    const x = normal([2, 2, 3, 3], 5, 'float64', 1, 2);
    const gamma = normal([2], 6);
    const beta = normal([2], 7);
    const runningMean = normal([2], 8);
    const runningVar = tensor([0.5, 2], { dtype: 'float64' });
    const param = (): BatchnormParam => ({ mode: 'test', runningMean, runningVar });
    const dout = normal([2, 2, 3, 3], 9);
    const { cache } = spatialBatchnormForward(x, gamma, beta, param());
    const { dx, dgamma, dbeta } = spatialBatchnormBackward(dout, cache);
    expect(
      relError(
        dx,
        evalNumericalGradientArray((xx) => spatialBatchnormForward(xx, gamma, beta, param()).out, x, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        dgamma,
        evalNumericalGradientArray((gg) => spatialBatchnormForward(x, gg, beta, param()).out, gamma, dout),
      ),
    ).toBeLessThan(1e-6);
    expect(
      relError(
        dbeta,
        evalNumericalGradientArray((bb) => spatialBatchnormForward(x, gamma, bb, param()).out, beta, dout),
      ),
    ).toBeLessThan(1e-7);
  });

  it('does not mutate its cache or dout', () => {
    const x = normal([2, 3, 2, 2], 1);
    const { cache } = spatialBatchnormForward(x, normal([3], 2), normal([3], 3), { mode: 'train' });
    const dout = normal([2, 3, 2, 2], 4);
    const before = [cache.x, cache.gamma, cache.beta, dout].map(snapshot);
    const stats = [cache.mean, cache.variance, cache.invStd].map((a) => Array.from(a));
    const first = spatialBatchnormBackward(dout, cache);
    expect([cache.x, cache.gamma, cache.beta, dout].map(snapshot)).toEqual(before);
    expect([cache.mean, cache.variance, cache.invStd].map((a) => Array.from(a))).toEqual(stats);
    expect(snapshot(spatialBatchnormBackward(dout, cache).dx)).toEqual(snapshot(first.dx));
  });

  it('rejects a dout that does not match x, and a bad cache', () => {
    const { cache } = spatialBatchnormForward(normal([2, 3, 2, 2], 1), normal([3], 2), normal([3], 3), {
      mode: 'train',
    });
    const fn = 'spatialBatchnormBackward';
    expectThrow(
      () => spatialBatchnormBackward(normal([2, 3, 2, 3], 4), cache),
      ShapeError,
      `${fn}: dout has shape [2,3,2,3], expected [2, 3, 2, 2] to match the forward pass's x [N, C, H, W]`,
    );
    expectThrow(
      () => spatialBatchnormBackward(normal([2, 3, 2, 2], 4, 'float32'), cache),
      DTypeError,
      `${fn}: dout has dtype float32, expected float64 to match x`,
    );
    expectThrow(
      () => spatialBatchnormBackward(normal([2, 3, 2, 2], 4), {} as never),
      ValueError,
      `${fn}: cache must be the cache returned by spatialBatchnormForward (kind 'spatialBatchnorm'), got object`,
    );
  });
});
