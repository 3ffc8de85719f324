// Property tests run with a fixed fast-check seed so CI is reproducible; explore new cases with
// FC_SEED=<n> (or FC_SEED=random) and pin any counterexample as a plain test.
import fc from 'fast-check';

const raw = process.env.FC_SEED;
if (raw !== 'random') fc.configureGlobal({ seed: raw ? Number(raw) : 231 });
