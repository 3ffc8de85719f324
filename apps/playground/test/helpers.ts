// A Trainer driven the way the worker entry drives it, with the messages it posts collected.
import { isToyName, type RawDataset, toyDataset } from '@backprop/data';
import { loadDataset } from '@backprop/data/node';
import {
  defaultExperiment,
  type ExperimentConfig,
  type ExperimentPatch,
  overrideExperiment,
} from '@backprop/experiment';
import { TOY_PRESET } from '../src/state/presets';
import type { Response } from '../src/worker/protocol';
import { Trainer } from '../src/worker/trainer';

const loaded = new Map<string, Promise<RawDataset>>();

/** The Node twin of the browser loader; image sets are read once per test file (they are not modified). */
export function nodeLoader(config: ExperimentConfig): Promise<RawDataset> {
  const name = config.data.dataset;
  if (isToyName(name)) return Promise.resolve(toyDataset(name));
  let raw = loaded.get(name);
  if (!raw) {
    raw = loadDataset(config.data);
    loaded.set(name, raw);
  }
  return raw;
}

/** A spiral run small enough for tests: 600 points, [16, 16], 3 epochs of 11 steps. */
export function spiralConfig(patch: ExperimentPatch = {}): ExperimentConfig {
  const base = overrideExperiment(defaultExperiment, {
    ...TOY_PRESET,
    data: { dataset: 'spiral', noise: 0.05 },
  });
  return overrideExperiment(
    overrideExperiment(base, { model: { hiddenDims: [16, 16] }, solver: { numEpochs: 3 } }),
    patch,
  );
}

/** The embedded images, cut down: 300 train, 100 val, a 1-hidden-layer net, 1 epoch of 6 steps. */
export function imageConfig(patch: ExperimentPatch = {}): ExperimentConfig {
  const base = overrideExperiment(defaultExperiment, {
    data: { dataset: 'embedded', numTrain: 300, numVal: 100 },
    model: { hiddenDims: [32] },
    solver: { numEpochs: 1, batchSize: 50, numTrainSamples: 100 },
  });
  return overrideExperiment(base, patch);
}

export interface Harness {
  trainer: Trainer;
  messages: Response[];
  /** The messages of one type, in order. */
  of<T extends Response['type']>(type: T): Extract<Response, { type: T }>[];
  /** Resolves when a message matching `test` arrives (or has arrived since `from`); rejects after `ms`. */
  waitFor(test: (m: Response) => boolean, ms?: number, from?: number): Promise<Response>;
}

export function harness(): Harness {
  const messages: Response[] = [];
  const waiters: { test: (m: Response) => boolean; resolve: (m: Response) => void }[] = [];
  const trainer = new Trainer({
    post: (m) => {
      messages.push(m);
      for (const w of [...waiters]) {
        if (w.test(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    },
    loadRaw: nodeLoader,
    flushMs: 0,
  });
  return {
    trainer,
    messages,
    of: <T extends Response['type']>(type: T) =>
      messages.filter((m): m is Extract<Response, { type: T }> => m.type === type),
    waitFor(test, ms = 20_000, from = messages.length) {
      const seen = messages.slice(from).find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out after ${ms} ms waiting for a message`)),
          ms,
        );
        waiters.push({
          test,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
  };
}
