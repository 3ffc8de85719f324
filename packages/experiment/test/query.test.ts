import { ValueError } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultExperiment,
  experimentFields,
  experimentFromQuery,
  experimentToQuery,
  parseExperiment,
} from '../src/index';
import { validConfig } from './arbitraries';
import { expectError } from './helpers';

describe('experimentToQuery', () => {
  it('is empty for the defaults', () => {
    expect(experimentToQuery(defaultExperiment)).toBe('');
  });

  it('writes only the fields that differ, under short keys, commas readable', () => {
    const c = parseExperiment({
      seed: 3,
      data: { dataset: 'spiral', dataDir: '/data/my set' },
      model: { hiddenDims: [100, 100], normalization: 'none' },
      solver: { learningRate: 0.01, numValSamples: 500 },
    });
    expect(experimentToQuery(c)).toBe(
      'seed=3&dataset=spiral&data-dir=%2Fdata%2Fmy%20set&hidden-dims=100,100&normalization=none&learning-rate=0.01&num-val-samples=500',
    );
  });

  it('writes an empty hiddenDims as an empty value', () => {
    expect(experimentToQuery(parseExperiment({ model: { hiddenDims: [] } }))).toBe('hidden-dims=');
  });

  it('rejects an invalid config, naming the field', () => {
    const c = { ...defaultExperiment, solver: { ...defaultExperiment.solver, batchSize: 0 } };
    expectError(
      () => experimentToQuery(c),
      ValueError,
      'experimentToQuery: solver.batchSize must be an integer >= 1, got 0',
    );
  });
});

describe('experimentFromQuery', () => {
  it('round-trips every valid config exactly, with no notices (fast-check)', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        const { config: back, notices } = experimentFromQuery(experimentToQuery(config));
        expect(notices).toEqual([]);
        expect(back).toEqual(config);
      }),
      { numRuns: 100 },
    );
  });

  it('accepts a leading ? or # and gives the defaults for an empty query', () => {
    expect(experimentFromQuery('?model=two-layer').config.model.type).toBe('two-layer');
    expect(experimentFromQuery('#model=two-layer').config.model.type).toBe('two-layer');
    expect(experimentFromQuery('')).toEqual({ config: defaultExperiment, notices: [] });
  });

  it('reads URL-encoded values and "all"/"null" for numValSamples', () => {
    const { config } = experimentFromQuery('data-dir=%2Ftmp%2Fa%20b&hidden-dims=7%2C8&num-val-samples=all');
    expect(config.data.dataDir).toBe('/tmp/a b');
    expect(config.model.hiddenDims).toEqual([7, 8]);
    expect(config.solver.numValSamples).toBeNull();
  });

  it('falls back to the default, with a notice, for each bad field and keeps the good ones', () => {
    const { config, notices } = experimentFromQuery(
      'hidden-dims=100,x&learning-rate=-1&epochs=3&model=rnn&seed=',
    );
    expect(config).toEqual(parseExperiment({ solver: { numEpochs: 3 } }));
    expect(notices).toEqual([
      "hidden-dims=100,x is not valid (model.hiddenDims[1] must be an integer >= 1, got 'x'); using the default [256,128]",
      'learning-rate=-1 is not valid (solver.learningRate must be a number > 0, got -1); using the default 0.001',
      "model=rnn is not valid (model.type must be one of 'fc', 'two-layer', 'convnet', got 'rnn'); using the default fc",
      "seed= is not valid (seed must be an integer in [0, 4294967295], got ''); using the default 0",
    ]);
  });

  it('ignores fields of an outdated link, with a notice each', () => {
    const { config, notices } = experimentFromQuery('v=0&lr=0.1&epochs=2&activation=tanh');
    expect(config).toEqual(parseExperiment({ solver: { numEpochs: 2 } }));
    expect(notices).toEqual([
      'the link was made for config version 0; its fields were read as version 1 where they apply',
      "unknown field 'lr' ignored (the link may come from another version)",
      "unknown field 'activation' ignored (the link may come from another version)",
    ]);
  });

  it('resolves fields that conflict by dropping the one the error names', () => {
    const { config, notices } = experimentFromQuery('dataset=xor&model=convnet');
    expect(config.data.dataset).toBe('xor');
    expect(config.model.type).toBe('fc');
    expect(notices).toEqual([
      "model does not fit the rest of the link ('convnet' needs an image dataset, got data.dataset 'xor' (2-D points): use 'fc' or 'two-layer'); using the default fc",
    ]);
  });

  it('uses the last of repeated keys, with a notice', () => {
    const { config, notices } = experimentFromQuery('epochs=2&epochs=4');
    expect(config.solver.numEpochs).toBe(4);
    expect(notices).toEqual(["'epochs' appears more than once; using the last value"]);
  });

  it('never throws, whatever the input, and always returns a valid config (fast-check)', () => {
    const keys = experimentFields.map((f) => f.key);
    const pairs = fc
      .array(fc.tuple(fc.constantFrom(...keys, 'junk', ''), fc.oneof(fc.string(), fc.double().map(String))), {
        maxLength: 8,
      })
      .map((ps) => ps.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
    fc.assert(
      fc.property(fc.oneof(pairs, fc.string(), fc.constantFrom(null, undefined, 42, {})), (q) => {
        const { config, notices } = experimentFromQuery(q as string);
        expect(() => parseExperiment(config)).not.toThrow();
        expect(Array.isArray(notices)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
