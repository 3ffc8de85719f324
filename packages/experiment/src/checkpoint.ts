// What a training checkpoint carries besides the Solver's own state, so a run can be rebuilt from
// the file alone (by `backprop eval`, `backprop train --resume` and the playground's "Load"):
//   metadata 'backprop.experiment'  the experiment config, as JSON
//   tensor   'solver/extra/mean'    the training split's mean image that prepareData subtracted
import type { CheckpointExtra } from '@backprop/solver';
import type { ExperimentConfig } from './config';
import type { PreparedData } from './prepare';

/** Metadata key of the experiment config (JSON) in a training checkpoint. */
export const EXPERIMENT_METADATA_KEY = 'backprop.experiment';

/** Name of the Solver extra tensor holding the training mean image. */
export const MEAN_TENSOR_NAME = 'mean';

/** The Solver `checkpointExtra` for a run of `config` on `data`. */
export function experimentCheckpointExtra(config: ExperimentConfig, data: PreparedData): CheckpointExtra {
  return {
    metadata: { [EXPERIMENT_METADATA_KEY]: JSON.stringify(config) },
    tensors: { [MEAN_TENSOR_NAME]: data.mean },
  };
}
