import { sgdMomentum } from '@backprop/optim';
import { DTypeError, ShapeError, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError, grid, relError } from './helpers';

describe('sgdMomentum', () => {
  it("matches the CS231n notebook's check (values from numpy)", () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const velocity = grid(0.6, 0.9);
    const { nextW, config } = sgdMomentum(w, dw, { learningRate: 1e-3, velocity });
    // python3/numpy: v = 0.9 * v - 1e-3 * dw; next_w = w + v
    const expectedW = [
      0.14060000000000006, 0.2073894736842105, 0.27417894736842097, 0.34096842105263164, 0.407757894736842,
      0.47454736842105266, 0.5413368421052631, 0.6081263157894736, 0.6749157894736842, 0.7417052631578946,
      0.8084947368421053, 0.8752842105263158, 0.9420736842105263, 1.0088631578947367, 1.0756526315789472,
      1.142442105263158, 1.2092315789473682, 1.276021052631579, 1.3428105263157895, 1.4096000000000002,
    ];
    const expectedV = [
      0.5406000000000001, 0.5547578947368421, 0.5689157894736842, 0.5830736842105264, 0.5972315789473683,
      0.6113894736842106, 0.6255473684210526, 0.6397052631578948, 0.6538631578947369, 0.6680210526315788,
      0.6821789473684211, 0.6963368421052631, 0.7104947368421053, 0.7246526315789474, 0.7388105263157895,
      0.7529684210526316, 0.7671263157894737, 0.7812842105263159, 0.795442105263158, 0.8096000000000001,
    ];
    expect(relError(nextW.data, expectedW)).toBeLessThan(1e-14);
    expect(relError(config.velocity.data, expectedV)).toBeLessThan(1e-14);
    expect(config.momentum).toBe(0.9);
    expect(config.learningRate).toBe(1e-3);
  });

  it('starts from zero velocity: two steps by hand', () => {
    // v1 = −0.1·1 = −0.1, w1 = 0.9; v2 = 0.5·(−0.1) − 0.1·1 = −0.15, w2 = 0.75
    const dw = tensor([1], { dtype: 'float64' });
    const first = sgdMomentum(tensor([1], { dtype: 'float64' }), dw, { learningRate: 0.1, momentum: 0.5 });
    expect(first.nextW.item()).toBeCloseTo(0.9, 15);
    expect(first.config.velocity.item()).toBeCloseTo(-0.1, 15);
    const second = sgdMomentum(first.nextW, dw, first.config);
    expect(second.nextW.item()).toBeCloseTo(0.75, 15);
    expect(second.config.velocity.item()).toBeCloseTo(-0.15, 15);
  });

  it('leaves the velocity passed in untouched, so an old config stays a valid snapshot', () => {
    const velocity = grid(0.6, 0.9);
    const before = Array.from(velocity.data);
    const config = { velocity };
    const a = sgdMomentum(grid(-0.4, 0.6), grid(-0.6, 0.4), config);
    expect(Array.from(velocity.data)).toEqual(before);
    expect(config.velocity).toBe(velocity);
    const b = sgdMomentum(grid(-0.4, 0.6), grid(-0.6, 0.4), config);
    expect(Array.from(b.nextW.data)).toEqual(Array.from(a.nextW.data));
  });

  it('float32 agrees with float64 to float32 precision', () => {
    const r64 = sgdMomentum(grid(-0.4, 0.6), grid(-0.6, 0.4), { velocity: grid(0.6, 0.9) });
    const r32 = sgdMomentum(grid(-0.4, 0.6, 'float32'), grid(-0.6, 0.4, 'float32'), {
      velocity: grid(0.6, 0.9, 'float32'),
    });
    expect(r32.nextW.dtype).toBe('float32');
    expect(r32.config.velocity.dtype).toBe('float32');
    expect(relError(r32.nextW.data, r64.nextW.data)).toBeLessThan(1e-6);
  });

  it('rejects bad hyperparameters and state', () => {
    const w = zeros([2, 3]);
    expectError(
      () => sgdMomentum(w, w, { momentum: 1 }),
      new ValueError('sgdMomentum', 'config.momentum', 'must be a finite number in [0, 1), got 1'),
    );
    expectError(
      () => sgdMomentum(w, w, { momentum: -0.1 }),
      new ValueError('sgdMomentum', 'config.momentum', 'must be a finite number in [0, 1), got -0.1'),
    );
    expectError(
      () => sgdMomentum(w, w, { velocity: zeros([3]) }),
      new ShapeError('sgdMomentum', 'config.velocity', 'has shape [3], expected [2, 3] to match w'),
    );
    expectError(
      () => sgdMomentum(w, w, { velocity: zeros([2, 3], 'float64') }),
      new DTypeError('sgdMomentum', 'config.velocity', 'has dtype float64, expected float32 to match w'),
    );
  });
});
