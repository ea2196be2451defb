/**
 * The Playground's side-by-side columns: one model's vectors for the same sentences, seen at one
 * stored precision (float32, int8, binary) and width (Matryoshka), against a reference column.
 * Framework-free: the Svelte view only draws what these functions return.
 *
 * Similarity per precision, as search would score two stored rows:
 * - float32: cosine.
 * - int8: both rows encoded with calibration ranges taken from the sentences themselves (the only
 *   sample the Playground has), dequantized as the int8 precision's rescoreRow does, then cosine.
 * - binary: 1 − 2·Hamming/bits (1 for identical bit strings, −1 for complementary ones), the
 *   estimate of the angle that sign bits give.
 */
import { calibrate, precisions, type Calibration } from '../precision/index.ts';
import { cosine, truncateRows } from '../util/vectors.ts';
import { spearman } from '../eval/metrics.ts';

/** The precisions the Playground offers per model: one exact, one calibrated, one a bit a dimension. */
export const COLUMN_PRECISIONS = ['float32', 'int8', 'binary'] as const;
export type ColumnPrecision = (typeof COLUMN_PRECISIONS)[number];

export interface ColumnView {
  precision: ColumnPrecision;
  /** Width after Matryoshka truncation (and renormalisation); equals the model's dims when not truncated. */
  dims: number;
}

export interface ColumnMatrix {
  /** n × n similarity, row-major. */
  matrix: Float64Array;
  n: number;
  dims: number;
  bytesPerVector: number;
  /** The int8 ranges used (from these sentences), for showing and downloading. */
  calibration: Calibration | null;
}

const popcount8 = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v; v >>= 1) c += v & 1;
  return c;
});

/** rows × modelDims float32 (as the model returned them) → the column's n × n similarity. */
export function columnMatrix(vectors: Float32Array, modelDims: number, view: ColumnView): ColumnMatrix {
  const dims = view.dims;
  if (!Number.isInteger(dims) || dims < 1 || dims > modelDims) throw new RangeError(`cannot show ${modelDims}-dim vectors at ${dims} dims`);
  const rows = truncateRows(vectors, modelDims, dims);
  const n = rows.length / dims;
  const matrix = new Float64Array(n * n);
  const precision = precisions[view.precision];
  let calibration: Calibration | null = null;
  if (view.precision === 'float32') {
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) matrix[i * n + j] = matrix[j * n + i] = cosine(rows, rows, dims, i * dims, j * dims);
  } else if (view.precision === 'int8') {
    calibration = calibrate(rows, dims);
    const codes = precision.encode(rows, dims, calibration);
    const restored = new Float32Array(n * dims);
    const row = new Float32Array(dims);
    for (let r = 0; r < n; r++) {
      precision.rescoreRow(codes, dims, r, row, calibration);
      restored.set(row, r * dims);
    }
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) matrix[i * n + j] = matrix[j * n + i] = cosine(restored, restored, dims, i * dims, j * dims);
  } else {
    const packed = precision.encode(rows, dims);
    const bytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
    const width = precision.bytesPerVector(dims);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let h = 0;
        for (let b = 0; b < width; b++) h += popcount8[bytes[i * width + b] ^ bytes[j * width + b]];
        matrix[i * n + j] = matrix[j * n + i] = 1 - (2 * h) / dims;
      }
    }
  }
  return { matrix, n, dims, bytesPerVector: precision.bytesPerVector(dims), calibration };
}

/** The sentence pairs i < j, in the order every function here lists them. */
export function upperPairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  return out;
}

function pairValues(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[k++] = m[i * n + j];
  return out;
}

/**
 * Spearman correlation of two columns' similarities over all sentence pairs (i < j): 1 when the
 * column orders every pair as the reference does. Null when it is undefined: fewer than 3
 * sentences (one or no pair), or a column whose pairs all score the same.
 */
export function agreement(column: Float64Array, reference: Float64Array, n: number): number | null {
  if (column.length !== n * n || reference.length !== n * n) throw new RangeError('both matrices must be n × n over the same sentences');
  if (n < 3) return null;
  const rho = spearman(pairValues(column, n), pairValues(reference, n));
  return Number.isFinite(rho) ? rho : null;
}

/**
 * Order flips: two sentence pairs p and q that the reference ranks one way (sim_ref(p) > sim_ref(q))
 * and the column strictly the other way. Ties on either side are not flips (binary gives many).
 * Returns, per cell (both halves, diagonal 0), how many pairs it swapped places with, and the
 * total number of swapped pairs of pairs.
 */
export function flips(column: Float64Array, reference: Float64Array, n: number): { perCell: Uint32Array; total: number } {
  const pairs = upperPairs(n);
  const col = pairValues(column, n);
  const ref = pairValues(reference, n);
  const perPair = new Uint32Array(pairs.length);
  let total = 0;
  for (let p = 0; p < pairs.length; p++) {
    for (let q = p + 1; q < pairs.length; q++) {
      const r = ref[p] - ref[q];
      const c = col[p] - col[q];
      if ((r > 0 && c < 0) || (r < 0 && c > 0)) {
        perPair[p]++;
        perPair[q]++;
        total++;
      }
    }
  }
  const perCell = new Uint32Array(n * n);
  pairs.forEach(([i, j], p) => (perCell[i * n + j] = perCell[j * n + i] = perPair[p]));
  return { perCell, total };
}

/** column − reference, cell by cell. */
export function difference(column: Float64Array, reference: Float64Array): Float64Array {
  if (column.length !== reference.length) throw new RangeError('both matrices must be n × n over the same sentences');
  return column.map((v, i) => v - reference[i]);
}

/** Everything a column shows against its reference, or why it cannot be compared. */
export interface Comparison {
  agreement: number | null;
  flips: { perCell: Uint32Array; total: number };
  difference: Float64Array;
  /** Largest |column − reference| over the pairs i < j. */
  maxAbsDifference: number;
}

export function compareColumns(column: ColumnMatrix, reference: ColumnMatrix): Comparison {
  if (column.n !== reference.n) throw new RangeError(`the column has ${column.n} sentences, the reference ${reference.n}`);
  const diff = difference(column.matrix, reference.matrix);
  let maxAbs = 0;
  for (let i = 0; i < column.n; i++) for (let j = i + 1; j < column.n; j++) maxAbs = Math.max(maxAbs, Math.abs(diff[i * column.n + j]));
  return { agreement: agreement(column.matrix, reference.matrix, column.n), flips: flips(column.matrix, reference.matrix, column.n), difference: diff, maxAbsDifference: maxAbs };
}

/**
 * The widths a column may be shown at, widest first: the model's full dims, then its declared
 * Matryoshka widths (trained to work truncated). A model that declares none still gets halvings
 * down to 16, marked untrained: truncating it shows how much a prefix loses, not a shipping option.
 */
export function dimsChoices(modelDims: number, matryoshkaDims?: readonly number[]): { dims: number; trained: boolean }[] {
  const declared = [...new Set((matryoshkaDims ?? []).filter((d) => Number.isInteger(d) && d >= 1 && d < modelDims))];
  const widths = declared.length > 0 ? declared : Array.from({ length: 8 }, (_, i) => Math.floor(modelDims / 2 ** (i + 1))).filter((d) => d >= 16);
  return [{ dims: modelDims, trained: true }, ...widths.sort((a, b) => b - a).map((dims) => ({ dims, trained: declared.length > 0 }))];
}

/** One column the Playground draws: a model seen at one precision and width. */
export interface ColumnPlan {
  id: string;
  modelKey: string;
  modelRef: string;
  label: string;
  precision: ColumnPrecision;
  /** null: the model's full width (not known until it has loaded). */
  dims: number | null;
  status: 'loading' | 'ready';
  hidden: boolean;
}

export interface PlannedModel {
  key: string;
  ref: string;
  label: string;
  status: 'loading' | 'ready' | 'error';
  dims: number | null;
}

/**
 * Every column, in the order the models were loaded and precisions listed (float32, int8,
 * binary). Models that failed to load have no column (their card says why). A width the model
 * does not have (a remembered one, from another model under the same id) falls back to full.
 */
export function planColumns(
  models: readonly PlannedModel[],
  views: Readonly<Record<string, { precisions: readonly ColumnPrecision[]; dims: number | null }>>,
  hidden: ReadonlySet<string>,
  columnIdOf: (ref: string, precision: ColumnPrecision, dims: number | null) => string,
): ColumnPlan[] {
  const out: ColumnPlan[] = [];
  for (const m of models) {
    if (m.status === 'error') continue;
    const view = views[m.ref] ?? { precisions: ['float32'], dims: null };
    const dims = view.dims !== null && m.dims !== null && view.dims < m.dims ? view.dims : null;
    for (const precision of COLUMN_PRECISIONS) {
      if (!view.precisions.includes(precision)) continue;
      const id = columnIdOf(m.ref, precision, dims);
      out.push({ id, modelKey: m.key, modelRef: m.ref, label: m.label, precision, dims, status: m.status, hidden: hidden.has(id) });
    }
  }
  return out;
}

/**
 * The reference column: the one the person picked, while its model is the active one (the one
 * whose details the page shows); else the active model's first shown column; else the first
 * shown column. Loading columns can be a reference only once they are ready.
 */
export function pickReference(columns: readonly ColumnPlan[], picked: string | null, activeKey: string | null): ColumnPlan | null {
  const candidates = columns.filter((c) => !c.hidden && c.status === 'ready');
  const chosen = candidates.find((c) => c.id === picked);
  if (chosen && (activeKey === null || chosen.modelKey === activeKey)) return chosen;
  return candidates.find((c) => c.modelKey === activeKey) ?? candidates[0] ?? null;
}
