import { rmsprop } from '@backprop/optim';
import { DTypeError, ShapeError, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError, grid, relError } from './helpers';

describe('rmsprop', () => {
  it("matches the CS231n notebook's check (values from numpy)", () => {
    const cache = grid(0.6, 0.9);
    const { nextW, config } = rmsprop(grid(-0.4, 0.6), grid(-0.6, 0.4), { learningRate: 1e-2, cache });
    // python3/numpy: cache = 0.99 * cache + 0.01 * dw**2; next_w = w - 1e-2 * dw / (np.sqrt(cache) + 1e-8)
    const expectedW = [
      -0.3922384948433383, -0.34037513299070765, -0.28849238846687814, -0.23659120821081786,
      -0.18467247195258382, -0.13273699834703015, -0.08078555043091254, -0.02881884049026984,
      0.023162465587694647, 0.07515774441461458, 0.12716641159814304, 0.17918791858913796, 0.2312217498380417,
      0.28326742022505713, 0.33532447273333105, 0.3873924763382963, 0.43947102408970146, 0.4915597313657581,
      0.5436582342813369, 0.5957661882343064,
    ];
    const expectedCache = [
      0.5976, 0.6126277008310249, 0.6277108033240998, 0.6428493074792244, 0.6580432132963988,
      0.6732925207756232, 0.6885972299168975, 0.7039573407202216, 0.7193728531855956, 0.7348437673130194,
      0.7503700831024931, 0.7659518005540166, 0.78158891966759, 0.7972814404432133, 0.8130293628808865,
      0.8288326869806094, 0.8446914127423822, 0.8606055401662049, 0.8765750692520776, 0.8926000000000001,
    ];
    expect(relError(nextW.data, expectedW)).toBeLessThan(1e-14);
    expect(relError(config.cache.data, expectedCache)).toBeLessThan(1e-14);
    expect(config.decayRate).toBe(0.99);
    expect(config.epsilon).toBe(1e-8);
  });

  it('first step from a zero cache, by hand', () => {
    // cache = 0.75·0 + 0.25·2² = 1; w = 1 − 0.1·2/(√1 + 0) ≈ 0.8 (epsilon 1e-12 is negligible here)
    const { nextW, config } = rmsprop(tensor([1], { dtype: 'float64' }), tensor([2], { dtype: 'float64' }), {
      learningRate: 0.1,
      decayRate: 0.75,
      epsilon: 1e-12,
    });
    expect(config.cache.item()).toBe(1);
    expect(nextW.item()).toBeCloseTo(0.8, 11);
  });

  it('leaves the cache passed in untouched', () => {
    const cache = grid(0.6, 0.9);
    const before = Array.from(cache.data);
    rmsprop(grid(-0.4, 0.6), grid(-0.6, 0.4), { cache });
    expect(Array.from(cache.data)).toEqual(before);
  });

  it('float32 agrees with float64 to float32 precision', () => {
    const r64 = rmsprop(grid(-0.4, 0.6), grid(-0.6, 0.4), { cache: grid(0.6, 0.9) });
    const r32 = rmsprop(grid(-0.4, 0.6, 'float32'), grid(-0.6, 0.4, 'float32'), {
      cache: grid(0.6, 0.9, 'float32'),
    });
    expect(relError(r32.nextW.data, r64.nextW.data)).toBeLessThan(1e-6);
    expect(relError(r32.config.cache.data, r64.config.cache.data)).toBeLessThan(1e-6);
  });

  it('rejects bad hyperparameters and state', () => {
    const w = zeros([2]);
    expectError(
      () => rmsprop(w, w, { decayRate: 1 }),
      new ValueError('rmsprop', 'config.decayRate', 'must be a finite number in [0, 1), got 1'),
    );
    expectError(
      () => rmsprop(w, w, { epsilon: 0 }),
      new ValueError('rmsprop', 'config.epsilon', 'must be a finite number > 0, got 0'),
    );
    expectError(
      () => rmsprop(w, w, { cache: zeros([3]) }),
      new ShapeError('rmsprop', 'config.cache', 'has shape [3], expected [2] to match w'),
    );
    expectError(
      () => rmsprop(w, w, { cache: zeros([2], 'float64') }),
      new DTypeError('rmsprop', 'config.cache', 'has dtype float64, expected float32 to match w'),
    );
  });
});
