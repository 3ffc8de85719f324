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
import { batchnormForward, layernormBackward, layernormForward } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

function rowStats(t: Tensor): { mean: number[]; std: number[] } {
  const [N, D] = t.shape;
  const mean: number[] = [];
  const std: number[] = [];
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let j = 0; j < D; j++) m += t.data[n * D + j] / D;
    let v = 0;
    for (let j = 0; j < D; j++) v += (t.data[n * D + j] - m) ** 2 / D;
    mean.push(m);
    std.push(Math.sqrt(v));
  }
  return { mean, std };
}

describe('layernormForward', () => {
  it('normalizes each row with its own mean and biased variance (linspace values)', () => {
    const x = linspace(-1, 2, 12, 'float64');
    for (let i = 0; i < x.size; i++) x.data[i] **= 2;
    const gamma = linspace(0.5, 1.5, 3, 'float64');
    const beta = linspace(-0.1, 0.1, 3, 'float64');
    const { out } = layernormForward(x.reshape([4, 3]), gamma, beta, {});
    // numpy 2.4: mu = x.mean(1, keepdims=True); var = x.var(1, keepdims=True);
    //            gamma * (x - mu) / np.sqrt(var + 1e-5) + beta
    const expected = tensor(
      [
        [0.5468360489369827, -0.15219671739693694, -1.612213070715542],
        [-0.33105265601961154, -0.9242106240784478, 2.1794739041765068],
        [-0.6795668861483731, -0.1220140812943945, 2.0217217803867107],
        [-0.695633931853644, -0.064392857497691, 1.9834910818074702],
      ],
      { dtype: 'float64' },
    );
    expect(relError(out, expected)).toBeLessThan(1e-12);
  });

  it('gives every row mean ~0 and std ~1 with gamma = 1, beta = 0, in any mode', () => {
    const x = normal([6, 40], 3, 'float64', 7, 5);
    const { out } = layernormForward(x, ones([40], 'float64'), zeros([40], 'float64'));
    const again = layernormForward(x, ones([40], 'float64'), zeros([40], 'float64'), {
      mode: 'test',
    } as never).out;
    const { mean, std } = rowStats(out);
    for (let n = 0; n < 6; n++) {
      expect(mean[n]).toBeCloseTo(0, 12);
      expect(Math.abs(std[n] - 1)).toBeLessThan(1e-5);
    }
    expect(Array.from(again.data)).toEqual(Array.from(out.data));
  });

  it('equals batchnorm of the transpose (rows become features) for random shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        (N, D, seed) => {
          const x = normal([N, D], seed, 'float64', 2, 3);
          const ln = layernormForward(x, ones([D], 'float64'), zeros([D], 'float64')).out;
          const bn = batchnormForward(x.transpose(), ones([N], 'float64'), zeros([N], 'float64'), {
            mode: 'train',
          }).out;
          const bnT = bn.transpose();
          for (let i = 0; i < ln.size; i++) expect(ln.data[i]).toBeCloseTo(bnT.data[i], 12);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('honours eps', () => {
    // row [0, 2]: mean 1, variance 1; with eps 3 the output is (x - 1)/2
    const { out } = layernormForward(
      tensor([[0, 2]], { dtype: 'float64' }),
      ones([2], 'float64'),
      zeros([2], 'float64'),
      {
        eps: 3,
      },
    );
    expect(out.data[0]).toBeCloseTo(-0.5, 14);
    expect(out.data[1]).toBeCloseTo(0.5, 14);
  });

  it('works in float32', () => {
    const x = normal([5, 6], 1, 'float32', 2, 3);
    const { out } = layernormForward(x, ones([6], 'float32'), zeros([6], 'float32'));
    expect(out.dtype).toBe('float32');
    const ref = layernormForward(x.astype('float64'), ones([6], 'float64'), zeros([6], 'float64')).out;
    for (let i = 0; i < out.size; i++) expect(out.data[i]).toBeCloseTo(ref.data[i], 5);
  });

  it('rejects bad arguments, naming them', () => {
    const x = zeros([2, 3], 'float64');
    const g = ones([3], 'float64');
    const b = zeros([3], 'float64');
    expectThrow(
      () => layernormForward(x, ones([2], 'float64'), b),
      ShapeError,
      "layernormForward: gamma has shape [2], expected [3] to match x's 3 features",
    );
    expectThrow(
      () => layernormForward(x, g, zeros([3], 'float32')),
      DTypeError,
      'layernormForward: beta has dtype float32, expected float64 to match x',
    );
    expectThrow(
      () => layernormForward(x, g, b, { eps: -1 }),
      ValueError,
      'layernormForward: lnParam.eps must be a finite number > 0, got -1',
    );
    expectThrow(
      () => layernormForward(x, g, b, null as never),
      ValueError,
      'layernormForward: lnParam must be an object { eps? }, got null',
    );
    expectThrow(
      () => layernormForward(zeros([6], 'float64'), g, b),
      ShapeError,
      'layernormForward: x has shape [6], expected [N, D]',
    );
  });
});

describe('layernormBackward', () => {
  it('matches the numerical gradient in float64', () => {
    const x = normal([4, 5], 31, 'float64', 5, 4);
    const gamma = normal([5], 32);
    const beta = normal([5], 33);
    const dout = normal([4, 5], 34);
    const { cache } = layernormForward(x, gamma, beta, {});
    const { dx, dgamma, dbeta } = layernormBackward(dout, cache);
    const dxNum = evalNumericalGradientArray((v) => layernormForward(v, gamma, beta).out, x, dout);
    const dgNum = evalNumericalGradientArray((v) => layernormForward(x, v, beta).out, gamma, dout);
    const dbNum = evalNumericalGradientArray((v) => layernormForward(x, gamma, v).out, beta, dout);
    expect(relError(dx, dxNum)).toBeLessThan(1e-7);
    expect(relError(dgamma, dgNum)).toBeLessThan(1e-6);
    expect(relError(dbeta, dbNum)).toBeLessThan(1e-7);
  });

  it('does not mutate its cache or dout', () => {
    const x = normal([3, 4], 1);
    const dout = normal([3, 4], 2);
    const { cache } = layernormForward(x, normal([4], 3), normal([4], 4));
    const state = () => [
      snapshot(cache.x),
      snapshot(cache.gamma),
      snapshot(cache.beta),
      snapshot(cache.xhat),
      Array.from(cache.invStd),
      snapshot(dout),
    ];
    const saved = state();
    layernormBackward(dout, cache);
    expect(state()).toEqual(saved);
  });

  it('works in float32', () => {
    const x = normal([3, 4], 1, 'float32', 1, 2);
    const dout = normal([3, 4], 2, 'float32');
    const { cache } = layernormForward(x, ones([4], 'float32'), zeros([4], 'float32'));
    const got = layernormBackward(dout, cache);
    expect([got.dx.dtype, got.dgamma.dtype, got.dbeta.dtype]).toEqual(['float32', 'float32', 'float32']);
    const ref = layernormBackward(
      dout.astype('float64'),
      layernormForward(x.astype('float64'), ones([4], 'float64'), zeros([4], 'float64')).cache,
    );
    for (let i = 0; i < ref.dx.size; i++) expect(got.dx.data[i]).toBeCloseTo(ref.dx.data[i], 5);
  });

  it('rejects a dout that does not match the forward output', () => {
    const { cache } = layernormForward(zeros([2, 3], 'float64'), ones([3], 'float64'), zeros([3], 'float64'));
    expectThrow(
      () => layernormBackward(zeros([3, 2], 'float64'), cache),
      ShapeError,
      'layernormBackward: dout has shape [3,2], expected [2, 3] to match the forward output [2, 3]',
    );
    expectThrow(
      () => layernormBackward(zeros([2, 3], 'float64'), 'cache' as never),
      ValueError,
      "layernormBackward: cache must be the cache layernormForward returned, got 'cache'",
    );
    // a batchnorm cache has per-feature, not per-row, statistics
    const bn = batchnormForward(zeros([2, 3], 'float64'), ones([3], 'float64'), zeros([3], 'float64'), {
      mode: 'train',
    });
    expectThrow(
      () => layernormBackward(zeros([2, 3], 'float64'), bn.cache as never),
      ValueError,
      'layernormBackward: cache must be the cache layernormForward returned (its statistics do not match cache.x)',
    );
  });
});
