// Bad input never crashes and never becomes a silent NaN: every update rule, given non-tensors, mismatched
// shapes or dtypes, a bad config (learning rate <= 0 or NaN, momentum / decayRate / beta1 / beta2 outside
// [0, 1), epsilon <= 0, a fractional or negative t, snake_case keys) or corrupt state (wrong shape or
// dtype, negative or NaN running averages of dw²), throws a BackpropError subclass whose message starts
// with "<rule>: <argument>", and leaves its inputs untouched. Valid but extreme gradients give finite
// steps of the size the math says. `tried` counts the bad inputs (BAD_INPUT_REPORT=1 prints the total).
import {
  adam,
  getUpdateRule,
  type OptimConfig,
  optimizers,
  rmsprop,
  sgdMomentum,
  type UpdateRule,
} from '@backprop/optim';
import {
  BackpropError,
  type DType,
  DTypeError,
  full,
  ShapeError,
  type Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExpectBad } from '../../../scripts/testing/expect-bad.ts';

let tried = 0;
afterAll(() => {
  if (process.env.BAD_INPUT_REPORT) console.log(`[bad-input] @backprop/optim: ${tried} bad inputs tried`);
});

const expectBad = makeExpectBad(BackpropError, () => {
  tried++;
});

const RUNS = { numRuns: 80 };
const RULES = fc.constantFrom(...(Object.entries(optimizers) as [string, UpdateRule][]));
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const other = (d: DType): DType => (d === 'float32' ? 'float64' : 'float32');
const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 });
const notTensor = fc.constantFrom<unknown>(null, undefined, 3, 'w', [1, 2], new Float32Array(2), {});
/** Not a finite number: what a typo or a diverged schedule produces. */
const notFinite = fc.constantFrom<unknown>(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '0.1',
  true,
);
/** Outside [0, 1): the decay rates. */
const outsideUnit = fc.oneof(
  fc.double({ min: 1, max: 10, noNaN: true }),
  fc.double({ min: -10, max: -Number.MIN_VALUE, noNaN: true }),
  notFinite,
);
/** Not > 0: learning rates and epsilons. */
const notPositive = fc.oneof(fc.double({ min: -10, max: 0, noNaN: true }), notFinite);

/** The config keys each rule checks, with the values that break them. */
const HYPER: Record<string, [keyof OptimConfig, fc.Arbitrary<unknown>][]> = {
  sgd: [['learningRate', notPositive]],
  sgdMomentum: [
    ['learningRate', notPositive],
    ['momentum', outsideUnit],
  ],
  rmsprop: [
    ['learningRate', notPositive],
    ['decayRate', outsideUnit],
    ['epsilon', notPositive],
  ],
  adam: [
    ['learningRate', notPositive],
    ['beta1', outsideUnit],
    ['beta2', outsideUnit],
    ['epsilon', notPositive],
    [
      't',
      fc.oneof(fc.integer({ min: -5, max: -1 }), fc.double({ min: 0.1, max: 5, noInteger: true }), notFinite),
    ],
  ],
};
const STATE: Record<string, (keyof OptimConfig)[]> = {
  sgd: [],
  sgdMomentum: ['velocity'],
  rmsprop: ['cache'],
  adam: ['m', 'v'],
};

describe('update rules › bad input', () => {
  it('reject non-tensor w and dw, a dw of another shape and a dw of another dtype', () => {
    fc.assert(
      fc.property(RULES, notTensor, shapeArb, dtypeArb, ([name, rule], bad, shape, dtype) => {
        const w = zeros(shape, dtype);
        expectBad(() => rule(bad as Tensor, w), ValueError, name, 'w');
        expectBad(() => rule(w, bad as Tensor), ValueError, name, 'dw');
        expectBad(() => rule(w, zeros([...shape, 1], dtype)), ShapeError, name, 'dw');
        expectBad(() => rule(w, zeros(shape.slice(1).concat(shape[0] + 1), dtype)), ShapeError, name, 'dw');
        expectBad(() => rule(w, zeros(shape, other(dtype))), DTypeError, name, 'dw');
      }),
      RUNS,
    );
  });

  it('reject a config that is not an object, and keys that are not options (CS231n snake_case)', () => {
    fc.assert(
      fc.property(
        RULES,
        fc.constantFrom<unknown>(null, 3, 'adam', [1], true),
        fc.constantFrom('learning_rate', 'lr', 'beta_1', 'decay_rate', 'Momentum', 'velocity_'),
        ([name, rule], bad, key) => {
          const w = zeros([2]);
          expectBad(() => rule(w, w, bad as OptimConfig), ValueError, name, 'config');
          expectBad(() => rule(w, w, { [key]: 0.1 } as OptimConfig), ValueError, name, `config.${key}`);
        },
      ),
      RUNS,
    );
  });

  it('reject every hyperparameter out of its range, and leave the config untouched', () => {
    const cases = fc.oneof(
      ...Object.entries(HYPER).flatMap(([name, keys]) =>
        keys.map(([key, bad]) => fc.tuple(fc.constant(name), fc.constant(key), bad)),
      ),
    );
    fc.assert(
      fc.property(cases, dtypeArb, ([name, key, bad], dtype) => {
        const rule = optimizers[name as keyof typeof optimizers];
        const w = full([2, 2], 0.5, dtype);
        const config: OptimConfig = { [key]: bad };
        const before = { ...config };
        expectBad(() => rule(w, w, config), ValueError, name, `config.${key}`);
        expect(config).toEqual(before);
        expect(Array.from(w.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
      }),
      { numRuns: 200 },
    );
  });

  it('reject state tensors of the wrong shape, dtype or kind', () => {
    const cases = fc.oneof(
      ...Object.entries(STATE).flatMap(([name, keys]) =>
        keys.map((key) => fc.tuple(fc.constant(name), fc.constant(key))),
      ),
    );
    fc.assert(
      fc.property(cases, shapeArb, dtypeArb, notTensor, ([name, key], shape, dtype, bad) => {
        const rule = optimizers[name as keyof typeof optimizers];
        const w = zeros(shape, dtype);
        const arg = `config.${key}`;
        expectBad(() => rule(w, w, { [key]: zeros([...shape, 2], dtype) }), ShapeError, name, arg);
        expectBad(() => rule(w, w, { [key]: zeros(shape, other(dtype)) }), DTypeError, name, arg);
        if (bad !== undefined)
          expectBad(() => rule(w, w, { [key]: bad } as OptimConfig), ValueError, name, arg);
      }),
      RUNS,
    );
  });

  it('reject a negative or NaN running average of dw² (rmsprop cache, adam v): its square root would be NaN', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[string, UpdateRule, 'cache' | 'v']>(
          ['rmsprop', rmsprop, 'cache'],
          ['adam', adam, 'v'],
        ),
        fc.oneof(fc.double({ min: -1e6, max: -Number.MIN_VALUE, noNaN: true }), fc.constant(Number.NaN)),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(),
        dtypeArb,
        ([name, rule, key], bad, n, at, dtype) => {
          const w = zeros([n], dtype);
          const s = full([n], 0.25, dtype);
          s.data[at % n] = bad;
          if (s.data[at % n] === 0) return; // a float32 underflow to -0 is a valid 0
          const e = expectBad(
            () => rule(w, full([n], 1, dtype), { [key]: s }),
            ValueError,
            name,
            `config.${key}`,
          );
          expect(e.message).toContain(`[${at % n}]`);
        },
      ),
      RUNS,
    );
  });

  it('getUpdateRule rejects unknown names, non-strings and Object.prototype keys', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .string({ maxLength: 8 })
            .filter(
              (s) => !['sgd', 'sgdMomentum', 'rmsprop', 'adam', 'sgd_momentum', 'sgd-momentum'].includes(s),
            ),
          fc.constantFrom<unknown>(
            '__proto__',
            'constructor',
            'toString',
            'hasOwnProperty',
            'Adam',
            'SGD',
            null,
            3,
            {},
          ),
        ),
        (name) => {
          expectBad(() => getUpdateRule(name as string), ValueError, 'getUpdateRule', 'name');
        },
      ),
      RUNS,
    );
  });
});

describe('update rules › valid but extreme gradients', () => {
  const magnitude = fc.oneof(
    fc.double({ min: 1e-30, max: 1e-10, noNaN: true }),
    fc.double({ min: 1e10, max: 1e18, noNaN: true }),
  );

  it('give finite steps of the size the first-step formulas say, in both dtypes', () => {
    fc.assert(
      fc.property(RULES, magnitude, fc.boolean(), dtypeArb, ([name, rule], g, negative, dtype) => {
        const w = zeros([3], dtype);
        const dw = full([3], negative ? -g : g, dtype);
        const lr = 1e-3;
        const { nextW, config } = rule(w, dw, { learningRate: lr });
        const gStored = dw.data[0];
        for (const v of nextW.data) expect(Number.isFinite(v)).toBe(true);
        for (const s of Object.values(config)) {
          if (typeof s === 'object')
            for (const v of (s as Tensor).data) expect(Number.isFinite(v)).toBe(true);
        }
        const step = -nextW.data[0]; // w starts at 0
        // Independent first-step values (state starts at zero):
        //   sgd, sgdMomentum: lr·g; rmsprop: lr·g / (√((1 − 0.99)·g²) + 1e-8);
        //   adam: lr·m̂ / (√v̂ + 1e-8) with m̂ = g, v̂ = g² -> lr·g / (|g| + 1e-8).
        const expected =
          name === 'rmsprop'
            ? (lr * gStored) / (Math.sqrt(0.01 * gStored * gStored) + 1e-8)
            : name === 'adam'
              ? (lr * gStored) / (Math.abs(gStored) + 1e-8)
              : lr * gStored;
        const tolerance = dtype === 'float32' ? 1e-5 : 1e-9;
        expect(Math.abs(step - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected) + 1e-300);
      }),
      { numRuns: 150 },
    );
  });

  it('sgdMomentum and adam stay finite over many steps with tiny and huge gradients', () => {
    fc.assert(
      fc.property(magnitude, dtypeArb, (g, dtype) => {
        let w = zeros([2], dtype);
        const dw = full([2], g, dtype);
        let momentumConfig: OptimConfig = { learningRate: 1e-3, momentum: 0.99 };
        let adamConfig: OptimConfig = {};
        for (let t = 0; t < 20; t++) {
          const a = sgdMomentum(w, dw, momentumConfig);
          momentumConfig = a.config;
          const b = adam(a.nextW, dw, adamConfig);
          adamConfig = b.config;
          w = b.nextW;
        }
        for (const v of w.data) expect(Number.isFinite(v)).toBe(true);
        expect(adamConfig.t).toBe(20);
      }),
      { numRuns: 30 },
    );
  });
});
