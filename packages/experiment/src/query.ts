// The experiment as a URL query, so a link reproduces a run (as TensorFlow Playground does). Only
// fields that differ from the defaults are written, under short kebab-case keys
// (`model=convnet&hidden-dims=100,100&learning-rate=0.01`). Reading never throws: a link from an
// older version or with a typo still opens, with each field it could not use reset and reported.
import { BackpropError } from '@backprop/tensor';
import {
  cloneConfig,
  defaultExperiment,
  type ExperimentConfig,
  type ExperimentPatch,
  experimentFields,
  getPath,
  overrideExperiment,
  validateExperiment,
} from './config';

/**
 * The compact query string of `config` (without the leading `?`): one `key=value` per field that
 * differs from `defaultExperiment`; `''` for the defaults. Numbers are written in JavaScript's
 * shortest round-trip form, so `experimentFromQuery(experimentToQuery(c)).config` deep-equals `c`.
 * @throws ValueError naming the field when `config` is not a valid config
 */
export function experimentToQuery(config: ExperimentConfig): string {
  validateExperiment(config, 'experimentToQuery');
  const parts: string[] = [];
  for (const f of experimentFields) {
    if (f.path === 'version') continue;
    const value = getPath(config, f.path);
    const fallback = getPath(defaultExperiment, f.path);
    if (sameValue(value, fallback) || value === undefined) continue;
    parts.push(`${f.key}=${encode(formatValue(value))}`);
  }
  return parts.join('&');
}

/** What `experimentFromQuery` returns: the config, and one sentence per field it had to drop. */
export interface QueryResult {
  config: ExperimentConfig;
  /** Human-readable notices, e.g. `hidden-dims=100,x is not valid (…); using the default 256,128`. */
  notices: string[];
}

/**
 * The config a query string describes, on top of `defaultExperiment`. Accepts a leading `?` or `#`.
 * Never throws: unknown keys (an outdated link), unparsable or out-of-range values and
 * combinations that do not fit together fall back to the defaults, each with a notice.
 */
export function experimentFromQuery(query: string): QueryResult {
  const notices: string[] = [];
  const text = typeof query === 'string' ? query.replace(/^[?#]/, '') : '';
  if (typeof query !== 'string')
    notices.push(`the query must be a string, got ${typeof query}; using the defaults`);
  const params = new URLSearchParams(text);
  const byKey = new Map(experimentFields.map((f) => [f.key, f]));
  const patch: Record<string, unknown> = {};
  const seen = new Set<string>();

  for (const [key, raw] of params) {
    if (key === '') continue;
    const f = byKey.get(key);
    if (!f) {
      notices.push(`unknown field '${key}' ignored (the link may come from another version)`);
      continue;
    }
    if (seen.has(key)) notices.push(`'${key}' appears more than once; using the last value`);
    seen.add(key);
    if (f.path === 'version') {
      if (raw !== '1') {
        notices.push(
          `the link was made for config version ${raw}; its fields were read as version 1 where they apply`,
        );
      }
      continue;
    }
    const value = parseValue(f.kind, raw);
    const candidate = setPath({}, f.path, value);
    const problem = fieldProblem(candidate);
    if (problem) {
      notices.push(`${key}=${raw} is not valid (${problem}); using the default ${describeDefault(f.path)}`);
      continue;
    }
    setPath(patch, f.path, value);
  }

  // Fields that are valid alone may still conflict (a convnet on 2-D points): drop the named field.
  for (let attempt = 0; attempt <= experimentFields.length; attempt++) {
    try {
      return { config: overrideExperiment(defaultExperiment, patch as ExperimentPatch), notices };
    } catch (e) {
      if (!(e instanceof BackpropError)) throw e;
      const path = e.arg.replace(/\[\d+\]$/, '');
      const f = experimentFields.find((x) => x.path === path);
      if (!f || getPath(patch, path) === undefined) break;
      deletePath(patch, path);
      notices.push(
        `${f.key} does not fit the rest of the link (${e.detail}); using the default ${describeDefault(path)}`,
      );
    }
  }
  notices.push('the link could not be read; using the defaults');
  return { config: cloneConfig(defaultExperiment), notices };
}

/** The reason a one-field patch is invalid, or undefined when it is fine. */
function fieldProblem(candidate: Record<string, unknown>): string | undefined {
  try {
    // Checked alone on top of the defaults; conflicts between fields are resolved afterwards.
    overrideExperiment(defaultExperiment, candidate as ExperimentPatch);
    return undefined;
  } catch (e) {
    if (e instanceof BackpropError) return `${e.arg} ${e.detail}`;
    throw e;
  }
}

function parseValue(kind: string, raw: string): unknown {
  switch (kind) {
    case 'integer':
    case 'number':
      return parseNumber(raw);
    case 'integer-list':
      return raw.trim() === '' ? [] : raw.split(',').map(parseNumber);
    case 'integer-or-null':
      return raw === 'null' || raw === 'all' ? null : parseNumber(raw);
    default:
      return raw;
  }
}

/** Number(' ') is 0 and Number('') is 0: only text that looks like a number counts. */
function parseNumber(raw: string): number | string {
  const t = raw.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return raw;
  return Number(t);
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(String).join(',');
  return String(v);
}

/** encodeURIComponent, but commas stay readable (they are legal in a query). */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/%2C/g, ',');
}

function describeDefault(path: string): string {
  const v = getPath(defaultExperiment, path);
  return v === undefined ? '(none)' : Array.isArray(v) ? `[${v.join(',')}]` : String(v);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
  return obj;
}

function deletePath(obj: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  delete o[parts[parts.length - 1]];
}
