// Live training curves (uPlot): the minibatch loss with a smoothed trend, and train/val accuracy at
// every accuracy check. Redrawn at most once per animation frame by the page.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppState } from '../state/app-state';
import { el } from './dom';

/** Exponential moving average (TensorBoard-style smoothing), bias-corrected so the start is not pulled to 0. */
export function smooth(values: readonly number[], weight = 0.95): number[] {
  const out = new Array<number>(values.length);
  let avg = 0;
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    avg = weight * avg + (1 - weight) * values[i];
    norm = weight * norm + (1 - weight);
    out[i] = avg / norm;
  }
  return out;
}

/** The width inside the padding (uPlot's width is the canvas's). */
function contentWidth(node: HTMLElement): number {
  const style = getComputedStyle(node);
  return node.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
}

const fewPoints = (u: uPlot) => u.data[0].length < 3;

const AXIS = { stroke: '#5b6472', grid: { stroke: '#eceff3' }, ticks: { stroke: '#d5dae1' } };

export class Charts {
  private readonly loss: uPlot;
  private readonly accuracy: uPlot;
  private shownLosses = -1;
  private shownChecks = -1;
  private lastLosses: number[] | null = null;

  constructor(root: HTMLElement) {
    const lossBox = el('div', { class: 'chart', 'data-testid': 'loss-chart' });
    const accBox = el('div', { class: 'chart', 'data-testid': 'accuracy-chart' });
    root.append(el('h3', {}, 'Loss'), lossBox, el('h3', {}, 'Accuracy'), accBox);
    const width = Math.max(260, contentWidth(root) || 360);
    this.loss = new uPlot(
      {
        width,
        height: 170,
        legend: { show: true, live: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [
          { ...AXIS, label: 'iteration' },
          { ...AXIS, size: 50 },
        ],
        series: [
          {},
          // Dots only while there are too few losses for a line to show.
          { label: 'minibatch loss', stroke: 'rgba(78,121,167,0.35)', width: 1, points: { show: fewPoints } },
          { label: 'smoothed', stroke: '#4e79a7', width: 2, points: { show: false } },
        ],
      },
      [[], [], []],
      lossBox,
    );
    this.accuracy = new uPlot(
      {
        width,
        height: 170,
        legend: { show: true, live: false },
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [
          { ...AXIS, label: 'iteration' },
          { ...AXIS, size: 50 },
        ],
        series: [
          {},
          { label: 'train', stroke: '#f28e2b', width: 2, points: { show: true, size: 4 } },
          { label: 'val', stroke: '#59a14f', width: 2, points: { show: true, size: 4 } },
        ],
      },
      [[], [], []],
      accBox,
    );
    new ResizeObserver(() => {
      const w = Math.max(260, contentWidth(root));
      this.loss.setSize({ width: w, height: 170 });
      this.accuracy.setSize({ width: w, height: 170 });
    }).observe(root);
  }

  update(state: AppState): void {
    const { losses, checks } = state;
    if (losses !== this.lastLosses && (losses.length !== this.shownLosses || losses.length === 0)) {
      this.lastLosses = losses;
      this.shownLosses = losses.length;
      const x = losses.map((_, i) => i + 1);
      this.loss.setData([x, losses, smooth(losses)]);
    }
    if (checks.length !== this.shownChecks) {
      this.shownChecks = checks.length;
      this.accuracy.setData([
        checks.map((c) => c.iteration),
        checks.map((c) => c.trainAcc),
        checks.map((c) => c.valAcc),
      ]);
    }
  }
}
