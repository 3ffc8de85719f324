export { buildModel, buildSolver } from './build';
export {
  EXPERIMENT_METADATA_KEY,
  type ExperimentCheckpoint,
  experimentCheckpointExtra,
  MEAN_TENSOR_NAME,
  readExperimentCheckpoint,
} from './checkpoint';
export {
  cloneConfig,
  type DataConfig,
  defaultExperiment,
  EXPERIMENT_DTYPES,
  type ExperimentConfig,
  type ExperimentField,
  type ExperimentPatch,
  experimentFields,
  experimentSeeds,
  MODEL_TYPES,
  type ModelConfig,
  type ModelType,
  NORMALIZATIONS,
  type Normalization,
  overrideExperiment,
  parseExperiment,
  type SolverConfig,
  UPDATE_RULES,
  type UpdateRuleName,
  validateExperiment,
} from './config';
export { type PreparedData, prepareData } from './prepare';
export { experimentFromQuery, experimentToQuery, type QueryResult } from './query';
