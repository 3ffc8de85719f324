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
import { describe, expect, it } from 'vitest';
import { layernormForward, spatialGroupnormBackward, spatialGroupnormForward } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

/** gamma/beta in the keepdims shape [1, C, 1, 1]. */
function perChannel(values: number[]): Tensor {
  return tensor(values, { dtype: 'float64' }).reshape([1, values.length, 1, 1]);
}

describe('spatialGroupnormForward', () => {
  it('normalizes each (sample, group) block (linspace values by hand)', () => {
    // numpy 2: x = np.linspace(-1, 2, 8).reshape(1, 4, 1, 2), G = 2; xg = x.reshape(1, 2, -1);
    // xhat = ((xg − xg.mean(2)) / sqrt(xg.var(2) + 1e-5)).reshape(x.shape); out = gamma·xhat + beta
    const x = linspace(-1, 2, 8, 'float64').reshape([1, 4, 1, 2]);
    const { out } = spatialGroupnormForward(
      x,
      perChannel([1, 2, 3, 4]),
      perChannel([0, 0.1, 0.2, 0.3]),
      2,
      {},
    );
    const expected = tensor(
      [
        -1.3416115694993864, -0.4472038564997953, 0.9944077129995911, 2.783223138998773, -3.824834708498158,
        -1.1416115694993858, 2.088815425999181, 5.666446277997546,
      ],
      { dtype: 'float64' },
    ).reshape([1, 4, 1, 2]);
    expect(relError(out, expected)).toBeLessThan(1e-13);
  });

  it('with G = 1 equals layernorm over each sample’s C·H·W values', () => {
    const x = normal([3, 4, 2, 3], 1, 'float64', 2, 3);
    const gamma = normal([1, 4, 1, 1], 2);
    const beta = normal([1, 4, 1, 1], 3);
    // Broadcast gamma/beta to one value per (c, h, w) feature for layernorm's [D] parameters.
    const D = 4 * 2 * 3;
    const gFlat = zeros([D], 'float64');
    const bFlat = zeros([D], 'float64');
    for (let i = 0; i < D; i++) {
      gFlat.data[i] = gamma.data[Math.floor(i / 6)];
      bFlat.data[i] = beta.data[Math.floor(i / 6)];
    }
    const gn = spatialGroupnormForward(x, gamma, beta, 1, { eps: 1e-5 }).out;
    const ln = layernormForward(x.reshape([3, D]), gFlat, bFlat, { eps: 1e-5 }).out;
    expect(relError(gn.reshape([3, D]), ln)).toBeLessThan(1e-12);
  });

  it('gives each group mean 0 and std 1 with gamma = 1 and beta = 0, for every G dividing C', () => {
    const x = normal([2, 6, 3, 3], 4, 'float64', 3, 5);
    for (const G of [1, 2, 3, 6]) {
      const { out } = spatialGroupnormForward(
        x,
        ones([1, 6, 1, 1], 'float64'),
        zeros([1, 6, 1, 1], 'float64'),
        G,
      );
      const D = (6 / G) * 9;
      for (let block = 0; block < 2 * G; block++) {
        let mean = 0;
        for (let i = 0; i < D; i++) mean += out.data[block * D + i] / D;
        let variance = 0;
        for (let i = 0; i < D; i++) variance += (out.data[block * D + i] - mean) ** 2 / D;
        expect(Math.abs(mean)).toBeLessThan(1e-12);
        expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(1e-5);
      }
    }
  });

  it('works in float32', () => {
    const x = normal([2, 4, 3, 3], 5, 'float32');
    const { out, cache } = spatialGroupnormForward(
      x,
      normal([1, 4, 1, 1], 6, 'float32'),
      normal([1, 4, 1, 1], 7, 'float32'),
      2,
    );
    expect(out.dtype).toBe('float32');
    const g = spatialGroupnormBackward(normal([2, 4, 3, 3], 8, 'float32'), cache);
    expect([g.dx.dtype, g.dgamma.dtype, g.dbeta.dtype]).toEqual(['float32', 'float32', 'float32']);
    const ref = spatialGroupnormForward(
      x.astype('float64'),
      normal([1, 4, 1, 1], 6),
      normal([1, 4, 1, 1], 7),
      2,
    ).out;
    expect(relError(out.astype('float64'), ref)).toBeLessThan(1e-4);
  });

  it('rejects a G that does not divide C, bad shapes and gnParam, naming the argument', () => {
    const x = normal([2, 6, 2, 2], 1);
    const g6 = normal([1, 6, 1, 1], 2);
    const fn = 'spatialGroupnormForward';
    expectThrow(
      () => spatialGroupnormForward(x, g6, g6, 4),
      ValueError,
      `${fn}: G is 4, expected a divisor of x's 6 channels (each group holds C/G whole channels)`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, g6, g6, 0),
      ValueError,
      `${fn}: G must be an integer >= 1, got 0`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, g6, g6, 1.5),
      ValueError,
      `${fn}: G must be an integer >= 1, got 1.5`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, normal([6], 2), g6, 2),
      ShapeError,
      `${fn}: gamma has shape [6], expected [1, 6, 1, 1] to match x's 6 channels`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, g6, normal([1, 3, 1, 1], 2), 2),
      ShapeError,
      `${fn}: beta has shape [1,3,1,1], expected [1, 6, 1, 1] to match x's 6 channels`,
    );
    expectThrow(
      () => spatialGroupnormForward(normal([6, 4], 1), g6, g6, 2),
      ShapeError,
      `${fn}: x has shape [6,4], expected [N, C, H, W] (4 dimensions)`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, normal([1, 6, 1, 1], 2, 'float32'), g6, 2),
      DTypeError,
      `${fn}: gamma has dtype float32, expected float64 to match x`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, g6, g6, 2, { eps: -1 }),
      ValueError,
      `${fn}: gnParam.eps must be a finite number > 0, got -1`,
    );
    expectThrow(
      () => spatialGroupnormForward(x, g6, g6, 2, null as never),
      ValueError,
      `${fn}: gnParam must be an object { eps? }, got null`,
    );
  });
});

describe('spatialGroupnormBackward', () => {
  it('matches the numerical gradient in float64 (dx, dgamma, dbeta), dgamma and dbeta shaped [1, C, 1, 1]', () => {
    // The notebook's shapes: N, C, H, W = 2, 6, 4, 5 and G = 2. Its x = 5·randn + 12 makes dx ~1e-3, where
    // the centered difference's rounding noise (~1e-10 here) alone reaches 1e-7 relative; unit-scale x keeps
    // the check about the backward pass, not the noise floor.
    const x = normal([2, 6, 4, 5], 1, 'float64', 1, 1);
    const gamma = normal([1, 6, 1, 1], 2);
    const beta = normal([1, 6, 1, 1], 3);
    const dout = normal([2, 6, 4, 5], 4);
    const f = (xx: Tensor, gg: Tensor, bb: Tensor) => spatialGroupnormForward(xx, gg, bb, 2, {}).out;
    const { cache } = spatialGroupnormForward(x, gamma, beta, 2, {});
    const { dx, dgamma, dbeta } = spatialGroupnormBackward(dout, cache);
    expect(dgamma.shape).toEqual([1, 6, 1, 1]);
    expect(dbeta.shape).toEqual([1, 6, 1, 1]);
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

  it('matches the numerical gradient for G = C (instance norm) and G = 1', () => {
    for (const G of [1, 3]) {
      const x = normal([2, 3, 3, 2], 10 + G, 'float64', 1, 2);
      const gamma = normal([1, 3, 1, 1], 20 + G);
      const beta = normal([1, 3, 1, 1], 30 + G);
      const dout = normal([2, 3, 3, 2], 40 + G);
      const { cache } = spatialGroupnormForward(x, gamma, beta, G);
      const { dx } = spatialGroupnormBackward(dout, cache);
      expect(
        relError(
          dx,
          evalNumericalGradientArray((xx) => spatialGroupnormForward(xx, gamma, beta, G).out, x, dout),
        ),
      ).toBeLessThan(1e-7);
    }
  });

  it('does not mutate its cache or dout', () => {
    const { cache } = spatialGroupnormForward(
      normal([2, 4, 2, 2], 1),
      normal([1, 4, 1, 1], 2),
      normal([1, 4, 1, 1], 3),
      2,
    );
    const dout = normal([2, 4, 2, 2], 4);
    const before = [cache.x, cache.gamma, cache.beta, dout].map(snapshot);
    const stats = [cache.mean, cache.invStd].map((a) => Array.from(a));
    const first = spatialGroupnormBackward(dout, cache);
    expect([cache.x, cache.gamma, cache.beta, dout].map(snapshot)).toEqual(before);
    expect([cache.mean, cache.invStd].map((a) => Array.from(a))).toEqual(stats);
    expect(snapshot(spatialGroupnormBackward(dout, cache).dx)).toEqual(snapshot(first.dx));
  });

  it('rejects a dout that does not match x, and a bad cache', () => {
    const { cache } = spatialGroupnormForward(
      normal([2, 4, 2, 2], 1),
      normal([1, 4, 1, 1], 2),
      normal([1, 4, 1, 1], 3),
      2,
    );
    const fn = 'spatialGroupnormBackward';
    expectThrow(
      () => spatialGroupnormBackward(normal([2, 4, 2], 4), cache),
      ShapeError,
      `${fn}: dout has shape [2,4,2], expected [2, 4, 2, 2] to match the forward pass's x [N, C, H, W]`,
    );
    expectThrow(
      () => spatialGroupnormBackward(normal([2, 4, 2, 2], 4, 'float32'), cache),
      DTypeError,
      `${fn}: dout has dtype float32, expected float64 to match x`,
    );
    expectThrow(
      () => spatialGroupnormBackward(normal([2, 4, 2, 2], 4), { x: 1 } as never),
      ValueError,
      `${fn}: cache must be the cache returned by spatialGroupnormForward (kind 'spatialGroupnorm'), got an object with keys x`,
    );
  });
});
