// Random valid experiment configs for property tests.

import { DATASET_NAMES, isToyName } from '@backprop/data';
import fc from 'fast-check';
import { type ExperimentConfig, MODEL_TYPES, NORMALIZATIONS, UPDATE_RULES } from '../src/index';

const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

export const validConfig: fc.Arbitrary<ExperimentConfig> = fc
  .record({
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    data: fc.record(
      {
        dataset: fc.constantFrom(...DATASET_NAMES),
        dataDir: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
        numVal: fc.integer({ min: 1, max: 5000 }),
        numTrain: fc.integer({ min: 1, max: 60000 }),
        noise: finite(0, 10),
        numPoints: fc.integer({ min: 10, max: 1_000_000 }),
        classes: fc.integer({ min: 2, max: 10 }),
        testFraction: finite(Number.MIN_VALUE, 0.4),
      },
      { requiredKeys: ['dataset', 'numVal', 'noise', 'numPoints', 'classes', 'testFraction'] },
    ),
    model: fc.record({
      type: fc.constantFrom(...MODEL_TYPES),
      hiddenDims: fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 5 }),
      hiddenDim: fc.integer({ min: 1, max: 4096 }),
      normalization: fc.constantFrom(...NORMALIZATIONS),
      dropout: finite(Number.MIN_VALUE, 1),
      numFilters: fc.integer({ min: 1, max: 128 }),
      filterSize: fc.integer({ min: 0, max: 5 }).map((k) => 2 * k + 1),
      reg: finite(0, 1e3),
      weightScale: finite(Number.MIN_VALUE, 10),
      dtype: fc.constantFrom('float32' as const, 'float64' as const),
    }),
    solver: fc.record(
      {
        updateRule: fc.constantFrom(...UPDATE_RULES),
        learningRate: finite(Number.MIN_VALUE, 10),
        momentum: finite(0, 0.999999),
        lrDecay: finite(Number.MIN_VALUE, 1),
        batchSize: fc.integer({ min: 1, max: 1000 }),
        numEpochs: fc.integer({ min: 1, max: 100 }),
        numTrainSamples: fc.integer({ min: 1, max: 10000 }),
        numValSamples: fc.option(fc.integer({ min: 1, max: 10000 }), { nil: null }),
        printEvery: fc.integer({ min: 1, max: 1000 }),
      },
      {
        requiredKeys: [
          'updateRule',
          'learningRate',
          'lrDecay',
          'batchSize',
          'numEpochs',
          'numTrainSamples',
          'numValSamples',
          'printEvery',
        ],
      },
    ),
  })
  .map((c) => {
    // A convnet needs images: keep the pair valid.
    const model =
      c.model.type === 'convnet' && isToyName(c.data.dataset) ? { ...c.model, type: 'fc' as const } : c.model;
    return { version: 1 as const, ...c, model };
  })
  .map((c) => normalise(c));

/** -0 is stored as 0 (see parseExperiment). */
function normalise(c: ExperimentConfig): ExperimentConfig {
  return JSON.parse(JSON.stringify(c), (_k, v) => (Object.is(v, -0) ? 0 : v));
}
