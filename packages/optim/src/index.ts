export { type AdamConfig, adam } from './adam';
export { getUpdateRule, optimizers, updateRuleNames } from './registry';
export { type RmspropConfig, rmsprop } from './rmsprop';
export { type SgdConfig, sgd } from './sgd';
export { type SgdMomentumConfig, sgdMomentum } from './sgd-momentum';
export type { OptimConfig, UpdateOptions, UpdateResult, UpdateRule, UpdateRuleName } from './types';
