// The settings form: task, model and training. Every field edits one field of the experiment
// config; a change is validated by @backprop/experiment and, when valid, becomes the new run.
import { EMBEDDED_COUNTS, isToyName } from '@backprop/data';
import {
  cloneConfig,
  type ExperimentConfig,
  MODEL_TYPES,
  NORMALIZATIONS,
  UPDATE_RULES,
  validateExperiment,
} from '@backprop/experiment';
import { withDataset } from '../state/presets';
import { PLAYGROUND_DATASETS, type PlaygroundDataset } from '../state/url';
import { el, replaceChildren } from './dom';

const DATASET_LABELS: Record<PlaygroundDataset, string> = {
  embedded: 'Fashion-MNIST',
  spiral: '2-D: spiral',
  circles: '2-D: circles',
  xor: '2-D: xor',
  gaussian: '2-D: gaussian blobs',
};
const MODEL_LABELS: Record<string, string> = {
  fc: 'FC net',
  'two-layer': 'Two-layer net',
  convnet: 'ConvNet',
};
const RULE_LABELS: Record<string, string> = {
  sgd: 'SGD',
  sgdMomentum: 'SGD + momentum',
  rmsprop: 'RMSProp',
  adam: 'Adam',
};

/** A change of one field: a dotted path and its new value (undefined removes an optional field). */
export type FieldChange = { path: string; value: unknown };

/**
 * `config` with one field changed, validated. Choosing a dataset goes through `withDataset`, which
 * swaps in settings that suit the new kind of task.
 * @throws ValueError naming the field (from validateExperiment) when the value is not allowed
 */
export function changeField(config: ExperimentConfig, change: FieldChange): ExperimentConfig {
  if (change.path === 'data.dataset') return withDataset(config, change.value as PlaygroundDataset);
  const next = cloneConfig(config) as unknown as Record<string, Record<string, unknown>>;
  const [section, key] = change.path.split('.');
  if (key === undefined) (next as Record<string, unknown>)[section] = change.value;
  else if (change.value === undefined) delete next[section][key];
  else next[section][key] = change.value;
  return validateExperiment(next, 'settings');
}

export interface ControlsHandlers {
  /** A valid new config. */
  onConfig(config: ExperimentConfig): void;
}

/** The settings form; `render(config)` rebuilds it (after a committed change, so no focus is lost mid-edit). */
export class Controls {
  private config: ExperimentConfig | null = null;
  private readonly message = el('p', {
    class: 'field-error',
    role: 'alert',
    'data-testid': 'settings-error',
  });
  private readonly form = el('div', { class: 'settings' });

  constructor(
    root: HTMLElement,
    private readonly handlers: ControlsHandlers,
  ) {
    root.append(this.form, this.message);
  }

  render(config: ExperimentConfig): void {
    if (config === this.config) return;
    this.config = config;
    const toy = isToyName(config.data.dataset);
    replaceChildren(
      this.form,
      section('Task', this.taskFields(config, toy)),
      section('Model', this.modelFields(config, toy)),
      section('Training', this.trainingFields(config)),
    );
  }

  private change(path: string, value: unknown): void {
    if (!this.config) return;
    try {
      const next = changeField(this.config, { path, value });
      this.message.textContent = '';
      this.handlers.onConfig(next);
    } catch (error) {
      this.message.textContent = (error as Error).message;
      // Put the committed value back into the form.
      const current = this.config;
      this.config = null;
      this.render(current);
    }
  }

  private taskFields(c: ExperimentConfig, toy: boolean): Node[] {
    const fields: Node[] = [
      this.select(
        'Dataset',
        'data.dataset',
        c.data.dataset,
        PLAYGROUND_DATASETS.map((d) => [d, DATASET_LABELS[d]]),
      ),
    ];
    if (toy) {
      fields.push(
        this.number('Noise', 'data.noise', c.data.noise, { step: 0.01, min: 0 }),
        this.number('Points', 'data.numPoints', c.data.numPoints, { step: 50, min: 10, integer: true }),
        this.number('Classes', 'data.classes', c.data.dataset === 'xor' ? 2 : c.data.classes, {
          min: 2,
          max: 10,
          integer: true,
          disabled: c.data.dataset === 'xor',
        }),
        this.number('Test fraction', 'data.testFraction', c.data.testFraction, {
          step: 0.05,
          min: 0.05,
          max: 0.4,
        }),
        el(
          'button',
          {
            class: 'secondary',
            'data-testid': 'regenerate',
            title: 'New points (a new seed)',
            onclick: () => this.change('seed', Math.floor(Math.random() * 1_000_000)),
          },
          'Regenerate data',
        ),
      );
    } else {
      fields.push(
        this.number('Training images', 'data.numTrain', c.data.numTrain, {
          min: 1,
          integer: true,
          optional: true,
          placeholder: `all ${EMBEDDED_COUNTS.train - c.data.numVal}`,
        }),
        this.number('Validation images', 'data.numVal', c.data.numVal, { min: 1, integer: true }),
      );
    }
    return fields;
  }

  private modelFields(c: ExperimentConfig, toy: boolean): Node[] {
    const m = c.model;
    const types = MODEL_TYPES.map((t): [string, string, boolean?] => [
      t,
      MODEL_LABELS[t],
      toy && t === 'convnet',
    ]);
    const fields: Node[] = [this.select('Network', 'model.type', m.type, types)];
    if (m.type === 'fc') {
      fields.push(this.layers(m.hiddenDims));
      fields.push(
        this.select(
          'Normalization',
          'model.normalization',
          m.normalization,
          NORMALIZATIONS.map((n) => [n, n]),
        ),
        this.number('Dropout keep p', 'model.dropout', m.dropout, { step: 0.05, min: 0.05, max: 1 }),
      );
    } else if (m.type === 'two-layer') {
      fields.push(this.number('Hidden size', 'model.hiddenDim', m.hiddenDim, { min: 1, integer: true }));
    } else {
      fields.push(
        this.number('Filters', 'model.numFilters', m.numFilters, { min: 1, integer: true }),
        this.number('Filter size', 'model.filterSize', m.filterSize, { min: 1, step: 2, integer: true }),
        this.number('Hidden size', 'model.hiddenDim', m.hiddenDim, { min: 1, integer: true }),
      );
    }
    fields.push(
      this.number('L2 reg', 'model.reg', m.reg, { step: 0.0001, min: 0 }),
      this.number('Weight scale', 'model.weightScale', m.weightScale, { step: 0.01, min: 0 }),
      this.select('Precision', 'model.dtype', m.dtype, [
        ['float32', 'float32'],
        ['float64', 'float64'],
      ]),
    );
    return fields;
  }

  private trainingFields(c: ExperimentConfig): Node[] {
    const s = c.solver;
    const fields: Node[] = [
      this.select(
        'Optimizer',
        'solver.updateRule',
        s.updateRule,
        UPDATE_RULES.map((r) => [r, RULE_LABELS[r]]),
      ),
      this.number('Learning rate', 'solver.learningRate', s.learningRate, { step: 0.001, min: 0 }),
    ];
    if (s.updateRule === 'sgdMomentum') {
      fields.push(
        this.number('Momentum', 'solver.momentum', s.momentum, {
          step: 0.05,
          min: 0,
          max: 0.99,
          optional: true,
          placeholder: '0.9',
        }),
      );
    }
    fields.push(
      this.number('LR decay / epoch', 'solver.lrDecay', s.lrDecay, { step: 0.05, min: 0.05, max: 1 }),
      this.number('Batch size', 'solver.batchSize', s.batchSize, { min: 1, integer: true }),
      this.number('Epochs', 'solver.numEpochs', s.numEpochs, { min: 1, integer: true }),
      this.number('Seed', 'seed', c.seed, { min: 0, integer: true }),
    );
    return fields;
  }

  /** The FC net's hidden layers: one width per row, removable, and a button to add one. */
  private layers(dims: number[]): Node {
    const rows = dims.map((d, i) =>
      el(
        'div',
        { class: 'layer-row' },
        el('span', { class: 'layer-name' }, `Hidden ${i + 1}`),
        el('input', {
          type: 'number',
          min: 1,
          step: 1,
          value: d,
          'aria-label': `Hidden layer ${i + 1} width`,
          'data-testid': `layer-${i}`,
          onchange: (e: Event) => {
            const v = (e.target as HTMLInputElement).valueAsNumber;
            const next = [...dims];
            next[i] = v;
            this.change('model.hiddenDims', next);
          },
        }),
        el(
          'button',
          {
            class: 'icon',
            title: `Remove hidden layer ${i + 1}`,
            'aria-label': `Remove hidden layer ${i + 1}`,
            onclick: () =>
              this.change(
                'model.hiddenDims',
                dims.filter((_, j) => j !== i),
              ),
          },
          '×',
        ),
      ),
    );
    return el(
      'div',
      { class: 'layers' },
      el('div', { class: 'label' }, 'Hidden layers'),
      ...rows,
      dims.length === 0 ? el('p', { class: 'hint' }, 'No hidden layer: a softmax classifier.') : null,
      el(
        'button',
        {
          class: 'secondary',
          'data-testid': 'add-layer',
          onclick: () => this.change('model.hiddenDims', [...dims, dims.at(-1) ?? 64]),
        },
        '+ Add layer',
      ),
    );
  }

  private select(label: string, path: string, value: string, options: [string, string, boolean?][]): Node {
    const select = el(
      'select',
      {
        'data-field': path,
        onchange: (e: Event) => this.change(path, (e.target as HTMLSelectElement).value),
      },
      ...options.map(([v, text, disabled]) =>
        el('option', { value: v, selected: v === value, disabled }, text),
      ),
    );
    return el('label', { class: 'field' }, el('span', {}, label), select);
  }

  private number(
    label: string,
    path: string,
    value: number | undefined,
    opts: {
      step?: number;
      min?: number;
      max?: number;
      integer?: boolean;
      optional?: boolean;
      disabled?: boolean;
      placeholder?: string;
    },
  ): Node {
    const input = el('input', {
      type: 'number',
      'data-field': path,
      step: opts.step ?? (opts.integer ? 1 : 'any'),
      min: opts.min,
      max: opts.max,
      disabled: opts.disabled,
      placeholder: opts.placeholder,
      value: value === undefined ? '' : String(value),
      onchange: (e: Event) => {
        const target = e.target as HTMLInputElement;
        if (target.value.trim() === '') {
          this.change(path, opts.optional ? undefined : Number.NaN);
          return;
        }
        this.change(path, Number(target.value));
      },
    });
    return el('label', { class: 'field' }, el('span', {}, label), input);
  }
}

function section(title: string, fields: Node[]): Node {
  return el('fieldset', {}, el('legend', {}, title), ...fields);
}
