// The convnet's first-layer filters, each scaled to its own range (as ConvNetJS and the CS231n
// notebooks show them): edge and blob detectors appear as training goes on.
import type { FiltersView } from '../worker/protocol';
import { el } from './dom';

/** Pixels per filter weight: about 48 px per filter whatever its size. */
const scaleFor = (size: number) => Math.max(4, Math.floor(48 / size));

export class FiltersPanel {
  readonly canvas = el('canvas', { class: 'filters', 'data-testid': 'filters' });

  constructor(root: HTMLElement) {
    root.append(el('h3', {}, 'First-layer filters'), this.canvas);
  }

  draw(view: FiltersView): void {
    const [F, C, HH, WW] = view.shape;
    const SCALE = scaleFor(Math.max(HH, WW));
    const cols = Math.min(F, 8);
    const rows = Math.ceil(F / cols);
    const gap = 2;
    const w = cols * (WW * SCALE + gap) + gap;
    const h = rows * (HH * SCALE + gap) + gap;
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#f4f6f9';
    ctx.fillRect(0, 0, w, h);
    const per = C * HH * WW;
    for (let f = 0; f < F; f++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < per; i++) {
        lo = Math.min(lo, view.data[f * per + i]);
        hi = Math.max(hi, view.data[f * per + i]);
      }
      const range = hi - lo || 1;
      const x0 = gap + (f % cols) * (WW * SCALE + gap);
      const y0 = gap + Math.floor(f / cols) * (HH * SCALE + gap);
      for (let y = 0; y < HH; y++) {
        for (let x = 0; x < WW; x++) {
          const at = (c: number) =>
            Math.round((255 * (view.data[f * per + c * HH * WW + y * WW + x] - lo)) / range);
          const v = at(0);
          ctx.fillStyle = C === 3 ? `rgb(${v}, ${at(1)}, ${at(2)})` : `rgb(${v}, ${v}, ${v})`;
          ctx.fillRect(x0 + x * SCALE, y0 + y * SCALE, SCALE, SCALE);
        }
      }
    }
  }
}
