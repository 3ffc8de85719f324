// The trainer behind the worker: turns page requests into library calls on one run (prepared data,
// model, Solver) and posts progress back. It has no DOM and no `self`: the worker entry hands it a
// `post` function and a dataset loader, and the tests drive it the same way in Node.
import type { RawDataset } from '@backprop/data';
import {
  buildModel,
  buildSolver,
  type ExperimentConfig,
  experimentCheckpointExtra,
  type PreparedData,
  prepareData,
  readExperimentCheckpoint,
  validateExperiment,
} from '@backprop/experiment';
import type { Model } from '@backprop/models';
import type { Solver } from '@backprop/solver';
import { BackpropError, ValueError } from '@backprop/tensor';
import { runGradCheck } from './gradcheck';
import type { AccuracyCheck, Histories, Request, Response, RunInfo, RunStatus, View } from './protocol';
import {
  boundaryView,
  filtersView,
  pointsOf,
  samplePredictions,
  type ToyFrame,
  testView,
  toyFrame,
} from './views';

/** Test images shown in the image grid. */
export const SAMPLE_COUNT = 24;
/**
 * Test images scored for the confusion matrix and test accuracy (the first ones of the split). A
 * convnet forward pass costs far more (about 2 s per 1,000 images of the default convnet on this
 * project's 2-core machine, as long as a training step), so it scores fewer, to keep pause quick.
 */
export const TEST_LIMIT = { fc: 1000, 'two-layer': 1000, convnet: 300 } as const;

export interface TrainerDeps {
  /** Sends one message to the page (`postMessage` in the worker). */
  post: (message: Response, transfer?: Transferable[]) => void;
  /** The raw dataset of `config.data` (fetches the embedded files in a browser). */
  loadRaw: (config: ExperimentConfig) => Promise<RawDataset>;
  /** Milliseconds between progress messages while playing. Default 80. */
  flushMs?: number;
  /** Clock; default performance.now. */
  now?: () => number;
}

interface Run {
  config: ExperimentConfig;
  raw: RawDataset;
  data: PreparedData;
  model: Model;
  solver: Solver;
  toy: ToyFrame | null;
  info: RunInfo;
}

/**
 * One training run at a time, driven by `handle(request)`.
 * - 'init' / 'load' build a run (asynchronously: data may be fetched) and answer 'ready';
 * - 'play' trains with `solver.trainAsync` in ~16 ms slices, so 'pause' and the other requests are
 *   handled between slices; 'pause' is `solver.stop()` (resumable at the next 'play');
 * - any failure answers 'error' and leaves status 'error' until the next 'init'.
 */
export class Trainer {
  private readonly deps: Required<TrainerDeps>;
  private run: Run | null = null;
  private status: RunStatus = 'loading';
  /** Bumped by every init/load, so callbacks of an older run post nothing. */
  private generation = 0;
  private readonly rawCache = new Map<string, Promise<RawDataset>>();
  private pendingLosses: number[] = [];
  /** The iteration of the last loss in pendingLosses (they are consecutive). */
  private lastLossIteration = 0;
  private pendingChecks: AccuracyCheck[] = [];
  private lastFlush = 0;
  private learningRate: number | null = null;

  constructor(deps: TrainerDeps) {
    this.deps = {
      flushMs: 80,
      now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
      ...deps,
    };
  }

  /** The current status (for tests and the worker entry). */
  get state(): RunStatus {
    return this.status;
  }

  /** The current run's solver, if any (for tests). */
  get solver(): Solver | null {
    return this.run?.solver ?? null;
  }

  /** Handles one request. Never throws: failures are posted as 'error'. Resolves when the request is done
   * (for 'play', when training started, not when it ends). */
  async handle(request: Request): Promise<void> {
    try {
      switch (request?.type) {
        case 'init':
          await this.init(request.config);
          return;
        case 'load':
          await this.load(request.bytes, request.fileName);
          return;
        case 'play':
          this.play();
          return;
        case 'pause':
          this.run?.solver.stop();
          return;
        case 'step':
          this.step(request.count ?? 1);
          return;
        case 'gradcheck':
          this.gradcheck(request.batchSize ?? 4, request.numChecks ?? 10);
          return;
        case 'checkpoint':
          this.checkpoint();
          return;
        default:
          throw new ValueError(
            'Trainer.handle',
            'request.type',
            `is not a known request: ${String((request as { type?: unknown })?.type)}`,
          );
      }
    } catch (error) {
      this.fail(error, request?.type ?? 'init');
    }
  }

  private async init(input: ExperimentConfig): Promise<void> {
    const generation = ++this.generation;
    this.run?.solver.stop();
    this.run = null;
    this.setStatus('loading');
    const config = validateExperiment(input, 'init');
    const raw = await this.raw(config);
    if (generation !== this.generation) return;
    this.build(config, raw, null);
  }

  private async load(bytes: Uint8Array, fileName = 'checkpoint'): Promise<void> {
    const generation = ++this.generation;
    this.run?.solver.stop();
    this.run = null;
    this.setStatus('loading');
    if (!(bytes instanceof Uint8Array)) {
      throw new ValueError('load', 'bytes', 'must be the Uint8Array contents of a checkpoint file');
    }
    const { config } = readExperimentCheckpoint(bytes, fileName);
    const raw = await this.raw(config);
    if (generation !== this.generation) return;
    this.build(config, raw, bytes);
  }

  /** Data, model and Solver for `config`; restores `checkpoint` into them when given. */
  private build(config: ExperimentConfig, raw: RawDataset, checkpoint: Uint8Array | null): void {
    const data = prepareData(config, raw);
    const model = buildModel(config, data.inputShape, data.numClasses);
    const solver = buildSolver(config, model, data);
    if (checkpoint) solver.restore(checkpoint);
    const toy = raw.kind === 'toy' ? toyFrame(data) : null;
    const info: RunInfo = {
      config,
      kind: raw.kind,
      numTrain: solver.numTrain,
      numVal: solver.numVal,
      numTest: data.XTest.shape[0],
      numClasses: data.numClasses,
      classNames: data.classNames,
      inputShape: data.inputShape,
      iterationsPerEpoch: solver.iterationsPerEpoch,
      numIterations: solver.numIterations,
      params: Object.entries(model.params).map(([name, t]) => ({ name, shape: [...t.shape] })),
    };
    if (toy) info.points = pointsOf(data);
    if (raw.kind === 'images') {
      const count = Math.min(SAMPLE_COUNT, raw.test.count);
      const per = raw.imageShape[0] * raw.imageShape[1] * raw.imageShape[2];
      info.samples = {
        pixels: raw.test.images.slice(0, count * per),
        labels: Int32Array.from(raw.test.labels.subarray(0, count)),
        shape: [...raw.imageShape],
      };
    }
    const run: Run = { config, raw, data, model, solver, toy, info };
    this.run = run;
    const generation = this.generation;
    solver.on('iteration', (e) => {
      if (generation !== this.generation) return;
      this.pendingLosses.push(e.loss);
      this.lastLossIteration = e.iteration;
      if (this.status === 'running' && this.deps.now() - this.lastFlush >= this.deps.flushMs) {
        this.flush(run, false);
      }
    });
    solver.on('epoch', (e) => {
      if (generation !== this.generation) return;
      this.learningRate = e.learningRate;
      this.pendingChecks.push({
        iteration: e.iteration,
        epoch: e.epoch,
        trainAcc: e.trainAcc,
        valAcc: e.valAcc,
      });
      // Epoch ends are where the whole test view is worth its cost.
      if (this.status === 'running') this.flush(run, true);
    });
    this.pendingLosses = [];
    this.pendingChecks = [];
    this.lastLossIteration = solver.iteration;
    this.learningRate =
      (solver.optimConfigs[Object.keys(solver.optimConfigs)[0]]?.learningRate as number) ?? null;
    const history: Histories = {
      losses: [...solver.lossHistory],
      lossStart: 0,
      checks: rebuildChecks(solver),
    };
    const status: RunStatus =
      solver.iteration >= solver.numIterations ? 'done' : solver.iteration > 0 ? 'paused' : 'ready';
    this.status = status;
    this.post({
      type: 'ready',
      info,
      history,
      iteration: solver.iteration,
      epoch: solver.epoch,
      learningRate: this.learningRate,
      status,
      view: this.view(run, true),
    });
  }

  private play(): void {
    const run = this.requireRun('play');
    if (this.status === 'running' || this.status === 'done') return;
    const generation = this.generation;
    this.setStatus('running');
    this.lastFlush = this.deps.now();
    run.solver.trainAsync({ sliceMs: 16 }).then(
      (result) => {
        if (generation !== this.generation) return;
        this.flush(run, true);
        this.setStatus(result.status === 'done' ? 'done' : 'paused');
      },
      (error) => {
        if (generation !== this.generation) return;
        this.fail(error, 'play');
      },
    );
  }

  private step(count: number): void {
    const run = this.requireRun('step');
    if (!Number.isInteger(count) || count < 1) {
      throw new ValueError('step', 'count', `must be an integer >= 1, got ${count}`);
    }
    if (this.status === 'running' || this.status === 'done') return;
    const { solver } = run;
    for (let i = 0; i < count && solver.iteration < solver.numIterations; i++) solver.step();
    this.flush(run, true);
    this.setStatus(solver.iteration >= solver.numIterations ? 'done' : 'paused');
  }

  private gradcheck(batchSize: number, numChecks: number): void {
    const run = this.requireRun('gradcheck');
    const result = runGradCheck(run.config, run.model, run.data, { batchSize, numChecks });
    this.post({ type: 'gradcheck', ...result });
  }

  private checkpoint(): void {
    const run = this.requireRun('checkpoint');
    const bytes = run.solver.checkpoint(experimentCheckpointExtra(run.config, run.data));
    const c = run.config;
    const fileName = `backprop-${c.data.dataset}-${c.model.type}-seed${c.seed}-iter${run.solver.iteration}.safetensors`;
    this.post({ type: 'checkpoint', bytes, fileName }, [bytes.buffer as ArrayBuffer]);
  }

  /** Posts the losses and checks gathered since the last flush, with a fresh view. */
  private flush(run: Run, full: boolean): void {
    const { solver } = run;
    this.lastFlush = this.deps.now();
    const history: Histories = {
      losses: this.pendingLosses,
      lossStart: this.lastLossIteration - this.pendingLosses.length,
      checks: this.pendingChecks,
    };
    this.pendingLosses = [];
    this.pendingChecks = [];
    this.post({
      type: 'progress',
      iteration: solver.iteration,
      epoch: solver.epoch,
      numIterations: solver.numIterations,
      learningRate: this.learningRate,
      history,
      view: this.view(run, full),
    });
  }

  /** What the page draws. The image test view (TEST_LIMIT images) is costly: only when `full`. */
  private view(run: Run, full: boolean): View {
    const view: View = {};
    if (run.toy) {
      view.boundary = boundaryView(run.model, run.toy);
      view.test = testView(run.model, run.data, run.data.XTest.shape[0]);
    } else {
      if (full) view.test = testView(run.model, run.data, TEST_LIMIT[run.config.model.type]);
      const samples = samplePredictions(run.model, run.data, run.info.samples?.labels.length ?? 0);
      if (view.test) view.test.samplePredictions = samples;
      else
        view.test = {
          accuracy: Number.NaN,
          count: 0,
          confusion: new Int32Array(0),
          samplePredictions: samples,
        };
      const filters = filtersView(run.model);
      if (filters) view.filters = filters;
    }
    return view;
  }

  private requireRun(during: string): Run {
    if (this.status === 'error') {
      throw new ValueError(during, 'run', 'has failed; press Reset to start again');
    }
    if (!this.run) throw new ValueError(during, 'run', 'is still loading; wait for it to be ready');
    return this.run;
  }

  private raw(config: ExperimentConfig): Promise<RawDataset> {
    const key = config.data.dataset;
    let raw = this.rawCache.get(key);
    if (!raw) {
      raw = this.deps.loadRaw(config);
      this.rawCache.set(key, raw);
      // A failed load is not cached: the next Reset tries again.
      raw.catch(() => this.rawCache.delete(key));
    }
    return raw;
  }

  private setStatus(status: RunStatus, message?: string): void {
    this.status = status;
    this.post(message === undefined ? { type: 'status', status } : { type: 'status', status, message });
  }

  private fail(error: unknown, during: Request['type']): void {
    this.run?.solver.stop();
    this.status = 'error';
    // The Solver puts the best parameters back after a non-finite step: show what the model is now.
    if (this.run) {
      try {
        this.flush(this.run, true);
      } catch {
        // a model that cannot even be scored: the error below says why
      }
    }
    const message =
      error instanceof BackpropError || error instanceof Error
        ? error.message
        : `unexpected failure: ${String(error)}`;
    this.post({ type: 'error', message, during });
    this.post({ type: 'status', status: 'error', message });
  }

  private post(message: Response, transfer: Transferable[] = []): void {
    this.deps.post(message, transfer);
  }
}

/** The accuracy checks of a restored solver: the first iteration, then one per epoch end. */
function rebuildChecks(solver: Solver): AccuracyCheck[] {
  return solver.trainAccHistory.map((trainAcc, k) => ({
    iteration: k === 0 ? 1 : Math.min(k * solver.iterationsPerEpoch, solver.numIterations),
    epoch: k,
    trainAcc,
    valAcc: solver.valAccHistory[k],
  }));
}
