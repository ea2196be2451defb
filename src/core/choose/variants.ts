/**
 * The Choose view's variants — model × dtype × stored precision (× Matryoshka width, × binary
 * rescoring) — what is measured for each, the Pareto front and the three recommendations.
 * Framework-free: the view draws these, Node tests them.
 */
import { precisions } from '../precision/index.ts';

/** How a variant stores and searches vectors. binary+rescore: binary candidates (×4), rescored with float32 rows. */
export const STORED = ['float32', 'int8', 'binary', 'binary+rescore'] as const;
export type Stored = (typeof STORED)[number];
/** Candidates fetched per result before rescoring (sentence-transformers' rescore_multiplier default). */
export const RESCORE_MULTIPLIER = 4;

export interface ChooseModel {
  id: string;
  label: string;
  kind: 'static' | 'transformer';
  /** Weights to measure; static models have the one their files hold. */
  dtypes: string[];
  dims: number;
  matryoshkaDims?: number[];
  /** ISO codes of the languages the model was trained for; unknown: undefined. */
  languages?: string[];
}

export interface Variant {
  id: string;
  model: string;
  modelLabel: string;
  kind: ChooseModel['kind'];
  dtype: string;
  stored: Stored;
  dims: number;
  modelDims: number;
  languages?: string[];
}

export function variantId(v: Pick<Variant, 'model' | 'dtype' | 'stored' | 'dims' | 'modelDims'>): string {
  return [v.model, v.dtype, v.stored, v.dims < v.modelDims ? `${v.dims}d` : ''].filter(Boolean).join(' · ');
}

/** Every variant, in a stable order: model, dtype, width (widest first), precision. */
export function expandVariants(models: readonly ChooseModel[]): Variant[] {
  const out: Variant[] = [];
  for (const m of models) {
    const widths = [m.dims, ...(m.matryoshkaDims ?? []).filter((d) => Number.isInteger(d) && d >= 8 && d < m.dims).sort((a, b) => b - a)];
    for (const dtype of m.dtypes) {
      for (const dims of [...new Set(widths)]) {
        for (const stored of STORED) {
          const v = { model: m.id, modelLabel: m.label, kind: m.kind, dtype, stored, dims, modelDims: m.dims, ...(m.languages ? { languages: m.languages } : {}) };
          out.push({ id: variantId(v), ...v });
        }
      }
    }
  }
  return out;
}

/** The bytes one vector takes in the searched index; rescoring also keeps float32 rows (on disk). */
export function bytesPerVector(stored: Stored, dims: number): { index: number; rescoreRows: number } {
  if (stored === 'binary+rescore') return { index: precisions.binary.bytesPerVector(dims), rescoreRows: precisions.float32.bytesPerVector(dims) };
  return { index: precisions[stored].bytesPerVector(dims), rescoreRows: 0 };
}

/** A billion vectors: beyond that no browser holds the index, whatever the precision. */
export const MAX_CORPUS = 1_000_000_000;

/** Why a corpus size cannot be used, or null when it can. */
export function corpusSizeProblem(n: number): string | null {
  if (!Number.isFinite(n) || !Number.isInteger(n)) return 'The corpus size must be a whole number of vectors.';
  if (n < 1) return 'The corpus size must be at least 1 vector: an empty index has no size to compare.';
  if (n > MAX_CORPUS) return `${n.toLocaleString('en')} vectors is more than ${MAX_CORPUS.toLocaleString('en')}: no browser holds an index that large, whatever the precision.`;
  return null;
}

/** The shipped labelled data is English: a model that declares other languages only gets no score. */
export function qualityLanguageProblem(v: Pick<Variant, 'languages' | 'modelLabel'>, dataLanguage = 'en'): string | null {
  if (!v.languages || v.languages.length === 0 || v.languages.includes(dataLanguage)) return null;
  return `No STS or retrieval data in ${v.languages.join(', ')}: the shipped STS-B sets are English, so a score would say nothing about ${v.modelLabel}.`;
}

export type QualityMetric = 'ndcg10' | 'spearman' | 'recall100';
export const QUALITY_METRICS: Record<QualityMetric, string> = { ndcg10: 'NDCG@10 (STS-B retrieval)', spearman: 'STS-B Spearman', recall100: 'recall@100 (STS-B retrieval)' };

export interface Measured {
  variant: Variant;
  status: 'done' | 'failed' | 'cancelled' | 'pending';
  /** Why a variant has no numbers (failed, cancelled, not applicable), in words a person can act on. */
  reason?: string;
  quality: Partial<Record<QualityMetric, number | null>>;
  /** Why a metric is missing where the rest are there (binary+rescore has no pairwise STS score). */
  qualityNotes?: string[];
  sentencesPerS: number | null;
  latencyMs: number | null;
  downloadBytes: number | null;
  memoryBytes: number | null;
  /** How its speed was measured (Auto's fastest configuration here, or the default and why). */
  speedConfig?: string;
}

/**
 * Pareto-optimal variants: none other is at least as good on both axes and better on one.
 * Quality is higher-better; the other axis is higher-better (speed) or lower-better (bytes).
 */
export function paretoFront<T>(items: readonly T[], quality: (t: T) => number | null, other: (t: T) => number | null, otherBetter: 'higher' | 'lower'): Set<T> {
  const scored = items.filter((t) => quality(t) !== null && other(t) !== null);
  const sign = otherBetter === 'higher' ? 1 : -1;
  const front = new Set<T>();
  for (const a of scored) {
    const qa = quality(a)!;
    const oa = sign * other(a)!;
    const dominated = scored.some((b) => {
      const qb = quality(b)!;
      const ob = sign * other(b)!;
      return qb >= qa && ob >= oa && (qb > qa || ob > oa);
    });
    if (!dominated) front.add(a);
  }
  return front;
}

export interface Recommendation {
  goal: 'best' | 'fastest' | 'smallest';
  title: string;
  pick: Measured | null;
  reasons: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmt = (x: number) => x.toFixed(4);

/**
 * Three goals: the best quality; the fastest within 1 % (relative) of it; the smallest index
 * within 2 %. Ties go to the faster, then the smaller, then the first listed. Variants without
 * the metric (failed, cancelled, not applicable) take no part and are named in the reasons.
 */
export function recommend(rows: readonly Measured[], metric: QualityMetric, corpusSize: number, formatBytes: (n: number) => string): Recommendation[] {
  const q = (m: Measured) => (m.status === 'done' ? (m.quality[metric] ?? null) : null);
  const scored = rows.filter((m) => q(m) !== null);
  const left = rows.length - scored.length;
  const leftNote = left > 0 ? [`${left} variant${left === 1 ? '' : 's'} without ${QUALITY_METRICS[metric]} took no part (see their rows).`] : [];
  const name = QUALITY_METRICS[metric];
  if (scored.length === 0) {
    const none = `No variant has ${name} yet: run the measurement first.`;
    return [
      { goal: 'best', title: 'Best quality', pick: null, reasons: [none] },
      { goal: 'fastest', title: 'Fastest within 1 % of the best quality', pick: null, reasons: [none] },
      { goal: 'smallest', title: 'Smallest index within 2 % of the best quality', pick: null, reasons: [none] },
    ];
  }
  const speed = (m: Measured) => m.sentencesPerS ?? -Infinity;
  const index = (m: Measured) => bytesPerVector(m.variant.stored, m.variant.dims).index * corpusSize;
  const best = [...scored].sort((a, b) => q(b)! - q(a)! || speed(b) - speed(a) || index(a) - index(b))[0];
  const top = q(best)!;
  const within = (share: number) => scored.filter((m) => q(m)! >= top - Math.abs(top) * share);

  const fastPool = within(0.01).filter((m) => m.sentencesPerS !== null);
  const fastest = [...fastPool].sort((a, b) => speed(b) - speed(a) || q(b)! - q(a)! || index(a) - index(b))[0] ?? null;
  const smallPool = within(0.02);
  const smallest = [...smallPool].sort((a, b) => index(a) - index(b) || q(b)! - q(a)! || speed(b) - speed(a))[0];

  const gap = (m: Measured) => (top === 0 ? 0 : (top - q(m)!) / Math.abs(top));
  const ties = scored.filter((m) => m !== best && q(m) === top);
  const bestReasons = [
    `${name} ${fmt(top)}, the highest of ${scored.length} measured variant${scored.length === 1 ? '' : 's'}${scored.length > 1 ? ` (next: ${fmt([...scored].map(q).sort((a, b) => b! - a!)[1]!)})` : ''}.`,
    ...(ties.length > 0 ? [`Tied with ${ties.map((m) => m.variant.id).join(', ')} (the same ${name}): chosen as the faster, then the smaller index.`] : []),
    ...(best.sentencesPerS !== null ? [`${best.sentencesPerS.toFixed(0)} sentences/s; index ${formatBytes(index(best))} for ${corpusSize.toLocaleString('en')} vectors.`] : []),
    ...leftNote,
  ];
  const fastReasons = fastest
    ? [
        `${name} ${fmt(q(fastest)!)}: ${pct(gap(fastest))} below the best (${fmt(top)}), within the 1 % allowed; ${fastPool.length} variant${fastPool.length === 1 ? '' : 's'} qualified.`,
        `${fastest.sentencesPerS!.toFixed(0)} sentences/s${fastest === best ? ', and it is the best-quality variant itself' : best.sentencesPerS ? `, ${(fastest.sentencesPerS! / best.sentencesPerS).toFixed(2)}× the best-quality variant's ${best.sentencesPerS.toFixed(0)}` : ''}${fastest.latencyMs !== null ? `; one query ${fastest.latencyMs.toFixed(1)} ms` : ''}.`,
      ]
    : ['No variant within 1 % of the best quality has a speed measurement.'];
  const smallReasons = [
    `${name} ${fmt(q(smallest)!)}: ${pct(gap(smallest))} below the best, within the 2 % allowed; ${smallPool.length} variant${smallPool.length === 1 ? '' : 's'} qualified.`,
    `Index of ${corpusSize.toLocaleString('en')} vectors: ${formatBytes(index(smallest))} (${bytesPerVector(smallest.variant.stored, smallest.variant.dims).index} B a vector)${smallest === best || index(best) === index(smallest) ? ': the best-quality variant is already the smallest' : `, ${(index(best) / index(smallest)).toFixed(1)}× smaller than the best-quality variant's ${formatBytes(index(best))}`}.`,
    ...(smallest.variant.stored === 'binary+rescore' ? [`Rescoring also keeps the float32 rows (${formatBytes(bytesPerVector('float32', smallest.variant.dims).index * corpusSize)}) outside the searched index, e.g. on disk.`] : []),
  ];
  return [
    { goal: 'best', title: 'Best quality', pick: best, reasons: bestReasons },
    { goal: 'fastest', title: 'Fastest within 1 % of the best quality', pick: fastest, reasons: fastReasons },
    { goal: 'smallest', title: 'Smallest index within 2 % of the best quality', pick: smallest, reasons: smallReasons },
  ];
}

/**
 * The cache key of one measurement: what it depends on and nothing else, so a run resumes from
 * every piece measured before on this device and browser, with this model, dtype, configuration
 * and data.
 */
export function measurementKey(parts: { device: string; browser: string; model: string; dtype: string; config: string; data: string; what: 'quality' | 'speed' }): string {
  return [parts.what, parts.device, parts.browser, parts.model, parts.dtype, parts.config, parts.data].join(' | ');
}
