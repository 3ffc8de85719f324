import { experimentFields } from '@backprop/experiment';
import { describe, expect, it } from 'vitest';
import { experimentFlags, flagForField, flagPatch } from '../src/experiment-flags';

describe('experimentFlags', () => {
  it('has one flag per experiment field but the schema version, named by its key', () => {
    const fields = experimentFields.filter((f) => f.path !== 'version');
    expect(experimentFlags.map((f) => f.path)).toEqual(fields.map((f) => f.path));
    expect(experimentFlags.map((f) => f.name)).toEqual(fields.map((f) => `--${f.key}`));
  });

  it('includes every train flag of the DESIGN command line', () => {
    const names = experimentFlags.map((f) => f.name);
    for (const name of [
      '--model',
      '--hidden-dims',
      '--normalization',
      '--dropout',
      '--num-filters',
      '--filter-size',
      '--hidden-dim',
      '--reg',
      '--weight-scale',
      '--update-rule',
      '--learning-rate',
      '--lr-decay',
      '--batch-size',
      '--epochs',
      '--dataset',
      '--data-dir',
      '--num-val',
      '--seed',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('spells enum values in kebab-case on the command line', () => {
    const rule = experimentFlags.find((f) => f.name === '--update-rule');
    expect(rule?.choices).toEqual(['sgd', 'sgd-momentum', 'rmsprop', 'adam']);
    expect(rule?.toConfig('sgd-momentum')).toBe('sgdMomentum');
    expect(rule?.fromConfig('sgdMomentum')).toBe('sgd-momentum');
  });
});

describe('flagPatch', () => {
  it('turns the given flags (by commander attribute) into a nested patch, leaving the others out', () => {
    const { patch, given } = flagPatch({
      hiddenDims: [256, 128],
      updateRule: 'sgd-momentum',
      seed: 7,
      numValSamples: null,
    });
    expect(patch).toEqual({
      seed: 7,
      model: { hiddenDims: [256, 128] },
      solver: { updateRule: 'sgdMomentum', numValSamples: null },
    });
    expect(given.map((f) => f.name).sort()).toEqual([
      '--hidden-dims',
      '--num-val-samples',
      '--seed',
      '--update-rule',
    ]);
  });

  it('gives an empty patch for no flags', () => {
    expect(flagPatch({ json: true, out: 'x' })).toEqual({ patch: {}, given: [] });
  });
});

describe('flagForField', () => {
  const { given } = flagPatch({ hiddenDims: [1, 0], batchSize: 0 });

  it('finds the flag of a field and of an element of a list field', () => {
    expect(flagForField('solver.batchSize', given)?.name).toBe('--batch-size');
    expect(flagForField('model.hiddenDims[1]', given)?.name).toBe('--hidden-dims');
  });

  it('finds nothing for a field no given flag set', () => {
    expect(flagForField('model.type', given)).toBeUndefined();
    expect(flagForField('model.hiddenDim', given)).toBeUndefined();
  });
});
