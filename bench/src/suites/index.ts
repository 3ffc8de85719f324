// Every benchmark suite, in the order `pnpm bench` runs them.
import type { Suite } from '../harness';
import { conv } from './conv';
import { gemm } from './gemm';
import { steps } from './steps';

export const suites: Suite[] = [gemm, conv, steps];
