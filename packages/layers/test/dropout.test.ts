import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import { DTypeError, Rng, ShapeError, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { type DropoutParam, dropoutBackward, dropoutForward } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

describe('dropoutForward', () => {
  it('keeps a fraction ~p of the units and preserves the mean (inverted dropout)', () => {
    // The notebook's check: x = 10 + randn(500, 500).
    const x = normal([500, 500], 42, 'float32', 10, 1);
    let meanX = 0;
    for (let i = 0; i < x.size; i++) meanX += x.data[i] / x.size;
    for (const p of [0.25, 0.4, 0.7]) {
      const { out } = dropoutForward(x, { p, mode: 'train', seed: 123 });
      let kept = 0;
      let meanOut = 0;
      for (let i = 0; i < out.size; i++) {
        if (out.data[i] !== 0) kept++;
        meanOut += out.data[i] / out.size;
      }
      // 250 000 Bernoulli draws: the kept fraction has std ≤ 0.001, the mean ≤ 0.3%.
      expect(Math.abs(kept / x.size - p)).toBeLessThan(0.005);
      expect(Math.abs(meanOut / meanX - 1)).toBeLessThan(0.02);
    }
  });

  it('scales kept units by 1/p and zeroes the rest', () => {
    const x = normal([20, 30], 1);
    const { out, cache } = dropoutForward(x, { p: 0.3, mode: 'train', seed: 5 });
    for (let i = 0; i < x.size; i++) {
      const m = cache.mask!.data[i];
      expect(m === 0 || m === 1 / 0.3).toBe(true);
      expect(out.data[i]).toBe(m === 0 ? 0 : x.data[i] * (1 / 0.3));
    }
  });

  it('draws the same mask for the same seed on every call, another for another seed', () => {
    const x = normal([10, 10], 2);
    const a = dropoutForward(x, { p: 0.5, mode: 'train', seed: 7 }).out;
    const b = dropoutForward(x, { p: 0.5, mode: 'train', seed: 7 }).out;
    const c = dropoutForward(x, { p: 0.5, mode: 'train', seed: 8 }).out;
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
  });

  it('advances a given rng (new masks each call); a seed takes precedence and leaves the rng untouched', () => {
    const x = normal([10, 10], 2);
    const rng = new Rng(1);
    const first = dropoutForward(x, { p: 0.5, mode: 'train', rng }).out;
    const second = dropoutForward(x, { p: 0.5, mode: 'train', rng }).out;
    expect(Array.from(second.data)).not.toEqual(Array.from(first.data));
    // Replaying the generator reproduces the sequence.
    const replay = dropoutForward(x, { p: 0.5, mode: 'train', rng: new Rng(1) }).out;
    expect(Array.from(replay.data)).toEqual(Array.from(first.data));

    const state = rng.getState();
    const seeded = dropoutForward(x, { p: 0.5, mode: 'train', seed: 9, rng }).out;
    expect(rng.getState()).toEqual(state);
    expect(Array.from(seeded.data)).toEqual(
      Array.from(dropoutForward(x, { p: 0.5, mode: 'train', seed: 9 }).out.data),
    );
  });

  it('keeps every unit when p = 1', () => {
    const x = normal([4, 5], 3);
    const { out } = dropoutForward(x, { p: 1, mode: 'train', seed: 0 });
    expect(Array.from(out.data)).toEqual(Array.from(x.data));
  });

  it('returns x itself in test mode', () => {
    const x = normal([4, 5], 3);
    const { out, cache } = dropoutForward(x, { p: 0.25, mode: 'test' });
    expect(out).toBe(x);
    expect(cache.mask).toBeNull();
  });

  it('works in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const { out, cache } = dropoutForward(normal([3, 4], 1, dtype), { p: 0.6, mode: 'train', seed: 1 });
      expect(out.dtype).toBe(dtype);
      expect(cache.mask!.dtype).toBe(dtype);
    }
  });

  it('rejects bad parameters, naming them', () => {
    const x = zeros([2, 2]);
    expectThrow(
      () => dropoutForward(x, { p: 0, mode: 'train', seed: 1 }),
      ValueError,
      'dropoutForward: dropoutParam.p must be a finite number in (0, 1], got 0',
    );
    expectThrow(
      () => dropoutForward(x, { p: 1.5, mode: 'train', seed: 1 }),
      ValueError,
      'dropoutForward: dropoutParam.p must be a finite number in (0, 1], got 1.5',
    );
    expectThrow(
      () => dropoutForward(x, { p: 0.5, mode: 'predict' as never }),
      ValueError,
      "dropoutForward: dropoutParam.mode must be one of 'train', 'test', got 'predict'",
    );
    expectThrow(
      () => dropoutForward(x, { p: 0.5, mode: 'train', seed: 1.5 }),
      ValueError,
      'dropoutForward: dropoutParam.seed must be an integer, got 1.5',
    );
    expectThrow(
      () => dropoutForward(x, { p: 0.5, mode: 'train', rng: {} as never }),
      ValueError,
      'dropoutForward: dropoutParam.rng must be an Rng, got object',
    );
    expectThrow(
      () => dropoutForward(x, { p: 0.5, mode: 'train' }),
      ValueError,
      'dropoutForward: dropoutParam needs a seed or an rng in train mode (backprop has no global random state)',
    );
    expectThrow(
      () => dropoutForward(x, 0.5 as never),
      ValueError,
      'dropoutForward: dropoutParam must be an object { p, mode, seed?, rng? }, got 0.5',
    );
  });
});

describe('dropoutBackward', () => {
  it('matches the numerical gradient in float64 (fixed seed, so a fixed mask)', () => {
    const x = normal([10, 10], 123, 'float64', 10, 1);
    const dout = normal([10, 10], 124);
    const param: DropoutParam = { p: 0.2, mode: 'train', seed: 123 };
    const { cache } = dropoutForward(x, param);
    const { dx } = dropoutBackward(dout, cache);
    const dxNum = evalNumericalGradientArray((v) => dropoutForward(v, param).out, x, dout);
    expect(relError(dx, dxNum)).toBeLessThan(1e-7);
  });

  it('uses the same mask as the forward pass', () => {
    const x = normal([30, 30], 4);
    const dout = normal([30, 30], 5);
    const { out, cache } = dropoutForward(x, { p: 0.5, mode: 'train', rng: new Rng(3) });
    const { dx } = dropoutBackward(dout, cache);
    for (let i = 0; i < x.size; i++) {
      if (out.data[i] === 0) expect(Math.abs(dx.data[i])).toBe(0);
      else expect(dx.data[i]).toBe(dout.data[i] * 2);
    }
  });

  it('passes dout through (as a copy) in test mode', () => {
    const dout = normal([3, 3], 1);
    const { cache } = dropoutForward(normal([3, 3], 2), { p: 0.5, mode: 'test' });
    const { dx } = dropoutBackward(dout, cache);
    expect(dx).not.toBe(dout);
    expect(Array.from(dx.data)).toEqual(Array.from(dout.data));
  });

  it('does not mutate its cache or dout', () => {
    const dout = normal([5, 6], 1);
    const { cache } = dropoutForward(normal([5, 6], 2), { p: 0.5, mode: 'train', seed: 1 });
    const saved = [snapshot(cache.mask!), snapshot(dout)];
    dropoutBackward(dout, cache);
    expect([snapshot(cache.mask!), snapshot(dout)]).toEqual(saved);
  });

  it('rejects a dout that does not match the forward input', () => {
    const { cache } = dropoutForward(zeros([2, 3], 'float64'), { p: 0.5, mode: 'train', seed: 1 });
    expectThrow(
      () => dropoutBackward(zeros([3, 2], 'float64'), cache),
      ShapeError,
      'dropoutBackward: dout has shape [3,2], expected [2, 3] to match the forward input',
    );
    expectThrow(
      () => dropoutBackward(zeros([2, 3], 'float32'), cache),
      DTypeError,
      'dropoutBackward: dout has dtype float32, expected float64 to match cache.mask',
    );
    expectThrow(
      () => dropoutBackward(zeros([2, 3], 'float64'), {} as never),
      ValueError,
      'dropoutBackward: cache must be the cache dropoutForward returned, got object',
    );
  });
});
