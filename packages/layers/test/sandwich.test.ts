import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import { ones, type Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import {
  affineForward,
  affineNormReluBackward,
  affineNormReluForward,
  affineReluBackward,
  affineReluForward,
  type BatchnormParam,
  batchnormForward,
  convBackward,
  convBnReluBackward,
  convBnReluForward,
  convForward,
  convReluBackward,
  convReluForward,
  convReluPoolBackward,
  convReluPoolForward,
  type LayernormParam,
  layernormForward,
  maxPoolBackward,
  maxPoolForward,
  reluBackward,
  reluForward,
  spatialBatchnormForward,
} from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

const values = (t: Tensor) => Array.from(t.data);

describe('affineReluForward', () => {
  it('equals affineForward then reluForward', () => {
    const x = normal([2, 3, 4], 1);
    const w = normal([12, 10], 2);
    const b = normal([10], 3);
    const { out } = affineReluForward(x, w, b);
    expect(values(out)).toEqual(values(reluForward(affineForward(x, w, b).out).out));
  });
});

describe('affineReluBackward', () => {
  it('matches the numerical gradient in float64', () => {
    const x = normal([2, 3, 4], 1);
    const w = normal([12, 10], 2);
    const b = normal([10], 3);
    const dout = normal([2, 10], 4);
    const { dx, dw, db } = affineReluBackward(dout, affineReluForward(x, w, b).cache);
    expect(
      relError(
        dx,
        evalNumericalGradientArray((v) => affineReluForward(v, w, b).out, x, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        dw,
        evalNumericalGradientArray((v) => affineReluForward(x, v, b).out, w, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        db,
        evalNumericalGradientArray((v) => affineReluForward(x, w, v).out, b, dout),
      ),
    ).toBeLessThan(1e-7);
  });

  it('with computeDx false returns dx null and the same dw and db', () => {
    const { cache } = affineReluForward(normal([6, 2, 3], 1), normal([6, 5], 2), normal([5], 3));
    const dout = normal([6, 5], 4);
    const full = affineReluBackward(dout, cache);
    const skipped = affineReluBackward(dout, cache, { computeDx: false });
    expect(skipped.dx).toBeNull();
    expect(snapshot(skipped.dw)).toEqual(snapshot(full.dw));
    expect(snapshot(skipped.db)).toEqual(snapshot(full.db));
  });

  it('does not mutate dout and rejects a foreign cache', () => {
    const dout = normal([2, 5], 4);
    const saved = snapshot(dout);
    affineReluBackward(dout, affineReluForward(normal([2, 3], 1), normal([3, 5], 2), normal([5], 3)).cache);
    expect(snapshot(dout)).toEqual(saved);
    expectThrow(
      () => affineReluBackward(dout, { affine: {} } as never),
      ValueError,
      "affineReluBackward: cache must be the cache affineReluForward returned (kind 'affineRelu'), got an object with keys affine",
    );
  });
});

describe('affineNormReluForward', () => {
  it('equals affine, then the normalization, then relu', () => {
    const x = normal([6, 4], 1);
    const w = normal([4, 5], 2);
    const b = normal([5], 3);
    const gamma = normal([5], 4);
    const beta = normal([5], 5);
    const a = affineForward(x, w, b).out;
    const bnParam: BatchnormParam = { mode: 'train' };
    const viaSandwich = affineNormReluForward(x, w, b, gamma, beta, bnParam, 'batchnorm').out;
    const reference: BatchnormParam = { mode: 'train' };
    expect(values(viaSandwich)).toEqual(
      values(reluForward(batchnormForward(a, gamma, beta, reference).out).out),
    );
    // the running statistics were written back into the param object passed in
    expect(values(bnParam.runningMean!)).toEqual(values(reference.runningMean!));
    const ln = affineNormReluForward(x, w, b, gamma, beta, {}, 'layernorm').out;
    expect(values(ln)).toEqual(values(reluForward(layernormForward(a, gamma, beta).out).out));
  });

  it('rejects an unknown normalization', () => {
    expectThrow(
      () =>
        affineNormReluForward(
          zeros([2, 2]),
          zeros([2, 2]),
          zeros([2]),
          ones([2]),
          zeros([2]),
          {},
          'groupnorm' as never,
        ),
      ValueError,
      "affineNormReluForward: normalization must be one of 'batchnorm', 'layernorm', got 'groupnorm'",
    );
  });
});

describe('affineNormReluBackward', () => {
  for (const normalization of ['batchnorm', 'layernorm'] as const) {
    it(`matches the numerical gradient in float64 (${normalization})`, () => {
      const x = normal([4, 2, 3], 11);
      const w = normal([6, 5], 12);
      const b = normal([5], 13);
      const gamma = normal([5], 14, 'float64', 1, 0.3);
      const beta = normal([5], 15);
      const dout = normal([4, 5], 16);
      const param = (): BatchnormParam | LayernormParam =>
        normalization === 'batchnorm' ? { mode: 'train' } : {};
      const f = (xx: Tensor, ww: Tensor, bb: Tensor, g: Tensor, be: Tensor) =>
        affineNormReluForward(xx, ww, bb, g, be, param(), normalization).out;
      const grads = affineNormReluBackward(
        dout,
        affineNormReluForward(x, w, b, gamma, beta, param(), normalization).cache,
      );
      expect(
        relError(
          grads.dx,
          evalNumericalGradientArray((v) => f(v, w, b, gamma, beta), x, dout),
        ),
      ).toBeLessThan(1e-7);
      expect(
        relError(
          grads.dw,
          evalNumericalGradientArray((v) => f(x, v, b, gamma, beta), w, dout),
        ),
      ).toBeLessThan(1e-7);
      // b shifts every row equally, which batchnorm removes: its gradient is ~0 and checked absolutely.
      const dbNum = evalNumericalGradientArray((v) => f(x, w, v, gamma, beta), b, dout);
      for (let i = 0; i < 5; i++) expect(grads.db.data[i]).toBeCloseTo(dbNum.data[i], 8);
      expect(
        relError(
          grads.dgamma,
          evalNumericalGradientArray((v) => f(x, w, b, v, beta), gamma, dout),
        ),
      ).toBeLessThan(1e-6);
      expect(
        relError(
          grads.dbeta,
          evalNumericalGradientArray((v) => f(x, w, b, gamma, v), beta, dout),
        ),
      ).toBeLessThan(1e-7);
    });

    it(`with computeDx false returns dx null and the same other gradients (${normalization})`, () => {
      const param = (): BatchnormParam | LayernormParam =>
        normalization === 'batchnorm' ? { mode: 'train' } : {};
      const { cache } = affineNormReluForward(
        normal([6, 4], 1),
        normal([4, 5], 2),
        normal([5], 3),
        normal([5], 4, 'float64', 1, 0.3),
        normal([5], 5),
        param(),
        normalization,
      );
      const dout = normal([6, 5], 6);
      const full = affineNormReluBackward(dout, cache);
      const skipped = affineNormReluBackward(dout, cache, { computeDx: false });
      expect(skipped.dx).toBeNull();
      for (const k of ['dw', 'db', 'dgamma', 'dbeta'] as const) {
        expect(snapshot(skipped[k])).toEqual(snapshot(full[k]));
      }
    });
  }
});

// Small conv geometry: 2 images of 3×8×8, 4 filters of 3×3, stride 1, pad 1, then 2×2 pooling.
function convSetup() {
  return {
    x: normal([2, 3, 8, 8], 41),
    w: normal([4, 3, 3, 3], 42, 'float64', 0, 0.5),
    b: normal([4], 43),
    convParam: { stride: 1, pad: 1 },
    poolParam: { poolHeight: 2, poolWidth: 2, stride: 2 },
  };
}

describe('convReluForward / convReluBackward', () => {
  it('equals convForward then reluForward', () => {
    const { x, w, b, convParam } = convSetup();
    expect(values(convReluForward(x, w, b, convParam).out)).toEqual(
      values(reluForward(convForward(x, w, b, convParam).out).out),
    );
  });

  it('matches the numerical gradient in float64, and skips dx on request', () => {
    const { x, w, b, convParam } = convSetup();
    const dout = normal([2, 4, 8, 8], 44);
    const { cache } = convReluForward(x, w, b, convParam);
    const { dx, dw, db } = convReluBackward(dout, cache);
    expect(
      relError(
        dx,
        evalNumericalGradientArray((v) => convReluForward(v, w, b, convParam).out, x, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        dw,
        evalNumericalGradientArray((v) => convReluForward(x, v, b, convParam).out, w, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        db,
        evalNumericalGradientArray((v) => convReluForward(x, w, v, convParam).out, b, dout),
      ),
    ).toBeLessThan(1e-7);
    const noDx = convReluBackward(dout, cache, { computeDx: false });
    expect(noDx.dx).toBeNull();
    expect(values(noDx.dw)).toEqual(values(dw));
  });
});

describe('convReluPoolForward / convReluPoolBackward', () => {
  // The sandwich pools before the relu (a quarter of the relu work); these pin it to the layer-by-layer chain.
  function layerByLayer(x: Tensor, w: Tensor, b: Tensor, dout: Tensor) {
    const { convParam, poolParam } = convSetup();
    const c = convForward(x, w, b, convParam);
    const r = reluForward(c.out);
    const p = maxPoolForward(r.out, poolParam);
    const dr = maxPoolBackward(dout, p.cache).dx;
    const da = reluBackward(dr, r.cache).dx;
    return { out: p.out, ...convBackward(da, c.cache) };
  }

  it('equals conv → relu → pool layer by layer exactly, forward and backward, in both dtypes', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const { x, w, b, convParam, poolParam } = convSetup();
      const [x2, w2, b2] = [x, w, b].map((t) => t.astype(dtype));
      const dout = normal([2, 4, 4, 4], 46, dtype);
      const ref = layerByLayer(x2, w2, b2, dout);
      const { out, cache } = convReluPoolForward(x2, w2, b2, convParam, poolParam);
      const g = convReluPoolBackward(dout, cache);
      expect(values(out)).toEqual(values(ref.out));
      expect(values(g.dx)).toEqual(values(ref.dx));
      expect(values(g.dw)).toEqual(values(ref.dw));
      expect(values(g.db)).toEqual(values(ref.db));
    }
  });

  it('equals the layer-by-layer chain on tied windows, all-negative windows and zeros', () => {
    // Zero filters: every conv output of filter f equals b[f], so each pooling window is a 4-way tie,
    // positive (b = 1.5), negative (-2) or zero.
    const { x } = convSetup();
    const w = zeros([4, 3, 3, 3], 'float64');
    const b = tensor([1.5, -2, 0, 0.25], { dtype: 'float64' });
    const dout = normal([2, 4, 4, 4], 47);
    const { convParam, poolParam } = convSetup();
    const ref = layerByLayer(x, w, b, dout);
    const { out, cache } = convReluPoolForward(x, w, b, convParam, poolParam);
    const g = convReluPoolBackward(dout, cache);
    expect(values(out)).toEqual(values(ref.out));
    expect(values(g.dx)).toEqual(values(ref.dx));
    expect(values(g.dw)).toEqual(values(ref.dw));
    expect(values(g.db)).toEqual(values(ref.db));
  });

  it('equals convForward, reluForward, then maxPoolForward', () => {
    const { x, w, b, convParam, poolParam } = convSetup();
    const { out } = convReluPoolForward(x, w, b, convParam, poolParam);
    expect(out.shape).toEqual([2, 4, 4, 4]);
    expect(values(out)).toEqual(
      values(maxPoolForward(reluForward(convForward(x, w, b, convParam).out).out, poolParam).out),
    );
  });

  it('matches the numerical gradient in float64, and skips dx on request', () => {
    const { x, w, b, convParam, poolParam } = convSetup();
    const dout = normal([2, 4, 4, 4], 45);
    const f = (xx: Tensor, ww: Tensor, bb: Tensor) =>
      convReluPoolForward(xx, ww, bb, convParam, poolParam).out;
    const { cache } = convReluPoolForward(x, w, b, convParam, poolParam);
    const saved = snapshot(dout);
    const { dx, dw, db } = convReluPoolBackward(dout, cache);
    expect(snapshot(dout)).toEqual(saved);
    expect(
      relError(
        dx,
        evalNumericalGradientArray((v) => f(v, w, b), x, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        dw,
        evalNumericalGradientArray((v) => f(x, v, b), w, dout),
      ),
    ).toBeLessThan(1e-7);
    expect(
      relError(
        db,
        evalNumericalGradientArray((v) => f(x, w, v), b, dout),
      ),
    ).toBeLessThan(1e-7);
    const noDx = convReluPoolBackward(dout, cache, { computeDx: false });
    expect(noDx.dx).toBeNull();
    expect(values(noDx.db)).toEqual(values(db));
  });

  it('rejects a foreign cache', () => {
    expectThrow(
      () => convReluPoolBackward(zeros([1, 1, 1, 1]), null as never),
      ValueError,
      "convReluPoolBackward: cache must be the cache convReluPoolForward returned (kind 'convReluPool'), got null",
    );
  });
});

describe('convBnReluForward / convBnReluBackward', () => {
  it('equals convForward, spatialBatchnormForward, then reluForward', () => {
    const { x, w, b, convParam } = convSetup();
    const gamma = normal([4], 46);
    const beta = normal([4], 47);
    const out = convBnReluForward(x, w, b, gamma, beta, convParam, { mode: 'train' }).out;
    const c = convForward(x, w, b, convParam).out;
    expect(values(out)).toEqual(
      values(reluForward(spatialBatchnormForward(c, gamma, beta, { mode: 'train' }).out).out),
    );
  });

  it('matches the numerical gradient in float64, and skips dx on request', () => {
    const { x, w, b, convParam } = convSetup();
    const gamma = normal([4], 46, 'float64', 1, 0.3);
    const beta = normal([4], 47);
    const dout = normal([2, 4, 8, 8], 48);
    const f = (xx: Tensor, ww: Tensor, bb: Tensor, g: Tensor, be: Tensor) =>
      convBnReluForward(xx, ww, bb, g, be, convParam, { mode: 'train' }).out;
    const { cache } = convBnReluForward(x, w, b, gamma, beta, convParam, { mode: 'train' });
    const grads = convBnReluBackward(dout, cache);
    // h = 1e-4 for dx: dx entries here are ~1e-3 while out sums 512 values of O(1), so h = 1e-5 leaves
    // ~1e-7 of float64 rounding noise; the O(h²) truncation error at 1e-4 is ~1e-9 (measured).
    const dxNum = evalNumericalGradientArray((v) => f(v, w, b, gamma, beta), x, dout, { h: 1e-4 });
    expect(relError(grads.dx, dxNum)).toBeLessThan(1e-7);
    expect(
      relError(
        grads.dw,
        evalNumericalGradientArray((v) => f(x, v, b, gamma, beta), w, dout),
      ),
    ).toBeLessThan(1e-7);
    // the conv bias is removed by the per-channel normalization: its gradient is ~0, checked absolutely
    const dbNum = evalNumericalGradientArray((v) => f(x, w, v, gamma, beta), b, dout);
    for (let i = 0; i < 4; i++) expect(grads.db.data[i]).toBeCloseTo(dbNum.data[i], 7);
    expect(
      relError(
        grads.dgamma,
        evalNumericalGradientArray((v) => f(x, w, b, v, beta), gamma, dout),
      ),
    ).toBeLessThan(1e-6);
    expect(
      relError(
        grads.dbeta,
        evalNumericalGradientArray((v) => f(x, w, b, gamma, v), beta, dout),
      ),
    ).toBeLessThan(1e-7);
    const noDx = convBnReluBackward(dout, cache, { computeDx: false });
    expect(noDx.dx).toBeNull();
    expect(values(noDx.dgamma)).toEqual(values(grads.dgamma));
  });
});

describe('sandwiches in float32', () => {
  it('keep float32 from input to gradients', () => {
    const x = normal([2, 3, 6, 6], 1, 'float32');
    const w = normal([2, 3, 3, 3], 2, 'float32');
    const b = normal([2], 3, 'float32');
    const conv = convReluPoolForward(
      x,
      w,
      b,
      { stride: 1, pad: 1 },
      { poolHeight: 2, poolWidth: 2, stride: 2 },
    );
    const flat = conv.out.reshape([2, -1]);
    const fcW = normal([flat.shape[1], 4], 4, 'float32');
    const fc1 = affineNormReluForward(
      flat,
      fcW,
      normal([4], 5, 'float32'),
      ones([4], 'float32'),
      zeros([4], 'float32'),
      { mode: 'train' },
      'batchnorm',
    );
    expect(fc1.out.dtype).toBe('float32');
    const g1 = affineNormReluBackward(normal([2, 4], 6, 'float32'), fc1.cache);
    const g0 = convReluPoolBackward(g1.dx.reshape(conv.out.shape), conv.cache);
    for (const t of [g1.dx, g1.dw, g1.db, g1.dgamma, g1.dbeta, g0.dx, g0.dw, g0.db])
      expect(t.dtype).toBe('float32');
    expect(g0.dx.shape).toEqual([2, 3, 6, 6]);
  });
});
