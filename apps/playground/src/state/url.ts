// The experiment in the URL, so a link reproduces a run (same seed, same numbers). The query format
// is @backprop/experiment's (the CLI's field names); this file adds only what a browser cannot do:
// it has the embedded image subset and the toy sets, and no data directory.
import {
  cloneConfig,
  defaultExperiment,
  type ExperimentConfig,
  experimentFromQuery,
  experimentToQuery,
} from '@backprop/experiment';

/** The datasets a browser can load: the embedded Fashion-MNIST subset and the generated 2-D sets. */
export const PLAYGROUND_DATASETS = ['embedded', 'spiral', 'circles', 'xor', 'gaussian'] as const;
export type PlaygroundDataset = (typeof PLAYGROUND_DATASETS)[number];

/** True for the datasets the playground can train on. */
export function isPlaygroundDataset(name: string): name is PlaygroundDataset {
  return (PLAYGROUND_DATASETS as readonly string[]).includes(name);
}

/**
 * The experiment a query string (`location.search`) describes, and a notice for each field that
 * could not be used. Never throws: a bad or outdated link opens with the defaults where it fails.
 */
export function configFromUrl(search: string): { config: ExperimentConfig; notices: string[] } {
  const { config, notices } = experimentFromQuery(search);
  const out = cloneConfig(config);
  const result = [...notices];
  if (!isPlaygroundDataset(out.data.dataset)) {
    result.push(
      `dataset=${out.data.dataset} is not available in the browser; using the default ${defaultExperiment.data.dataset}`,
    );
    out.data.dataset = defaultExperiment.data.dataset;
  }
  if (out.data.dataDir !== undefined) {
    result.push('data-dir is ignored in the browser (the playground has no file system)');
    delete out.data.dataDir;
  }
  return { config: out, notices: result };
}

/** The query string (with its `?`, or '' for the defaults) that reproduces `config`. */
export function urlForConfig(config: ExperimentConfig): string {
  const query = experimentToQuery(config);
  return query === '' ? '' : `?${query}`;
}
