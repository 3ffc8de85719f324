// The run's buttons and numbers: play/pause, one step, reset; progress; the accuracies; and the
// ways to keep a run: a link, a checkpoint download, a checkpoint upload.
import type { AppState } from '../state/app-state';
import { el, percent } from './dom';

export interface RunActions {
  play(): void;
  pause(): void;
  step(): void;
  reset(): void;
  download(): void;
  load(file: File): void;
  share(): void;
}

export class RunBar {
  private readonly playButton: HTMLButtonElement;
  private readonly stepButton: HTMLButtonElement;
  private readonly downloadButton: HTMLButtonElement;
  private readonly statusText = el('span', { class: 'status', 'data-testid': 'status' });
  private readonly progress = el('progress', { max: 1, value: 0 });
  private readonly counters = el('span', { class: 'counters', 'data-testid': 'counters' });
  private readonly metrics = el('div', { class: 'metrics' });
  private readonly shareNote = el('span', { class: 'hint', role: 'status' });
  private playing = false;

  constructor(root: HTMLElement, actions: RunActions) {
    this.playButton = el(
      'button',
      {
        class: 'primary',
        'data-testid': 'play',
        onclick: () => (this.playing ? actions.pause() : actions.play()),
      },
      'Play',
    );
    this.stepButton = el(
      'button',
      { class: 'secondary', 'data-testid': 'step', onclick: actions.step },
      'Step',
    );
    const reset = el(
      'button',
      { class: 'secondary', 'data-testid': 'reset', onclick: actions.reset },
      'Reset',
    );
    this.downloadButton = el(
      'button',
      { class: 'secondary', 'data-testid': 'download', onclick: actions.download },
      'Download checkpoint',
    );
    const fileInput = el('input', {
      type: 'file',
      accept: '.safetensors',
      'data-testid': 'load-file',
      class: 'visually-hidden',
      onchange: (e: Event) => {
        const input = e.target as HTMLInputElement;
        const file = input.files?.[0];
        if (file) actions.load(file);
        input.value = '';
      },
    });
    const loadLabel = el('label', { class: 'button secondary' }, 'Load checkpoint', fileInput);
    const share = el(
      'button',
      {
        class: 'secondary',
        'data-testid': 'share',
        onclick: () => {
          actions.share();
          this.shareNote.textContent = 'Link copied';
          setTimeout(() => {
            this.shareNote.textContent = '';
          }, 2000);
        },
      },
      'Copy link',
    );
    root.append(
      el('div', { class: 'run-buttons' }, this.playButton, this.stepButton, reset, this.statusText),
      el('div', { class: 'run-progress' }, this.progress, this.counters),
      this.metrics,
      el('div', { class: 'keep' }, share, this.downloadButton, loadLabel, this.shareNote),
    );
  }

  update(state: AppState): void {
    this.playing = state.status === 'running';
    this.playButton.textContent = this.playing ? 'Pause' : 'Play';
    this.playButton.dataset.state = state.status;
    const idle = state.status === 'ready' || state.status === 'paused';
    this.playButton.disabled = !(idle || this.playing);
    this.stepButton.disabled = !idle;
    this.downloadButton.disabled = !state.info || state.status === 'loading' || state.status === 'error';
    this.statusText.textContent = STATUS_TEXT[state.status];
    this.statusText.dataset.status = state.status;
    this.progress.value = state.numIterations === 0 ? 0 : state.iteration / state.numIterations;
    const lr = state.learningRate === null ? '' : ` · lr ${state.learningRate.toPrecision(3)}`;
    this.counters.textContent = `iteration ${state.iteration} / ${state.numIterations} · epoch ${state.epoch} / ${state.config.solver.numEpochs}${lr}`;
    const last = state.checks.at(-1);
    const loss = state.losses.at(-1);
    this.metrics.replaceChildren(
      metric('Loss', loss === undefined ? '–' : loss.toFixed(3), 'loss'),
      metric('Train acc', percent(last?.trainAcc), 'train-acc'),
      metric('Val acc', percent(last?.valAcc), 'val-acc'),
      metric('Test acc', percent(state.view.test?.accuracy), 'test-acc'),
    );
  }
}

const STATUS_TEXT: Record<AppState['status'], string> = {
  loading: 'Loading…',
  ready: 'Ready',
  running: 'Training…',
  paused: 'Paused',
  done: 'Done',
  error: 'Error',
};

function metric(label: string, value: string, id: string): HTMLElement {
  return el(
    'div',
    { class: 'metric' },
    el('span', { class: 'value', 'data-testid': id }, value),
    el('span', {}, label),
  );
}
