export {
  evalNumericalGradient,
  evalNumericalGradientArray,
  type NumericalGradientOptions,
} from './numerical';
export { relError } from './rel-error';
export { type GradCheckSparseOptions, gradCheckSparse, type SparseCheck } from './sparse';
