/**
 * What the Playground remembers across reloads (localStorage): the models to load, the columns
 * hidden, the reference, and per model the precisions and width shown. Parsing never throws: a
 * damaged or foreign value gives the defaults for the parts it cannot read, never a broken page.
 */
import { COLUMN_PRECISIONS, type ColumnPrecision } from './columns.ts';

export const PREFS_KEY = 'embedscope.playground.v1';

/** A model that can be loaded again from where it came (an embedded or hub model; not dropped files). */
export interface SavedModel {
  /** Stable across reloads: what the column ids are built on (see modelRef). */
  ref: string;
  label: string;
  spec: unknown;
  instances: number;
}

export interface ModelView {
  precisions: ColumnPrecision[];
  /** null: the model's full width. */
  dims: number | null;
}

export interface PlaygroundPrefs {
  /** Load the remembered (or, on a first visit, the starter) models when the page opens. */
  autoload: boolean;
  /** null until the person's first visit has saved something: then the starter models load. */
  models: SavedModel[] | null;
  hidden: string[];
  reference: string | null;
  views: Record<string, ModelView>;
}

export const DEFAULT_VIEW: ModelView = { precisions: ['float32'], dims: null };

export function defaultPrefs(): PlaygroundPrefs {
  return { autoload: true, models: null, hidden: [], reference: null, views: {} };
}

/** A model's identity across reloads: its id, weights and where it runs (the key of the session counts loads). */
export function modelRef(spec: { id: string; dtype?: string; backend?: string }): string {
  return [spec.id, spec.dtype, spec.backend].filter(Boolean).join(' · ');
}

/** A column's identity: the model, the precision and the width (null: full). */
export function columnId(ref: string, precision: ColumnPrecision, dims: number | null): string {
  return `${ref} | ${precision}${dims ? ` | ${dims}d` : ''}`;
}

const isString = (v: unknown): v is string => typeof v === 'string';

export function parsePrefs(raw: string | null): PlaygroundPrefs {
  const prefs = defaultPrefs();
  if (!raw) return prefs;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return prefs;
  }
  if (typeof value !== 'object' || value === null) return prefs;
  const v = value as Record<string, unknown>;
  if (typeof v.autoload === 'boolean') prefs.autoload = v.autoload;
  if (Array.isArray(v.models)) {
    prefs.models = v.models
      .filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null)
      .filter((m) => isString(m.ref) && isString(m.label) && typeof m.spec === 'object' && m.spec !== null)
      .map((m) => ({ ref: m.ref as string, label: m.label as string, spec: m.spec, instances: Number.isInteger(m.instances) && (m.instances as number) >= 1 && (m.instances as number) <= 8 ? (m.instances as number) : 1 }));
  }
  if (Array.isArray(v.hidden)) prefs.hidden = v.hidden.filter(isString);
  if (isString(v.reference)) prefs.reference = v.reference;
  if (typeof v.views === 'object' && v.views !== null) {
    for (const [ref, view] of Object.entries(v.views as Record<string, unknown>)) {
      if (typeof view !== 'object' || view === null) continue;
      const w = view as Record<string, unknown>;
      const chosen = Array.isArray(w.precisions) ? COLUMN_PRECISIONS.filter((p) => (w.precisions as unknown[]).includes(p)) : [];
      const dims = Number.isInteger(w.dims) && (w.dims as number) > 0 ? (w.dims as number) : null;
      prefs.views[ref] = { precisions: chosen.length > 0 ? chosen : [...DEFAULT_VIEW.precisions], dims };
    }
  }
  return prefs;
}
