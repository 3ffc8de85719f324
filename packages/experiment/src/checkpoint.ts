// What a training checkpoint carries besides the Solver's own state, so a run can be rebuilt from
// the file alone (by `backprop eval`, `backprop train --resume` and the playground's "Load"):
//   metadata 'backprop.experiment'  the experiment config, as JSON
//   tensor   'solver/extra/mean'    the training split's mean image that prepareData subtracted
import { type CheckpointExtra, readCheckpointInfo } from '@backprop/solver';
import { FormatError, type Tensor } from '@backprop/tensor';
import { type ExperimentConfig, parseExperiment } from './config';
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

/** What a training checkpoint says about its run, beyond the model and Solver state. */
export interface ExperimentCheckpoint {
  /** The experiment the run was built from (validated). */
  config: ExperimentConfig;
  /** The training mean image that was subtracted, if the file carries it. */
  mean: Tensor | undefined;
  /** The Solver's progress: iterations done and planned. */
  iteration: number;
  numIterations: number;
}

/**
 * Reads the experiment a training checkpoint (written by `backprop train` or the playground) was
 * made from. A file that is not a Solver checkpoint, or has no or bad experiment metadata, gives a
 * FormatError naming `name`.
 */
export function readExperimentCheckpoint(bytes: Uint8Array, name = 'checkpoint'): ExperimentCheckpoint {
  const fn = 'readExperimentCheckpoint';
  const { extra, solver } = readCheckpointInfo(bytes);
  const json = extra.metadata[EXPERIMENT_METADATA_KEY];
  if (json === undefined) {
    throw new FormatError(
      fn,
      name,
      `has no '${EXPERIMENT_METADATA_KEY}' metadata: it was not saved by 'backprop train' or the playground`,
    );
  }
  let config: ExperimentConfig;
  try {
    config = parseExperiment(JSON.parse(json));
  } catch (error) {
    throw new FormatError(
      fn,
      name,
      `has bad '${EXPERIMENT_METADATA_KEY}' metadata: ${(error as Error).message}`,
    );
  }
  return {
    config,
    mean: extra.tensors[MEAN_TENSOR_NAME],
    iteration: solver.iteration,
    numIterations: solver.numIterations,
  };
}
