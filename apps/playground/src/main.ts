// The page: reads the experiment from the URL, starts the trainer worker, and wires the panels to
// the state. The worker trains; this file only sends intents and draws what comes back.
import type { ExperimentConfig } from '@backprop/experiment';
import { type AppState, applyResponse, initialState, Store } from './state/app-state';
import { configFromUrl, urlForConfig } from './state/url';
import { BoundaryPanel } from './ui/boundary';
import { Charts } from './ui/charts';
import { ConfusionPanel } from './ui/confusion';
import { Controls } from './ui/controls';
import { el, replaceChildren } from './ui/dom';
import { FiltersPanel } from './ui/filters';
import { GradCheckPanel } from './ui/gradcheck';
import { ImagesPanel } from './ui/images';
import { RunBar } from './ui/run-bar';
import './style.css';
import type { Request, Response } from './worker/protocol';

const byId = (id: string) => document.getElementById(id) as HTMLElement;

const { config, notices } = configFromUrl(location.search);
const store = new Store(initialState(config, notices));

// ---- the worker ----

let worker: Worker;

function startWorker(): void {
  worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
  worker.onmessage = (event: MessageEvent<Response>) => {
    const message = event.data;
    if (message.type === 'checkpoint') saveFile(message.bytes, message.fileName);
    store.set(applyResponse(store.state, message));
  };
  // An uncaught failure inside the worker (not a reported error): show it; Reset starts a new worker.
  worker.onerror = (event) => {
    event.preventDefault();
    store.update({ status: 'error', error: `the trainer stopped: ${event.message || 'unknown error'}` });
  };
}

function send(request: Request, transfer: Transferable[] = []): void {
  worker.postMessage(request, transfer);
}

function run(next: ExperimentConfig): void {
  store.update({ config: next, status: 'loading', error: null, gradcheck: null, checking: false });
  send({ type: 'init', config: next });
}

function saveFile(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = el('a', { href: url, download: fileName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Rebuilds the run from the current config; after a crash of the worker itself, in a new worker. */
function reset(): void {
  if (store.state.error?.startsWith('the trainer stopped')) {
    worker.terminate();
    startWorker();
  }
  run(store.state.config);
}

// ---- the panels ----

const controls = new Controls(byId('controls'), { onConfig: run });
const runBar = new RunBar(byId('run'), {
  play: () => send({ type: 'play' }),
  pause: () => send({ type: 'pause' }),
  step: () => send({ type: 'step' }),
  reset,
  download: () => send({ type: 'checkpoint' }),
  load: (file) => {
    store.update({ status: 'loading', error: null });
    file.arrayBuffer().then(
      (buffer) => send({ type: 'load', bytes: new Uint8Array(buffer), fileName: file.name }, [buffer]),
      (error: Error) =>
        store.update({ status: 'error', error: `could not read ${file.name}: ${error.message}` }),
    );
  },
  share: () => {
    void navigator.clipboard?.writeText(location.href).catch(() => undefined);
  },
});
const view = byId('view');
const boundaryBox = el('div', { class: 'view-box' });
const imagesBox = el('div', { class: 'view-box' });
const filtersBox = el('div', { class: 'view-box' });
view.append(boundaryBox, imagesBox, filtersBox);
const boundary = new BoundaryPanel(boundaryBox);
const images = new ImagesPanel(imagesBox);
const filters = new FiltersPanel(filtersBox);
const charts = new Charts(byId('charts'));
const confusion = new ConfusionPanel(byId('confusion'));
const gradcheck = new GradCheckPanel(byId('gradcheck'), () => {
  store.update({ checking: true });
  send({ type: 'gradcheck' });
});

// ---- drawing, at most once per frame ----

let drawn: AppState | null = null;
let frame = 0;

function draw(): void {
  frame = 0;
  const state = store.state;
  const previous = drawn;
  drawn = state;
  controls.render(state.config);
  runBar.update(state);
  charts.update(state);
  gradcheck.update(state);
  if (state.config !== previous?.config) {
    const url = urlForConfig(state.config) || location.pathname;
    if (url !== location.search) history.replaceState(null, '', url);
  }
  if (state.notices !== previous?.notices) {
    replaceChildren(
      byId('notices'),
      ...state.notices.map((n) =>
        el(
          'p',
          { class: 'notice' },
          `The link had a problem: ${n}.`,
          el(
            'button',
            { class: 'icon', 'aria-label': 'Dismiss', onclick: () => store.update({ notices: [] }) },
            '×',
          ),
        ),
      ),
    );
  }
  const errorBox = byId('error');
  errorBox.hidden = state.error === null;
  if (state.error !== previous?.error && state.error !== null) {
    replaceChildren(
      errorBox,
      el('strong', {}, 'Training stopped with an error: '),
      state.error,
      el('button', { class: 'primary', 'data-testid': 'error-reset', onclick: reset }, 'Reset'),
    );
  }
  const info = state.info;
  if (!info) return;
  const toy = info.kind === 'toy';
  boundaryBox.hidden = !toy;
  imagesBox.hidden = toy;
  filtersBox.hidden = toy || !state.view.filters;
  byId('confusion').hidden = false;
  if (state.view === previous?.view && info === previous?.info) return;
  if (toy) boundary.draw(state.view.boundary, info);
  else {
    images.draw(info, state.view.test);
    if (state.view.filters) filters.draw(state.view.filters);
  }
  confusion.draw(info, state.view.test);
}

store.subscribe(() => {
  if (frame === 0) frame = requestAnimationFrame(draw);
});

startWorker();
draw();
send({ type: 'init', config: store.state.config });

// For the end-to-end test and the curious: the state, read-only.
(window as unknown as { playground: { state: () => AppState } }).playground = { state: () => store.state };
