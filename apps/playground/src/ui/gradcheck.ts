// The gradient-check panel: runs numerical checks of the current model in the worker and shows the
// largest relative error of each parameter, coloured by the CS231n rule of thumb.
import type { AppState } from '../state/app-state';
import { el, replaceChildren, sci } from './dom';

/** How good a relative error is: below 1e-7 the gradient is right; up to 1e-5 tiny gradients or kinks. */
export function verdict(relError: number): 'good' | 'fair' | 'bad' {
  if (relError < 1e-7) return 'good';
  if (relError < 1e-5) return 'fair';
  return 'bad';
}

export class GradCheckPanel {
  readonly button: HTMLButtonElement;
  private readonly body = el('div', { 'data-testid': 'gradcheck' });
  private shown: AppState['gradcheck'] = null;

  constructor(root: HTMLElement, onRun: () => void) {
    this.button = el(
      'button',
      { class: 'secondary', 'data-testid': 'run-gradcheck', onclick: onRun },
      'Check gradients',
    );
    root.append(
      el('h3', {}, 'Gradient check'),
      el(
        'p',
        { class: 'hint' },
        'Analytic gradients of the current model against centred differences of its loss, on a float64 copy and 4 training examples. Small parameters are checked at every entry, large ones at 10 random entries. Green: < 1e-7. Amber (< 1e-5): float64 rounding on a tiny gradient, or a ReLU kink crossed by the step. Red: a wrong gradient.',
      ),
      this.button,
      this.body,
    );
  }

  update(state: AppState): void {
    this.button.disabled =
      state.checking || !state.info || state.status === 'error' || state.status === 'loading';
    this.button.textContent = state.checking ? 'Checking…' : 'Check gradients';
    if (state.gradcheck === this.shown) return;
    this.shown = state.gradcheck;
    if (!state.gradcheck) {
      replaceChildren(this.body);
      return;
    }
    const rows = state.gradcheck.rows.map((r) =>
      el(
        'tr',
        {},
        el('td', {}, r.param),
        el('td', {}, `[${r.shape.join(', ')}]`),
        el('td', {}, r.method === 'full' ? `all ${r.checked}` : `${r.checked} random`),
        el('td', { class: `err ${verdict(r.maxRelError)}` }, sci(r.maxRelError)),
      ),
    );
    replaceChildren(
      this.body,
      el(
        'table',
        { class: 'gradcheck' },
        el(
          'tr',
          {},
          el('th', {}, 'param'),
          el('th', {}, 'shape'),
          el('th', {}, 'checked'),
          el('th', {}, 'max rel. error'),
        ),
        ...rows,
      ),
      el('p', { class: 'hint' }, `loss at the checked point: ${state.gradcheck.loss.toFixed(6)}`),
    );
  }
}
