export { evalNumericalGradient, evalNumericalGradientArray, type NumericalGradientOptions } from './numerical';
export { relError } from './rel-error';
export { gradCheckSparse, type SparseCheck, type GradCheckSparseOptions } from './sparse';
