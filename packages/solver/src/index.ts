export {
  type ConfigScalar,
  readCheckpointInfo,
  SOLVER_FORMAT_VERSION,
  type SolverCheckpointMeta,
  type StoredSolverOptions,
} from './checkpoint';
export { NonFiniteError, type NonFiniteSource } from './errors';
export type {
  CheckpointEvent,
  DoneEvent,
  EpochEvent,
  IterationEvent,
  SolverEventName,
  SolverEvents,
  SolverListener,
} from './events';
export {
  type CheckpointExtra,
  type CheckpointWriter,
  type ResolvedSolverOptions,
  SOLVER_OPTION_DEFAULTS,
  type SolverData,
  type SolverOptions,
} from './options';
export {
  type ResumeOptions,
  Solver,
  type SolverState,
  type TrainAsyncOptions,
  type TrainResult,
} from './solver';
export { yieldToEventLoop } from './yield';
