import { adam, getUpdateRule, optimizers, rmsprop, sgd, sgdMomentum, updateRuleNames } from '@backprop/optim';
import { ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

describe('optimizers / getUpdateRule', () => {
  it('maps each name to its rule', () => {
    expect(optimizers).toEqual({ sgd, sgdMomentum, rmsprop, adam });
    expect(updateRuleNames).toEqual(['sgd', 'sgdMomentum', 'rmsprop', 'adam']);
    for (const name of updateRuleNames) expect(getUpdateRule(name)).toBe(optimizers[name]);
  });

  it("accepts CS231n's 'sgd_momentum' and the CLI's 'sgd-momentum'", () => {
    expect(getUpdateRule('sgd_momentum')).toBe(sgdMomentum);
    expect(getUpdateRule('sgd-momentum')).toBe(sgdMomentum);
  });

  it('rejects any other name, listing the valid ones', () => {
    const error = new ValueError(
      'getUpdateRule',
      'name',
      "must be one of 'sgd', 'sgdMomentum', 'rmsprop', 'adam', got 'nesterov'",
    );
    expectError(() => getUpdateRule('nesterov'), error);
    expectError(
      () => getUpdateRule('toString'),
      new ValueError(
        'getUpdateRule',
        'name',
        "must be one of 'sgd', 'sgdMomentum', 'rmsprop', 'adam', got 'toString'",
      ),
    );
    expectError(
      () => getUpdateRule('__proto__'),
      new ValueError(
        'getUpdateRule',
        'name',
        "must be one of 'sgd', 'sgdMomentum', 'rmsprop', 'adam', got '__proto__'",
      ),
    );
  });

  it('every rule has the UpdateRule signature and returns a config it accepts back', () => {
    const w = zeros([3], 'float64');
    for (const rule of Object.values(optimizers)) {
      const first = rule(w, w);
      const second = rule(first.nextW, w, first.config);
      expect(second.nextW.shape).toEqual([3]);
    }
  });
});
