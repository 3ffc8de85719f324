import { ValueError } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cloneConfig,
  defaultExperiment,
  type ExperimentConfig,
  experimentFields,
  experimentSeeds,
  overrideExperiment,
  parseExperiment,
  validateExperiment,
} from '../src/index';
import { validConfig } from './arbitraries';
import { expectError } from './helpers';

describe('defaultExperiment', () => {
  it('is the pnpm start job: fc [256, 128] batchnorm + adam on the embedded subset, float32', () => {
    expect(defaultExperiment.version).toBe(1);
    expect(defaultExperiment.data.dataset).toBe('embedded');
    expect(defaultExperiment.model).toMatchObject({
      type: 'fc',
      hiddenDims: [256, 128],
      normalization: 'batchnorm',
      dtype: 'float32',
    });
    expect(defaultExperiment.solver).toMatchObject({ updateRule: 'adam', learningRate: 1e-3 });
    expect(validateExperiment(defaultExperiment)).toBe(defaultExperiment);
  });

  it('is frozen all the way down, so no caller can change everyone’s defaults', () => {
    expect(Object.isFrozen(defaultExperiment)).toBe(true);
    expect(Object.isFrozen(defaultExperiment.model)).toBe(true);
    expect(Object.isFrozen(defaultExperiment.model.hiddenDims)).toBe(true);
  });
});

describe('parseExperiment', () => {
  it('fills every field from the defaults for {}', () => {
    const c = parseExperiment({});
    expect(c).toEqual(defaultExperiment);
    expect(c).not.toBe(defaultExperiment);
    expect(Object.isFrozen(c.model)).toBe(false);
  });

  it('merges each section field by field, replacing arrays', () => {
    const c = parseExperiment({ seed: 5, model: { hiddenDims: [10] }, solver: { numEpochs: 2 } });
    expect(c.seed).toBe(5);
    expect(c.model).toEqual({ ...defaultExperiment.model, hiddenDims: [10] });
    expect(c.solver).toEqual({ ...defaultExperiment.solver, numEpochs: 2 });
    expect(c.data).toEqual(defaultExperiment.data);
  });

  it('shares nothing with its input', () => {
    const input = { model: { hiddenDims: [3, 4] } };
    const c = parseExperiment(input);
    c.model.hiddenDims.push(5);
    expect(input.model.hiddenDims).toEqual([3, 4]);
  });

  it('accepts every valid config unchanged (fast-check)', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        expect(parseExperiment(config)).toEqual(config);
        expect(parseExperiment(JSON.parse(JSON.stringify(config)))).toEqual(config);
      }),
      { numRuns: 100 },
    );
  });

  it('stores -0 as 0', () => {
    expect(Object.is(parseExperiment({ model: { reg: -0 } }).model.reg, 0)).toBe(true);
  });

  const bad: [unknown, string][] = [
    [{ version: 2 }, 'version must be 1 (the only schema version), got 2'],
    [{ seed: -1 }, 'seed must be an integer in [0, 4294967295], got -1'],
    [{ seed: 1.5 }, 'seed must be an integer in [0, 4294967295], got 1.5'],
    [
      { data: { dataset: 'imagenet' } },
      "data.dataset must be one of 'embedded', 'fashion-mnist', 'mnist', 'cifar10', 'spiral', 'circles', 'xor', 'gaussian', got 'imagenet'",
    ],
    [{ data: { dataDir: '' } }, "data.dataDir must be a non-empty string of valid Unicode, got ''"],
    [
      { data: { dataDir: 'a\uD800' } },
      "data.dataDir must be a non-empty string of valid Unicode, got 'a\uD800'",
    ],
    [{ data: { numVal: 0 } }, 'data.numVal must be an integer >= 1, got 0'],
    [{ data: { numTrain: 0 } }, 'data.numTrain must be an integer >= 1, got 0'],
    [{ data: { noise: -0.1 } }, 'data.noise must be a number in [0, 10], got -0.1'],
    [{ data: { numPoints: 9 } }, 'data.numPoints must be an integer in [10, 1000000], got 9'],
    [{ data: { classes: 11 } }, 'data.classes must be an integer in [2, 10], got 11'],
    [{ data: { testFraction: 0.5 } }, 'data.testFraction must be a number > 0 and <= 0.4, got 0.5'],
    [{ model: { type: 'rnn' } }, "model.type must be one of 'fc', 'two-layer', 'convnet', got 'rnn'"],
    [{ model: { hiddenDims: 100 } }, 'model.hiddenDims must be an array of integers >= 1, got 100'],
    [{ model: { hiddenDims: [100, 0] } }, 'model.hiddenDims[1] must be an integer >= 1, got 0'],
    [{ model: { hiddenDims: [100, 50, '7'] } }, "model.hiddenDims[2] must be an integer >= 1, got '7'"],
    [{ model: { hiddenDim: 2.5 } }, 'model.hiddenDim must be an integer >= 1, got 2.5'],
    [
      { model: { normalization: null } },
      "model.normalization must be one of 'none', 'batchnorm', 'layernorm', got null",
    ],
    [{ model: { dropout: 0 } }, 'model.dropout must be a keep probability > 0 and <= 1, got 0'],
    [{ model: { numFilters: 0 } }, 'model.numFilters must be an integer >= 1, got 0'],
    [{ model: { filterSize: 4 } }, 'model.filterSize must be an odd integer >= 1, got 4'],
    [{ model: { reg: Number.NaN } }, 'model.reg must be a number >= 0, got NaN'],
    [{ model: { weightScale: 0 } }, 'model.weightScale must be a number > 0, got 0'],
    [{ model: { dtype: 'float16' } }, "model.dtype must be one of 'float32', 'float64', got 'float16'"],
    [
      { solver: { updateRule: 'sgd-momentum' } },
      "solver.updateRule must be one of 'sgd', 'sgdMomentum', 'rmsprop', 'adam', got 'sgd-momentum'",
    ],
    [
      { solver: { learningRate: Number.POSITIVE_INFINITY } },
      'solver.learningRate must be a number > 0, got Infinity',
    ],
    [{ solver: { momentum: 1 } }, 'solver.momentum must be a number in [0, 1), got 1'],
    [{ solver: { lrDecay: 1.5 } }, 'solver.lrDecay must be a number > 0 and <= 1, got 1.5'],
    [{ solver: { batchSize: 0 } }, 'solver.batchSize must be an integer >= 1, got 0'],
    [{ solver: { numEpochs: '3' } }, "solver.numEpochs must be an integer >= 1, got '3'"],
    [{ solver: { numTrainSamples: 0 } }, 'solver.numTrainSamples must be an integer >= 1, got 0'],
    [{ solver: { numValSamples: 0 } }, 'solver.numValSamples must be null (all) or an integer >= 1, got 0'],
    [{ solver: { printEvery: 0 } }, 'solver.printEvery must be an integer >= 1, got 0'],
  ];
  it.each(bad)('rejects %j, naming the field', (input, message) => {
    expectError(() => parseExperiment(input), ValueError, `parseExperiment: ${message}`);
  });

  it('covers every field of the schema with an error case', () => {
    const named = new Set(bad.map(([, m]) => m.split(' ')[0].replace(/\[\d+\]$/, '')));
    expect(experimentFields.map((f) => f.path).filter((p) => !named.has(p))).toEqual([]);
  });

  it('rejects unknown keys at the top and in each section', () => {
    expectError(
      () => parseExperiment({ epochs: 3 }),
      ValueError,
      'parseExperiment: epochs is not a known field; expected one of version, seed, data, model, solver',
    );
    expectError(
      () => parseExperiment({ model: { hidden_dims: [3] } }),
      ValueError,
      /^parseExperiment: model\.hidden_dims is not a known field; expected one of type, hiddenDims, /,
    );
    expectError(
      () => parseExperiment({ solver: { optimConfig: {} } }),
      ValueError,
      /^parseExperiment: solver\.optimConfig is not a known field/,
    );
  });

  it('rejects non-objects', () => {
    expectError(
      () => parseExperiment(null),
      ValueError,
      'parseExperiment: config must be an object, got null',
    );
    expectError(
      () => parseExperiment([1]),
      ValueError,
      'parseExperiment: config must be an object, got an array of length 1',
    );
    expectError(
      () => parseExperiment({ model: 'fc' }),
      ValueError,
      "parseExperiment: model must be an object, got 'fc'",
    );
  });

  it('rejects a convnet on 2-D points', () => {
    expectError(
      () => parseExperiment({ data: { dataset: 'spiral' }, model: { type: 'convnet' } }),
      ValueError,
      "parseExperiment: model.type 'convnet' needs an image dataset, got data.dataset 'spiral' (2-D points): use 'fc' or 'two-layer'",
    );
  });
});

describe('overrideExperiment', () => {
  it('applies a patch on top of a base config (CLI flags over a --config file)', () => {
    const base = parseExperiment({ model: { hiddenDims: [50] }, solver: { numEpochs: 3 } });
    const c = overrideExperiment(base, { solver: { learningRate: 0.01 } });
    expect(c.model.hiddenDims).toEqual([50]);
    expect(c.solver).toMatchObject({ numEpochs: 3, learningRate: 0.01 });
    expect(base.solver.learningRate).toBe(1e-3);
  });

  it('names itself in errors', () => {
    expectError(
      () => overrideExperiment(defaultExperiment, { solver: { batchSize: -1 } }),
      ValueError,
      'overrideExperiment: solver.batchSize must be an integer >= 1, got -1',
    );
  });
});

describe('validateExperiment', () => {
  it('requires every non-optional field', () => {
    const c = cloneConfig(defaultExperiment);
    delete (c.model as Partial<ExperimentConfig['model']>).dtype;
    expectError(
      () => validateExperiment(c),
      ValueError,
      "validateExperiment: model.dtype must be one of 'float32', 'float64', got undefined",
    );
  });
});

describe('experimentSeeds', () => {
  it('derives distinct streams for data, model and solver, wrapping at 2^32', () => {
    expect(experimentSeeds(parseExperiment({ seed: 7 }))).toEqual({ data: 7, model: 8, solver: 9 });
    expect(experimentSeeds(parseExperiment({ seed: 0xffffffff }))).toEqual({
      data: 0xffffffff,
      model: 0,
      solver: 1,
    });
  });
});

describe('experimentFields', () => {
  it('lists every field of the config once, with a unique URL key', () => {
    const paths = experimentFields.map((f) => f.path);
    const keys = experimentFields.map((f) => f.key);
    expect(new Set(paths).size).toBe(paths.length);
    expect(new Set(keys).size).toBe(keys.length);
    const leaves = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v)
          ? leaves(v, `${prefix}${k}.`)
          : [`${prefix}${k}`],
      );
    const optional = experimentFields.filter((f) => f.optional).map((f) => f.path);
    expect([...leaves(defaultExperiment), ...optional].sort()).toEqual([...paths].sort());
  });

  it('gives enum fields their options and every field a rule', () => {
    for (const f of experimentFields) {
      expect(f.rule.length).toBeGreaterThan(0);
      expect(f.kind === 'enum').toBe(Array.isArray(f.options));
    }
  });
});
