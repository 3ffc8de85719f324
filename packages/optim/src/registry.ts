// Look-up by name, for the Solver's `updateRule: 'adam'`, the CLI and the playground.
import { ValueError } from '@backprop/tensor';
import { adam } from './adam';
import { rmsprop } from './rmsprop';
import { sgd } from './sgd';
import { sgdMomentum } from './sgd-momentum';
import type { UpdateRule, UpdateRuleName } from './types';

/** The built-in update rules by name. */
export const optimizers: Readonly<Record<UpdateRuleName, UpdateRule>> = Object.freeze({
  sgd,
  sgdMomentum,
  rmsprop,
  adam,
});

/** The names `getUpdateRule` accepts, canonical first. */
export const updateRuleNames: readonly UpdateRuleName[] = ['sgd', 'sgdMomentum', 'rmsprop', 'adam'];

// CS231n's snake_case and the CLI's kebab-case name for the one two-word rule.
const ALIASES: Record<string, UpdateRuleName> = {
  sgd_momentum: 'sgdMomentum',
  'sgd-momentum': 'sgdMomentum',
};

/**
 * The update rule called `name` ('sgd', 'sgdMomentum', 'rmsprop', 'adam'; also 'sgd_momentum' and
 * 'sgd-momentum').
 * @throws ValueError listing the valid names for any other name
 */
export function getUpdateRule(name: string): UpdateRule {
  const canonical = Object.hasOwn(ALIASES, name) ? ALIASES[name] : name;
  if (typeof name !== 'string' || !Object.hasOwn(optimizers, canonical)) {
    const got = typeof name === 'string' ? `'${name}'` : String(name);
    throw new ValueError(
      'getUpdateRule',
      'name',
      `must be one of ${updateRuleNames.map((n) => `'${n}'`).join(', ')}, got ${got}`,
    );
  }
  return optimizers[canonical as UpdateRuleName];
}
