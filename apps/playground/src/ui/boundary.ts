// The decision boundary of a 2-D task: each grid cell painted in its predicted class's colour,
// paler where the model is less sure, with the training points (filled) and test points (ringed).
import type { BoundaryView, RunInfo } from '../worker/protocol';
import { CLASS_COLORS, classColor, el } from './dom';

const NO_CLASS: [number, number, number] = [200, 203, 208];

export class BoundaryPanel {
  readonly canvas = el('canvas', { width: 440, height: 440, class: 'boundary', 'data-testid': 'boundary' });
  private readonly cells = document.createElement('canvas');

  constructor(root: HTMLElement) {
    root.append(this.canvas);
  }

  draw(view: BoundaryView | undefined, info: RunInfo): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { width, height } = this.canvas;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    if (!view || !info.points) return;
    const R = view.resolution;
    const C = info.numClasses;
    this.cells.width = R;
    this.cells.height = R;
    const cellCtx = this.cells.getContext('2d');
    if (!cellCtx) return;
    const image = cellCtx.createImageData(R, R);
    for (let i = 0; i < R * R; i++) {
      const p = view.confidence[i];
      // A non-finite score (a diverged model) has no class: paint it neutral grey.
      const [r, g, b] = Number.isFinite(p) ? CLASS_COLORS[view.classes[i] % CLASS_COLORS.length] : NO_CLASS;
      // Certainty above chance, in [0, 1]: nearly white at 1/C, the full (pale) class colour at 1.
      const sure = Number.isFinite(p) ? Math.max(0, (p - 1 / C) / (1 - 1 / C)) : 1;
      const a = 0.15 + 0.55 * sure;
      image.data[4 * i] = Math.round(255 + (r - 255) * a);
      image.data[4 * i + 1] = Math.round(255 + (g - 255) * a);
      image.data[4 * i + 2] = Math.round(255 + (b - 255) * a);
      image.data[4 * i + 3] = 255;
    }
    cellCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.cells, 0, 0, width, height);
    const toX = (x: number) => ((x - view.xMin) / (view.xMax - view.xMin)) * width;
    const toY = (y: number) => ((view.yMax - y) / (view.yMax - view.yMin)) * height;
    const { train, yTrain, test, yTest } = info.points;
    ctx.lineWidth = 1;
    for (let i = 0; i < yTrain.length; i++) {
      ctx.beginPath();
      ctx.arc(toX(train[2 * i]), toY(train[2 * i + 1]), 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = classColor(yTrain[i]);
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
    ctx.lineWidth = 1.6;
    for (let i = 0; i < yTest.length; i++) {
      ctx.beginPath();
      ctx.arc(toX(test[2 * i]), toY(test[2 * i + 1]), 3.4, 0, 2 * Math.PI);
      ctx.fillStyle = '#fff';
      ctx.fill();
      ctx.strokeStyle = classColor(yTest[i]);
      ctx.stroke();
    }
  }
}
