import { toyDataset } from '@backprop/data';
import { FormatError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import {
  buildModel,
  buildSolver,
  EXPERIMENT_METADATA_KEY,
  experimentCheckpointExtra,
  parseExperiment,
  prepareData,
  readExperimentCheckpoint,
} from '../src/index';
import { expectError } from './helpers';

function run() {
  const config = parseExperiment({
    data: { dataset: 'xor', numPoints: 200 },
    model: { hiddenDims: [8] },
    solver: { batchSize: 20, numEpochs: 1, printEvery: 1000 },
  });
  const data = prepareData(config, toyDataset('xor'));
  const model = buildModel(config, data.inputShape, data.numClasses);
  const solver = buildSolver(config, model, data, { verbose: false });
  solver.step();
  return { config, data, solver };
}

describe('readExperimentCheckpoint', () => {
  it('reads back the config, the mean image and the progress that experimentCheckpointExtra stored', () => {
    const { config, data, solver } = run();
    const file = readExperimentCheckpoint(solver.checkpoint(experimentCheckpointExtra(config, data)));
    expect(file.config).toEqual(config);
    expect(Array.from(file.mean?.data ?? [])).toEqual(Array.from(data.mean.data));
    expect(file.iteration).toBe(1);
    expect(file.numIterations).toBe(solver.numIterations);
  });

  it('names the file when the experiment metadata is missing or bad', () => {
    const { config, data, solver } = run();
    expectError(
      () => readExperimentCheckpoint(solver.checkpoint(), 'a.safetensors'),
      FormatError,
      `readExperimentCheckpoint: a.safetensors has no '${EXPERIMENT_METADATA_KEY}' metadata: it was not saved by 'backprop train' or the playground`,
    );
    const extra = experimentCheckpointExtra(config, data);
    for (const bad of ['{not json', JSON.stringify({ model: { type: 'mlp' } })]) {
      const bytes = solver.checkpoint({ ...extra, metadata: { [EXPERIMENT_METADATA_KEY]: bad } });
      expectError(
        () => readExperimentCheckpoint(bytes, 'b.safetensors'),
        FormatError,
        /^readExperimentCheckpoint: b\.safetensors has bad 'backprop\.experiment' metadata: /,
      );
    }
  });

  it('rejects bytes that are not a Solver checkpoint with a FormatError', () => {
    expect(() => readExperimentCheckpoint(new Uint8Array([1, 2, 3]))).toThrow(FormatError);
  });
});
