import { adam } from '@backprop/optim';
import { DTypeError, ShapeError, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError, grid, relError } from './helpers';

describe('adam', () => {
  it("matches the CS231n notebook's check, t = 5 → 6 (values from numpy)", () => {
    const m = grid(0.6, 0.9);
    const v = grid(0.7, 0.5);
    const { nextW, config } = adam(grid(-0.4, 0.6), grid(-0.6, 0.4), { learningRate: 1e-2, m, v, t: 5 });
    // python3/numpy: t = 6; m = 0.9m + 0.1dw; v = 0.999v + 0.001dw²;
    //   next_w = w - 1e-2 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    const expectedW = [
      -0.40094747166840083, -0.3483618689667189, -0.2957770321333014, -0.24319298836973444,
      -0.19060976631902593, -0.13802739616704435, -0.08544590975289204, -0.032865340689163525,
      0.019714275506843335, 0.07229290126975907, 0.12487049682925762, 0.17744702003811577, 0.2300224261834716,
      0.2825966677792994, 0.33516969433784094, 0.3877414521174136, 0.4403118838436444, 0.49288092840074144,
      0.5454485204889067, 0.5980145902433942,
    ];
    const expectedM = [
      0.48000000000000004, 0.49947368421052635, 0.5189473684210526, 0.538421052631579, 0.5578947368421052,
      0.5773684210526316, 0.596842105263158, 0.6163157894736842, 0.6357894736842106, 0.6552631578947368,
      0.6747368421052632, 0.6942105263157895, 0.7136842105263158, 0.7331578947368421, 0.7526315789473684,
      0.7721052631578947, 0.791578947368421, 0.8110526315789475, 0.8305263157894738, 0.8500000000000001,
    ];
    const expectedV = [
      0.69966, 0.6890838227146813, 0.678513185595568, 0.6679480886426593, 0.6573885318559557,
      0.6468345152354571, 0.6362860387811634, 0.6257431024930747, 0.615205706371191, 0.6046738504155125,
      0.5941475346260386, 0.5836267590027702, 0.5731115235457064, 0.5626018282548476, 0.5520976731301939,
      0.5415990581717451, 0.5311059833795013, 0.5206184487534625, 0.5101364542936287, 0.49966,
    ];
    expect(relError(nextW.data, expectedW)).toBeLessThan(1e-14);
    expect(relError(config.m.data, expectedM)).toBeLessThan(1e-14);
    expect(relError(config.v.data, expectedV)).toBeLessThan(1e-14);
    expect(config.t).toBe(6);
  });

  it('increments t before the bias correction: the first step from t = 0 moves each weight by ≈ learningRate', () => {
    // t = 1: m̂ = dw, v̂ = dw², so the step is lr·dw/(|dw| + ε) = lr·sign(dw) up to ε. With t incremented
    // after the correction it would divide by 1 − β⁰ = 0 instead.
    const w = tensor([1, 1, 1], { dtype: 'float64' });
    const dw = tensor([3, -0.5, 1e-3], { dtype: 'float64' });
    const { nextW, config } = adam(w, dw, { learningRate: 0.1, epsilon: 1e-12 });
    expect(config.t).toBe(1);
    expect(nextW.data[0]).toBeCloseTo(0.9, 10);
    expect(nextW.data[1]).toBeCloseTo(1.1, 10);
    expect(nextW.data[2]).toBeCloseTo(0.9, 8);
  });

  it('defaults: learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8, zero moments', () => {
    const w = zeros([2, 2], 'float64');
    const { config } = adam(w, w);
    expect(config.learningRate).toBe(1e-3);
    expect(config.beta1).toBe(0.9);
    expect(config.beta2).toBe(0.999);
    expect(config.epsilon).toBe(1e-8);
    expect(config.t).toBe(1);
    expect(Array.from(config.m.data)).toEqual([0, 0, 0, 0]);
  });

  it('state round trip: k steps feeding the config back equal a hand-rolled loop over the formulas', () => {
    const dws = [0.5, -1, 2, 0.25, -0.75];
    let w = tensor([0.3], { dtype: 'float64' });
    let config = {};
    for (const g of dws) ({ nextW: w, config } = adam(w, tensor([g], { dtype: 'float64' }), config));
    let x = 0.3;
    let m = 0;
    let v = 0;
    dws.forEach((g, i) => {
      const t = i + 1;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= (1e-3 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
    });
    expect(Math.abs(w.item() - x)).toBeLessThan(1e-15);
    expect((config as { t: number }).t).toBe(5);
  });

  it('mutates neither its inputs nor the moments passed in; an old config replays the same step', () => {
    const m = grid(0.6, 0.9);
    const v = grid(0.7, 0.5);
    const config = { m, v, t: 5 };
    const a = adam(grid(-0.4, 0.6), grid(-0.6, 0.4), config);
    expect(config.t).toBe(5);
    expect(Array.from(m.data)).toEqual(Array.from(grid(0.6, 0.9).data));
    expect(Array.from(v.data)).toEqual(Array.from(grid(0.7, 0.5).data));
    const b = adam(grid(-0.4, 0.6), grid(-0.6, 0.4), config);
    expect(Array.from(b.nextW.data)).toEqual(Array.from(a.nextW.data));
  });

  it('float32 agrees with float64 to float32 precision', () => {
    const r64 = adam(grid(-0.4, 0.6), grid(-0.6, 0.4), { m: grid(0.6, 0.9), v: grid(0.7, 0.5), t: 5 });
    const r32 = adam(grid(-0.4, 0.6, 'float32'), grid(-0.6, 0.4, 'float32'), {
      m: grid(0.6, 0.9, 'float32'),
      v: grid(0.7, 0.5, 'float32'),
      t: 5,
    });
    expect(r32.config.m.dtype).toBe('float32');
    expect(relError(r32.nextW.data, r64.nextW.data)).toBeLessThan(1e-6);
  });

  it('rejects bad hyperparameters and state', () => {
    const w = zeros([2]);
    expectError(
      () => adam(w, w, { beta1: 1 }),
      new ValueError('adam', 'config.beta1', 'must be a finite number in [0, 1), got 1'),
    );
    expectError(
      () => adam(w, w, { beta2: -1 }),
      new ValueError('adam', 'config.beta2', 'must be a finite number in [0, 1), got -1'),
    );
    expectError(
      () => adam(w, w, { t: 1.5 }),
      new ValueError('adam', 'config.t', 'must be an integer >= 0, got 1.5'),
    );
    expectError(
      () => adam(w, w, { t: -1 }),
      new ValueError('adam', 'config.t', 'must be an integer >= 0, got -1'),
    );
    expectError(
      () => adam(w, w, { m: zeros([1]) }),
      new ShapeError('adam', 'config.m', 'has shape [1], expected [2] to match w'),
    );
    expectError(
      () => adam(w, w, { v: zeros([2], 'float64') }),
      new DTypeError('adam', 'config.v', 'has dtype float64, expected float32 to match w'),
    );
  });
});
