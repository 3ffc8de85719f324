// Issue 9: long runs and hostile resumes.
// - Soak: 20,000 training steps of a small FullyConnectedNet (2-16-16-3, batchnorm + dropout, adam,
//   batch 16) in one process, with the heap measured after forced collections at step 2,000 and at the
//   end. SOAK_STEPS=<n> changes the count (e.g. SOAK_STEPS=200000 for a longer local soak).
// - Loading writes nothing: Solver.resume on hostile checkpoints inside a scratch working directory
//   leaves that directory as it was, and a checkpoint cannot choose where fileCheckpointWriter writes.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FullyConnectedNet } from '@backprop/models';
import {
  BackpropError,
  FormatError,
  Rng,
  readSafetensors,
  Tensor,
  ValueError,
  writeSafetensors,
} from '@backprop/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Solver } from '../src/index';
import { fileCheckpointWriter } from '../src/node';

/** Three Gaussian blobs in 2-D, `perClass` points each, seeded: a set a 2-16-16-3 net learns easily. */
function blobs(perClass: number, seed: number): { X: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const centres = [
    [0, 2],
    [-1.7, -1],
    [1.7, -1],
  ];
  const n = 3 * perClass;
  const X = new Float64Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    X[2 * i] = centres[c][0] + 0.6 * rng.normal();
    X[2 * i + 1] = centres[c][1] + 0.6 * rng.normal();
  }
  return { X: new Tensor(X, [n, 2]), y };
}

/**
 * A full garbage collection, when one can be forced: `--expose-gc` switched on at run time and the `gc`
 * function taken from a fresh context (vitest's workers do not start with the flag). Null otherwise.
 */
function findGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** heapUsed after forced collections, or (without gc) the minimum of a few samples. */
function heapUsed(gc: (() => void) | null): number {
  if (gc) {
    for (let i = 0; i < 2; i++) gc();
    return process.memoryUsage().heapUsed;
  }
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) min = Math.min(min, process.memoryUsage().heapUsed);
  return min;
}

const STEPS = Number(process.env.SOAK_STEPS ?? 20_000);
const report: Record<string, unknown> = {};
afterAll(() => {
  console.info(`soak: ${JSON.stringify(report)}`);
});

describe('Solver soak', () => {
  it(`${STEPS} steps of a 2-16-16-3 batchnorm + dropout net with adam: heap flat, loss down`, () => {
    expect(Number.isInteger(STEPS) && STEPS >= 4000).toBe(true);
    const train = blobs(160, 1); // 480 points: 30 steps of 16 per epoch
    const val = blobs(40, 2);
    const model = new FullyConnectedNet({
      hiddenDims: [16, 16],
      inputDim: 2,
      numClasses: 3,
      normalization: 'batchnorm',
      dropout: 0.9,
      weightScale: 0.1,
      reg: 1e-4,
      dtype: 'float64',
      seed: 3,
    });
    const itersPerEpoch = 30;
    const solver = new Solver(
      model,
      { XTrain: train.X, yTrain: train.y, XVal: val.X, yVal: val.y },
      {
        updateRule: 'adam',
        optimConfig: { learningRate: 3e-3 },
        lrDecay: 0.999,
        batchSize: 16,
        numEpochs: Math.ceil(STEPS / itersPerEpoch),
        numTrainSamples: 120,
        verbose: false,
        seed: 4,
      },
    );
    const gc = findGc();
    const samples: { step: number; heap: number }[] = [];
    const warmup = Math.round(STEPS / 10);
    let firstLosses = 0;
    let lastLosses = 0;
    for (let step = 1; step <= STEPS; step++) {
      const loss = solver.step();
      if (step <= 200) firstLosses += loss;
      if (step > STEPS - 200) lastLosses += loss;
      if (step % warmup === 0) samples.push({ step, heap: heapUsed(gc) });
    }
    const atWarmup = samples[0].heap;
    const atEnd = samples[samples.length - 1].heap;
    const growth = atEnd - atWarmup;
    // The one thing that must grow: lossHistory keeps every step's loss (CS231n's loss_history), a
    // packed double array of (STEPS - warmup) * 8 bytes more, up to 1.5x for its spare capacity, plus
    // the per-epoch accuracy histories (2 numbers an epoch). Everything else (minibatches, caches,
    // gradients, adam moments) must be reused or collected.
    const historyBytes = 1.5 * 8 * (STEPS - warmup) + 2 * 8 * 1.5 * Math.ceil(STEPS / itersPerEpoch);
    Object.assign(report, {
      steps: STEPS,
      forcedGc: gc !== null,
      heapAtWarmupMB: +(atWarmup / 2 ** 20).toFixed(2),
      heapAtEndMB: +(atEnd / 2 ** 20).toFixed(2),
      growthKB: Math.round(growth / 1024),
      historyAllowanceKB: Math.round(historyBytes / 1024),
      samplesMB: samples.map((s) => +(s.heap / 2 ** 20).toFixed(2)),
      meanLossFirst200: +(firstLosses / 200).toFixed(4),
      meanLossLast200: +(lastLosses / 200).toFixed(4),
      bestValAcc: solver.bestValAcc,
    });
    expect(solver.lossHistory.length).toBe(STEPS);
    // The bound: the history allowance (~210 KB at 20,000 steps) plus 1 MB for collector noise and
    // V8's lazily compiled code; a leak of one small tensor (~400 bytes) a step would be 7 MB.
    expect(growth).toBeLessThan(historyBytes + 2 ** 20);
    // And it was training, not idling: the loss fell and the val accuracy is that of a learned set.
    expect(lastLosses).toBeLessThan(0.5 * firstLosses);
    expect(solver.bestValAcc).toBeGreaterThan(0.9);
    // ~20 s alone on the shared 2-core dev machine, ~45 s beside the other solver test files.
  }, 180_000);
});

describe('loading writes nothing', () => {
  /** Every path under `dir` with its size and mtime, to compare before and after. */
  function listing(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        const s = statSync(p);
        out.push(`${p} ${s.size} ${s.mtimeMs}`);
      }
    };
    walk(dir);
    return out.sort();
  }

  function smallRun() {
    const data = blobs(20, 5);
    const model = new FullyConnectedNet({
      hiddenDims: [4],
      inputDim: 2,
      numClasses: 3,
      normalization: 'batchnorm',
      dropout: 0.8,
      weightScale: 0.1,
      dtype: 'float64',
      seed: 1,
    });
    const solverData = { XTrain: data.X, yTrain: data.y, XVal: data.X, yVal: data.y };
    const solver = new Solver(model, solverData, {
      updateRule: 'adam',
      batchSize: 10,
      numEpochs: 3,
      checkpointName: 'run',
      verbose: false,
      seed: 2,
    });
    for (let i = 0; i < 7; i++) solver.step();
    return { solver, solverData };
  }

  it('Solver.resume on 600 mutated checkpoints in a scratch cwd: BackpropErrors only, no file appears', () => {
    const { solver, solverData } = smallRun();
    const good = solver.checkpoint();
    const dir = mkdtempSync(join(tmpdir(), 'backprop-soak-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const before = listing(dir);
      const rng = new Rng(11);
      let resumed = 0;
      let rejected = 0;
      for (let i = 0; i < 600; i++) {
        const bytes = good.slice();
        const kind = i % 3;
        if (kind === 0)
          for (let k = 0; k < 3; k++) bytes[rng.integer(0, bytes.length)] ^= 1 << rng.integer(0, 8);
        else if (kind === 1) bytes[rng.integer(8, 8 + 200)] ^= 1 << rng.integer(0, 8);
        try {
          Solver.resume(kind === 2 ? bytes.subarray(0, rng.integer(0, bytes.length)) : bytes, solverData);
          resumed++;
        } catch (e) {
          if (!(e instanceof BackpropError)) throw e;
          rejected++;
        }
      }
      expect(listing(dir)).toEqual(before);
      expect(resumed + rejected).toBe(600);
      expect(rejected).toBeGreaterThan(300);
      Object.assign(report, { resumeFuzz: { resumed, rejected } });
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Solver.resume with every field of the 'solver' metadata set to hostile values: BackpropErrors only", () => {
    const { solver, solverData } = smallRun();
    const file = readSafetensors(solver.checkpoint());
    const meta = JSON.parse(file.metadata.solver) as unknown;
    // Every path into the metadata JSON (counters, histories, optimizer scalars, rng, options, data sizes).
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      if (p.length > 0) paths.push(p);
      if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(meta, []);
    const hostile: unknown[] = [
      1e308,
      -1,
      0.5,
      2 ** 53 + 2,
      null,
      'x',
      [],
      {},
      [1e9],
      '../../etc/passwd',
      JSON.parse('{"__proto__":{"polluted":1}}'),
      'DEEP',
    ];
    let resumed = 0;
    let rejected = 0;
    for (const p of paths) {
      for (const h of hostile) {
        const m = JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
        let o = m;
        for (const k of p.slice(0, -1)) o = o[k] as Record<string, unknown>;
        o[p[p.length - 1]] = h;
        let text = JSON.stringify(m);
        if (h === 'DEEP') text = text.replace('"DEEP"', `${'['.repeat(50_000)}${']'.repeat(50_000)}`);
        const bytes = writeSafetensors(file.tensors, { ...file.metadata, solver: text });
        try {
          Solver.resume(bytes, solverData);
          resumed++;
        } catch (e) {
          if (!(e instanceof BackpropError)) {
            throw new Error(
              `solver.${p.join('.')} = ${String(h).slice(0, 20)}: ${(e as Error).constructor.name} ${(e as Error).message}`,
            );
          }
          rejected++;
        }
      }
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(paths.length).toBeGreaterThan(40);
    expect(rejected).toBeGreaterThan(paths.length * 4);
    Object.assign(report, { hostileSolverMeta: { paths: paths.length, resumed, rejected } });
  });

  it('restore refuses optimizer configs the update rule would refuse, before changing anything', () => {
    const { solver, solverData } = smallRun();
    const file = readSafetensors(solver.checkpoint());
    const meta = JSON.parse(file.metadata.solver) as {
      optimConfigs: Record<string, Record<string, unknown>>;
    };
    const cases: [string, unknown, string][] = [
      ['t', -1, 'adam: config.t must be an integer >= 0, got -1'],
      ['learningRate', 'x', "adam: config.learningRate must be a finite number > 0, got 'x'"],
      ['beta1', 1e308, 'adam: config.beta1 must be a finite number in [0, 1), got 1e+308'],
    ];
    for (const [key, value, inner] of cases) {
      const edited = JSON.parse(JSON.stringify(meta)) as typeof meta;
      edited.optimConfigs.W1[key] = value;
      const bytes = writeSafetensors(file.tensors, { ...file.metadata, solver: JSON.stringify(edited) });
      const { solver: target } = smallRun();
      const before = Array.from(target.model.params.W1.data);
      const iteration = target.lossHistory.length;
      let error: unknown;
      try {
        target.restore(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FormatError);
      expect((error as Error).message).toBe(
        `Solver.restore: bytes has an optimizer config for 'W1' that adam refuses (${inner})`,
      );
      expect(Array.from(target.model.params.W1.data)).toEqual(before);
      expect(target.lossHistory.length).toBe(iteration);
      expect(() => Solver.resume(bytes, solverData)).toThrow(FormatError);
    }
  });

  it("a checkpoint's stored checkpointName cannot make fileCheckpointWriter write outside its directory", () => {
    const root = mkdtempSync(join(tmpdir(), 'backprop-soak-'));
    const dir = join(root, 'runs');
    mkdirSync(dir);
    try {
      const { solverData } = smallRun();
      for (const hostile of ['../escaped', `${root}/absolute`, 'a/../../escaped2', '/tmp/../../escaped3']) {
        // A run whose stored options carry a hostile checkpointName (as a crafted file would).
        const { solver } = smallRun();
        const crafted = new Solver(solver.model, solverData, {
          updateRule: 'adam',
          batchSize: 10,
          numEpochs: 3,
          checkpointName: hostile,
          verbose: false,
          seed: 2,
        }).checkpoint();
        const resumed = Solver.resume(crafted, solverData, { checkpointWriter: fileCheckpointWriter(dir) });
        let error: unknown;
        try {
          for (let i = 0; i < 6; i++) resumed.step(); // the epoch end (6 steps of 10 from 60 points) writes
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ValueError);
        expect((error as Error).message).toBe(
          `fileCheckpointWriter: name '${hostile}_epoch_1.safetensors' resolves outside the checkpoint directory ${resolve(dir)}; use a plain file name (is checkpointName from an untrusted file?)`,
        );
        expect(readdirSync(root)).toEqual(['runs']);
        expect(readdirSync(dir)).toEqual([]);
      }
      // A name inside the directory (a subfolder the caller made) still works.
      const { solver } = smallRun();
      const inside = new Solver(solver.model, solverData, {
        updateRule: 'adam',
        batchSize: 10,
        numEpochs: 1,
        checkpointName: 'sub/../ok',
        checkpointWriter: fileCheckpointWriter(dir),
        verbose: false,
        seed: 2,
      });
      inside.train();
      expect(readdirSync(dir)).toEqual(['ok_epoch_1.safetensors']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
