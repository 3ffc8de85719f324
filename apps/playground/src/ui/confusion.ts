// The confusion matrix on the test split: rows are the true classes, columns the predictions;
// each cell shaded by the share of its row, so the diagonal darkens as the model learns.
import type { RunInfo, TestView } from '../worker/protocol';
import { el, percent, replaceChildren } from './dom';

export class ConfusionPanel {
  private readonly table = el('table', { class: 'confusion', 'data-testid': 'confusion' });
  private readonly caption = el('p', { class: 'hint' });

  constructor(root: HTMLElement) {
    root.append(el('h3', {}, 'Confusion matrix (test)'), this.caption, this.table);
  }

  draw(info: RunInfo, test: TestView | undefined): void {
    if (!test || test.count === 0) return;
    const C = info.numClasses;
    const short = info.classNames.map((n) => n.split('/')[0].slice(0, 7));
    this.caption.textContent = `${test.count} test ${info.kind === 'images' ? 'images' : 'points'}, accuracy ${percent(test.accuracy)}. Rows: true class; columns: predicted.`;
    const head = el('tr', {}, el('th', {}, ''), ...short.map((n) => el('th', { class: 'col' }, n)));
    const rows = [head];
    for (let t = 0; t < C; t++) {
      let total = 0;
      for (let p = 0; p < C; p++) total += test.confusion[t * C + p];
      const cells = [];
      for (let p = 0; p < C; p++) {
        const n = test.confusion[t * C + p];
        const share = total === 0 ? 0 : n / total;
        const color =
          t === p ? `rgba(89, 161, 79, ${share})` : `rgba(225, 87, 89, ${Math.min(1, 2 * share)})`;
        cells.push(
          el('td', { style: `background:${color}`, title: `${n} of ${total}` }, n === 0 ? '' : String(n)),
        );
      }
      rows.push(el('tr', {}, el('th', { class: 'row' }, short[t]), ...cells));
    }
    replaceChildren(this.table, ...rows);
  }
}
