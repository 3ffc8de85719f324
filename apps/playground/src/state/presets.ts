// Switching between the two kinds of task swaps in settings that train well on it: the image
// defaults are the experiment package's (the `pnpm start` job); the 2-D sets want a small net, a
// bigger learning rate, small batches and many short epochs (a few hundred points).

import { isToyName } from '@backprop/data';
import {
  defaultExperiment,
  type ExperimentConfig,
  type ExperimentPatch,
  overrideExperiment,
} from '@backprop/experiment';
import type { PlaygroundDataset } from './url';

/** Model and solver settings for the 2-D toy sets (spiral reaches > 0.9 accuracy in ~1,100 steps). */
export const TOY_PRESET: ExperimentPatch = {
  model: {
    type: 'fc',
    hiddenDims: [64, 64],
    normalization: 'none',
    dropout: 1,
    reg: 0.0001,
    weightScale: 0.1,
  },
  solver: {
    updateRule: 'adam',
    learningRate: 0.02,
    lrDecay: 1,
    batchSize: 32,
    numEpochs: 100,
  },
};

/** Model and solver settings for the image task: the experiment defaults. */
export const IMAGE_PRESET: ExperimentPatch = {
  model: { ...defaultExperiment.model, hiddenDims: [...defaultExperiment.model.hiddenDims] },
  solver: { ...defaultExperiment.solver },
};

/**
 * `config` moved to `dataset`. Between two toy sets (or to the same kind) only the dataset changes;
 * crossing between images and 2-D points applies that kind's preset, since a net tuned for one
 * trains badly (or not at all: a convnet on points) on the other.
 */
export function withDataset(config: ExperimentConfig, dataset: PlaygroundDataset): ExperimentConfig {
  const fromToy = isToyName(config.data.dataset);
  const toToy = isToyName(dataset);
  if (fromToy === toToy) return overrideExperiment(config, { data: { dataset } });
  const preset = toToy ? TOY_PRESET : IMAGE_PRESET;
  return overrideExperiment(config, { ...preset, data: { dataset } });
}
