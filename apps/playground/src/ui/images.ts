// The image task's test grid: a few test images with the model's prediction under each, green
// when right and red when wrong.
import type { RunInfo, TestView } from '../worker/protocol';
import { el, replaceChildren } from './dom';

export class ImagesPanel {
  private readonly grid = el('div', { class: 'image-grid', 'data-testid': 'image-grid' });
  private captions: HTMLElement[] = [];
  private info: RunInfo | null = null;

  constructor(root: HTMLElement) {
    root.append(el('h3', {}, 'Test images: predicted (true)'), this.grid);
  }

  draw(info: RunInfo, test: TestView | undefined): void {
    const samples = info.samples;
    if (!samples) return;
    if (info !== this.info) {
      this.info = info;
      const [C, H, W] = samples.shape;
      this.captions = [];
      const cells: Node[] = [];
      for (let n = 0; n < samples.labels.length; n++) {
        const canvas = el('canvas', { width: W, height: H, class: 'sample' });
        const ctx = canvas.getContext('2d');
        if (ctx) {
          const image = ctx.createImageData(W, H);
          const base = n * C * H * W;
          for (let p = 0; p < H * W; p++) {
            for (let ch = 0; ch < 3; ch++) {
              // Fashion-MNIST is light-on-dark; show it dark-on-light like a catalogue.
              const v = samples.pixels[base + (C === 3 ? ch * H * W : 0) + p];
              image.data[4 * p + ch] = C === 3 ? v : 255 - v;
            }
            image.data[4 * p + 3] = 255;
          }
          ctx.putImageData(image, 0, 0);
        }
        const caption = el('figcaption', {}, '');
        this.captions.push(caption);
        cells.push(el('figure', {}, canvas, caption));
      }
      replaceChildren(this.grid, ...cells);
    }
    const predictions = test?.samplePredictions;
    for (let n = 0; n < this.captions.length; n++) {
      const truth = info.classNames[samples.labels[n]];
      const caption = this.captions[n];
      if (!predictions) {
        caption.textContent = truth;
        caption.className = '';
        continue;
      }
      const k = predictions[n];
      const right = k === samples.labels[n];
      caption.textContent = right ? info.classNames[k] : `${info.classNames[k]} (${truth})`;
      caption.className = right ? 'right' : 'wrong';
    }
  }
}
