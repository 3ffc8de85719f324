// Checkpoint files of `backprop train`: the Solver's checkpoint (model + optimizer state + best
// params + histories, one safetensors file) carrying two extras, so `backprop eval` and
// `--resume` rebuild the run from the file alone:
//   metadata 'backprop.experiment'  the experiment config (JSON)
//   tensor   'solver/extra/mean'    the training split's mean image that was subtracted from the data
import { readFile } from 'node:fs/promises';
import { type ExperimentCheckpoint, readExperimentCheckpoint } from '@backprop/experiment';
import { writeFileAtomic } from '@backprop/solver/node';
import { BackpropError } from '@backprop/tensor';
import { CliFailure } from './errors';

/** Writes `bytes` to `path` atomically: a reader sees the old file or the new one, never half of one. */
export async function writeCheckpointFile(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

/** A checkpoint file's bytes and what `backprop train` stored in it. */
export interface CheckpointFile extends ExperimentCheckpoint {
  bytes: Uint8Array;
}

/**
 * Reads a checkpoint written by `backprop train`. A missing or unreadable file, a file that is not a
 * Solver checkpoint and one without the experiment metadata give a CliFailure (exit 1) naming the file.
 */
export async function readCheckpointFile(path: string): Promise<CheckpointFile> {
  let bytes: Uint8Array;
  try {
    const buffer = await readFile(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliFailure(`error: checkpoint ${path} does not exist`);
    throw new CliFailure(`error: cannot read checkpoint ${path}: ${(error as Error).message}`);
  }
  try {
    return { bytes, ...readExperimentCheckpoint(bytes, path) };
  } catch (error) {
    if (error instanceof BackpropError)
      throw new CliFailure(`error: ${path} is not a backprop training checkpoint: ${error.message}`);
    throw error;
  }
}
