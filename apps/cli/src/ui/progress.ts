// Training progress on stderr: a cli-progress bar with loss, iterations/s and ETA when stderr is a
// terminal; otherwise (pipes, CI, tests) a plain line every `printEvery` iterations and at the end.
import { MultiBar, type SingleBar } from 'cli-progress';
import { formatSeconds } from './format';

/** What the bar shows after each iteration. */
export interface ProgressState {
  iteration: number;
  epoch: number;
  loss: number;
}

/** A progress display for one training run of `total` iterations, resumed at `start`. */
export class TrainingProgress {
  private readonly multi: MultiBar | null;
  private readonly bar: SingleBar | null;
  private readonly startTime = performance.now();
  private nextLineAt: number;
  private readonly lineEvery: number;

  constructor(
    stream: NodeJS.WritableStream | null,
    private readonly writeLine: (text: string) => void,
    private readonly total: number,
    private readonly numEpochs: number,
    private readonly start: number,
    printEvery: number,
  ) {
    this.lineEvery = printEvery;
    this.nextLineAt = (Math.floor(start / printEvery) + 1) * printEvery;
    if (stream) {
      this.multi = new MultiBar({
        stream,
        format:
          'train |{bar}| {percentage}% {value}/{total} | epoch {epochText} | loss {lossText} | {rate} it/s | ETA {eta_formatted}',
        barCompleteChar: '\u2588',
        barIncompleteChar: '\u2591',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 10,
      });
      this.bar = this.multi.create(
        total,
        start,
        this.payload({ iteration: start, epoch: 0, loss: Number.NaN }),
      );
    } else {
      this.multi = null;
      this.bar = null;
    }
  }

  /** Iterations per second since this display started (resumed iterations excluded). */
  rate(iteration: number): number {
    const seconds = (performance.now() - this.startTime) / 1000;
    return seconds > 0 ? (iteration - this.start) / seconds : 0;
  }

  /** Advances the display to `state.iteration`. */
  update(state: ProgressState): void {
    if (this.bar) {
      this.bar.update(state.iteration, this.payload(state));
    } else if (state.iteration >= this.nextLineAt || state.iteration === this.total) {
      this.nextLineAt = state.iteration + this.lineEvery;
      const rate = this.rate(state.iteration);
      const eta = rate > 0 ? formatSeconds((this.total - state.iteration) / rate) : '-';
      this.writeLine(
        `iteration ${state.iteration}/${this.total}  epoch ${state.epoch}/${this.numEpochs}  loss ${state.loss.toFixed(4)}  ${rate.toFixed(1)} it/s  ETA ${eta}\n`,
      );
    }
  }

  /** Prints a line above the bar (or just a line, without a terminal). */
  log(text: string): void {
    if (this.multi) this.multi.log(text.endsWith('\n') ? text : `${text}\n`);
    else this.writeLine(text);
  }

  /** Prints the lines still waiting to go above the bar, and removes the bar. */
  stop(): void {
    // MultiBar.log() buffers until the next redraw: force one, or the last epoch's row is lost.
    this.multi?.update();
    this.multi?.stop();
  }

  private payload(state: ProgressState) {
    return {
      epochText: `${Math.min(state.epoch + 1, this.numEpochs)}/${this.numEpochs}`,
      lossText: Number.isFinite(state.loss) ? state.loss.toFixed(4) : '-',
      rate: this.rate(state.iteration).toFixed(1),
    };
  }
}
