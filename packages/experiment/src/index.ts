export { buildModel, buildSolver } from './build';
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
