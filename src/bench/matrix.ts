/**
 * The benchmark as a matrix: what a person (or the CLI) chooses, expanded into cells. A cell is
 * one load — model × dtype × backend × pool × threads — measured at every chosen batch size, so
 * a model is loaded once per cell and a failure (no WebGPU, a broken file) costs that cell only.
 * Pool × threads is a configuration (N workers of one model, M WASM threads each); only the
 * combinations that fit the cores run (N·M ≤ cores, 1×1 always), since a pool that oversubscribes
 * the cores measures the scheduler, not the model. Framework-free, unit-tested in Node.
 */
import type { CatalogEntry } from '../../models/catalog.ts';
import { availableCores } from '../core/util/threads.ts';

export type BenchBackend = 'js' | 'wasm' | 'webgpu' | 'transformersjs';
export type TextSetId = 'sentences' | 'paragraphs' | 'custom';
/** The dtypes a catalog Transformer's files hold (models/catalog.ts says; fp32 where it does not). */
export function heldDtypes(entry: Pick<CatalogEntry, 'dtypes'>): readonly string[] {
  return entry.dtypes ?? ['fp32'];
}

export interface MatrixChoice {
  models: string[];
  /** Transformer weights to try; static models run with the precision their files have. */
  dtypes: string[];
  backends: ('wasm' | 'webgpu')[];
  /** WASM threads per instance; WebGPU and static models ignore it. */
  threads: number[];
  batches: number[];
  textSet: TextSetId;
  /** Timed passes after the uncounted warm-up. */
  repeats: number;
  /** Sentences in one timed pass (the text set is repeated when shorter). */
  sentences: number;
  /** At most this many worker calls per pass: keeps batch 1 over a long pass affordable. */
  maxCallsPerPass: number;
  /** Loads from the browser's cache to time after the first one (each in a fresh worker). */
  cachedLoads: number;
  /** Workers holding the model side by side (1, 2, 4 …): an axis of the matrix, like threads. */
  pools: number[];
  /** Memory rows (file, weights, WASM heap, GPU buffers) for each cell's own pool. */
  memory: boolean;
  /** Also ask performance.measureUserAgentSpecificMemory() (slow without Chromium's eager flag). */
  uaMemory: boolean;
  /** Also run transformers.js with its defaults on the same files (the anchor, one cell per model × dtype). */
  anchor?: boolean;
  /** The CLI's check of Auto: its calibration budget (3 s unless asked). */
  autoBudgetMs?: number;
}

export interface Cell {
  id: string;
  model: string;
  kind: CatalogEntry['kind'];
  /** '' for static models: they report the dtype their files hold once loaded. */
  dtype: string;
  backend: BenchBackend;
  /** WASM threads asked for per worker; 0 where threads do not apply (static, WebGPU). */
  threads: number;
  /** Workers holding the model (a pool of instances, one call split across them). */
  pool: number;
  batches: number[];
}

/** A combination the choice names that does not run here, and why. */
export interface SkippedCell {
  id: string;
  reason: string;
}

export const defaultChoice: MatrixChoice = {
  models: ['glove-100d', 'use-lite'],
  dtypes: ['fp32', 'int8'],
  backends: ['wasm'],
  threads: [1],
  batches: [1, 8, 32],
  textSet: 'sentences',
  repeats: 3,
  sentences: 128,
  maxCallsPerPass: 64,
  cachedLoads: 1,
  pools: [1],
  memory: true,
  uaMemory: false,
};

/** "2×1": workers × threads per worker (the order the model card and the rows use). */
export function configLabel(pool: number, threads: number): string {
  return `${pool}×${threads}`;
}

export function cellId(c: Pick<Cell, 'model' | 'dtype' | 'backend' | 'threads'> & { pool?: number }): string {
  const pool = c.pool ?? 1;
  const backend = c.backend === 'wasm' ? `wasm ${configLabel(pool, c.threads)}` : c.backend === 'transformersjs' ? 'transformers.js default' : pool > 1 ? `${c.backend} pool ${pool}` : c.backend;
  return [c.model, c.dtype, backend].filter(Boolean).join(' ');
}

const sortedUnique = (xs: number[]) => [...new Set(xs)].filter((x) => Number.isInteger(x) && x >= 1).sort((a, b) => a - b);

/** Whether workers × threads fits the cores (1×1 always runs: it is the baseline every ratio needs). */
export function fitsCores(pool: number, threads: number, cores: number): boolean {
  return (pool === 1 && threads === 1) || pool * Math.max(1, threads) <= cores;
}

/**
 * Every cell the choice names, in a stable order (model, backend, dtype, pool, threads), and the
 * combinations left out because they do not fit `cores` (with the reason, for the view and the CLI).
 */
export function planMatrix(choice: MatrixChoice, catalog: CatalogEntry[], cores = availableCores()): { cells: Cell[]; skipped: SkippedCell[] } {
  const cells: Cell[] = [];
  const skipped: SkippedCell[] = [];
  const batches = sortedUnique(choice.batches);
  const pools = sortedUnique(choice.pools.length ? choice.pools : [1]);
  for (const id of choice.models) {
    const entry = catalog.find((m) => m.id === id);
    if (!entry) continue;
    if (entry.kind === 'static') {
      // Static models are a table lookup in JS: no dtype, backend or thread choice; a pool still spreads calls.
      for (const pool of pools) {
        if (pool > cores && pool > 1) {
          skipped.push({ id: cellId({ model: id, dtype: '', backend: 'js', threads: 0, pool }), reason: `${pool} workers on ${cores} cores` });
          continue;
        }
        cells.push({ id: cellId({ model: id, dtype: '', backend: 'js', threads: 0, pool }), model: id, kind: 'static', dtype: '', backend: 'js', threads: 0, pool, batches });
      }
      continue;
    }
    for (const backend of choice.backends) {
      for (const dtype of choice.dtypes.filter((d) => heldDtypes(entry).includes(d))) {
        if (backend === 'webgpu') {
          // One GPU: instances would queue on the same device; WebGPU is measured as one instance.
          cells.push({ id: cellId({ model: id, dtype, backend, threads: 0 }), model: id, kind: 'transformer', dtype, backend, threads: 0, pool: 1, batches });
          continue;
        }
        if (backend !== 'wasm') continue;
        for (const pool of pools) {
          for (const threads of sortedUnique(choice.threads)) {
            const cell: Cell = { id: cellId({ model: id, dtype, backend, threads, pool }), model: id, kind: 'transformer', dtype, backend, threads, pool, batches };
            if (fitsCores(pool, threads, cores)) cells.push(cell);
            else skipped.push({ id: cell.id, reason: `${pool} worker${pool === 1 ? '' : 's'} × ${threads} thread${threads === 1 ? '' : 's'} needs ${pool * threads} cores; this device has ${cores}` });
          }
        }
      }
    }
    if (choice.anchor) {
      // transformers.js picks its own threads (onnxruntime-web's default): one cell per dtype.
      for (const dtype of choice.dtypes.filter((d) => heldDtypes(entry).includes(d))) {
        cells.push({ id: cellId({ model: id, dtype, backend: 'transformersjs', threads: 0 }), model: id, kind: 'transformer', dtype, backend: 'transformersjs', threads: 0, pool: 1, batches });
      }
    }
  }
  return { cells, skipped };
}

/** The cells of `planMatrix` (what runs). */
export function expandMatrix(choice: MatrixChoice, catalog: CatalogEntry[], cores = availableCores()): Cell[] {
  return planMatrix(choice, catalog, cores).cells;
}

/** Sentences one timed pass embeds at this batch size: the pass length, capped by calls per pass. */
export function passLength(choice: Pick<MatrixChoice, 'sentences' | 'maxCallsPerPass'>, batch: number): number {
  return Math.max(batch, Math.min(choice.sentences, batch * choice.maxCallsPerPass));
}

/** `count` texts from the set, cycling through it when it is shorter. */
export function takeTexts(set: string[], count: number): string[] {
  if (set.length === 0) return [];
  const out: string[] = [];
  while (out.length < count) out.push(...set.slice(0, count - out.length));
  return out;
}

/** Paragraphs: blocks between blank lines, whitespace folded, at least `minChars` long. */
export function splitParagraphs(text: string, minChars = 200): string[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length >= minChars);
}

/** What is wrong with a choice, in words a person can act on; empty when it can run. */
export function problemsWith(choice: MatrixChoice, catalog: CatalogEntry[], extra: { search?: boolean } = {}): string[] {
  const problems: string[] = [];
  const chosen = catalog.filter((m) => choice.models.includes(m.id));
  if (chosen.length === 0 && !extra.search) problems.push('Choose at least one model (or the search benchmark).');
  if (chosen.length > 0) {
    if (choice.batches.filter((b) => Number.isInteger(b) && b > 0).length === 0) problems.push('Choose at least one batch size.');
    if (choice.pools.length === 0) problems.push('Choose at least one pool size (workers holding the model).');
    if (chosen.some((m) => m.kind === 'transformer')) {
      if (choice.dtypes.length === 0) problems.push('Choose at least one dtype for the Transformer models.');
      if (choice.backends.length === 0) problems.push('Choose at least one backend (WASM or WebGPU) for the Transformer models.');
      if (choice.backends.includes('wasm') && choice.threads.length === 0) problems.push('Choose at least one WASM thread count.');
    }
  }
  if (!Number.isInteger(choice.repeats) || choice.repeats < 1 || choice.repeats > 50) problems.push('Repeats must be a whole number from 1 to 50.');
  if (!Number.isInteger(choice.sentences) || choice.sentences < 1 || choice.sentences > 100_000) problems.push('Sentences per pass must be a whole number from 1 to 100,000.');
  if (choice.pools.some((p) => !Number.isInteger(p) || p < 1 || p > 8)) problems.push('Pool sizes must be whole numbers from 1 to 8.');
  if (choice.threads.some((t) => !Number.isInteger(t) || t < 1 || t > 16)) problems.push('Thread counts must be whole numbers from 1 to 16.');
  return problems;
}
