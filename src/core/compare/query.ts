/**
 * The Compare view's two actions without the page: one query answered by every variant and
 * measured against the reference's float32 exact top-k, and quality on labelled data per variant.
 * The page (src/ui/compare/compare.svelte.ts) passes in how to embed (through the scheduler:
 * `embedNow`), how to search (the search worker) and how to score (the quality worker), and keeps
 * the results as state; the rules live here and are unit-tested in Node (tests/unit/compare-query.test.ts).
 */
import { describeError } from '../errors.ts';
import type { CollectionRecord } from '../store/db.ts';
import type { PrecisionId } from '../precision/index.ts';
import type { BeirData } from '../eval/retrieval.ts';
import type { StsPair } from '../eval/sts.ts';
import type { Embed, PrecisionOptions } from '../eval/evaluate.ts';
import type { LabelledData } from '../eval/labelled-files.ts';
import type { ScanFacts } from '../search/describe.ts';
import { differsFromReference, overlapAtK, recallAtDepth } from './agreement.ts';
import { variantKey, type Variant } from './variants.ts';

export type CompareCollection = Pick<CollectionRecord, 'id' | 'name' | 'modelId' | 'modelDims' | 'dims' | 'precisions'>;

export interface QueryHit {
  text: string;
}

/** A search worker's answer: its hits and how the scan ran (time, bytes, kernel, workers). */
export interface SearchAnswer<H extends QueryHit> extends ScanFacts {
  hits: H[];
}

export interface SearchAsk {
  collectionId: string;
  precision: PrecisionId;
  query: Float32Array;
  k: number;
  rescore?: Variant['rescore'];
}

/** What the orchestration needs from the page; `M` is a loaded model (its key and label). */
export interface CompareDeps<M extends { key: string; label: string }, H extends QueryHit> {
  collection(id: string): CompareCollection | undefined;
  /** The loaded model that embeds queries for this collection, if any. */
  modelFor(c: CompareCollection): M | undefined;
  /** Embeds on demand (the page routes it through the scheduler: embedNow). */
  embed(model: M, texts: string[]): Promise<{ vectors: Float32Array; dims: number }>;
  search(ask: SearchAsk): Promise<SearchAnswer<H>>;
  /** Whether the app ships this model (the column then offers to load it). */
  loadable(modelId: string): boolean;
  now?: () => number;
}

export interface ColumnResult<H extends QueryHit = QueryHit> {
  hits: H[];
  /** For each hit: not in the reference's top-k. */
  differs: boolean[];
  searchMs: number;
  loadMs: number;
  embedMs: number;
  /** The loaded model that embedded the query. */
  modelLabel: string;
  /** How the search ran: time, bytes scanned, kernel, workers (the search worker's answer). */
  scan: ScanFacts;
  overlap: number | null;
  recall: number | null;
}

export type Column<H extends QueryHit = QueryHit> =
  | { state: 'ok'; result: ColumnResult<H> }
  | { state: 'no-model'; modelId: string; loadable: boolean }
  | { state: 'error'; message: string };

/** The query, k and depth as typed, checked: an error to show, or the values to run with. */
export function checkQuery(
  query: string,
  kTyped: unknown,
  depthTyped: unknown,
  variants: number,
): { error: string } | { text: string; k: number; depth: number } {
  const text = query.trim();
  if (!text) return { error: 'Type a query first.' };
  if (variants === 0) return { error: 'Add at least one variant: embed a corpus in Collections first, then pick how to search it.' };
  const k = Math.floor(Number(kTyped));
  const depth = Math.floor(Number(depthTyped));
  if (!(k >= 1 && k <= 100)) return { error: `top-k must be a whole number from 1 to 100 (got ${kTyped ?? 'nothing'}).` };
  if (!(depth >= k && depth <= 1000)) return { error: `The recall depth must be a whole number from k (${k}) to 1000 (got ${depthTyped ?? 'nothing'}).` };
  return { text, k, depth };
}

/**
 * One query → one column per variant (keyed by variantKey), each measured against the reference's
 * float32 exact top-k: overlap@k, recall k@depth and which hits differ. Each model embeds the query
 * once, whatever number of variants it serves. A variant that fails gets an error column; the others
 * still run.
 */
export async function runQuery<M extends { key: string; label: string }, H extends QueryHit>(
  deps: CompareDeps<M, H>,
  ask: { text: string; k: number; depth: number; variants: readonly Variant[]; referenceIndex: number },
): Promise<{ columns: Record<string, Column<H>>; referenceError: string | null }> {
  const now = deps.now ?? (() => performance.now());
  const { text, k, depth } = ask;
  const queries = new Map<string, Promise<{ vector: Float32Array; ms: number }>>();
  const embedFor = (model: M) => {
    let q = queries.get(model.key);
    if (!q) {
      const started = now();
      q = deps.embed(model, [text]).then((r) => ({ vector: r.vectors, ms: now() - started }));
      queries.set(model.key, q);
    }
    return q;
  };

  let referenceError: string | null = null;
  let refTexts: string[] | null = null;
  const reference = ask.variants[ask.referenceIndex];
  const refCollection = reference && deps.collection(reference.collectionId);
  const refModel = refCollection && deps.modelFor(refCollection);
  if (!refCollection) {
    referenceError = 'Mark a variant as the reference.';
  } else if (!refCollection.precisions.includes('float32')) {
    referenceError = `The reference "${refCollection.name}" keeps no float32 vectors (only ${refCollection.precisions.join(', ')}), so it has no exact result to measure against: mark a collection that keeps float32 as the reference.`;
  } else if (!refModel) {
    referenceError = `Load ${refCollection.modelId} to compute the reference (the float32 exact top-${k} of "${refCollection.name}").`;
  } else {
    try {
      const { vector } = await embedFor(refModel);
      const r = await deps.search({ collectionId: refCollection.id, precision: 'float32', query: vector, k });
      refTexts = r.hits.map((h) => h.text);
    } catch (err) {
      referenceError = `The reference search failed: ${describeError(err)}`;
    }
  }

  const columns: Record<string, Column<H>> = {};
  for (const v of ask.variants) {
    const c = deps.collection(v.collectionId);
    if (!c) {
      columns[variantKey(v)] = { state: 'error', message: 'This collection was deleted.' };
      continue;
    }
    const model = deps.modelFor(c);
    if (!model) {
      columns[variantKey(v)] = { state: 'no-model', modelId: c.modelId, loadable: deps.loadable(c.modelId) };
      continue;
    }
    try {
      const { vector, ms } = await embedFor(model);
      const shown = await deps.search({ collectionId: c.id, precision: v.precision, query: vector, k, rescore: v.rescore });
      const texts = shown.hits.map((h) => h.text);
      let recall: number | null = null;
      if (refTexts) {
        // The same variant asked for `depth` results: does it hold the reference's top-k at all?
        const deep = depth > k ? (await deps.search({ collectionId: c.id, precision: v.precision, query: vector, k: depth, rescore: v.rescore })).hits.map((h) => h.text) : texts;
        recall = recallAtDepth(deep, refTexts, k, depth);
      }
      columns[variantKey(v)] = {
        state: 'ok',
        result: {
          hits: shown.hits,
          differs: refTexts ? differsFromReference(texts, refTexts, k) : texts.map(() => false),
          searchMs: shown.searchMs,
          loadMs: shown.loadMs,
          embedMs: ms,
          modelLabel: model.label,
          scan: { searchMs: shown.searchMs, loadMs: shown.loadMs, bytes: shown.bytes, kernel: shown.kernel, workers: shown.workers, workersNote: shown.workersNote },
          overlap: refTexts ? overlapAtK(texts, refTexts, k) : null,
          recall,
        },
      };
    } catch (err) {
      columns[variantKey(v)] = { state: 'error', message: describeError(err) };
    }
  }
  return { columns, referenceError };
}

export interface QualityRow {
  variant: Variant;
  state: 'waiting' | 'running' | 'done' | 'error' | 'no-model';
  /** The model to load when state is 'no-model'. */
  modelId?: string;
  message?: string;
  metrics?: { name: string; value: number }[];
  n?: number;
  seconds?: number;
}

/** The quality worker's two scorers (src/core/eval/evaluate.ts, run off the main thread). */
export interface Scorers {
  sts(pairs: StsPair[], embed: Embed, opts: PrecisionOptions): Promise<{ spearman: number; n: number }>;
  retrieval(data: BeirData, embed: Embed, opts: PrecisionOptions & { rescore?: number }): Promise<{ ndcg10: number; recall100: number; n: number }>;
}

/** Texts are embedded in batches of this many, so one worker call never holds a whole corpus. */
export const EVAL_BATCH = 256;

/**
 * Quality with labels per variant, by the functions `npm run eval` calls; the texts are embedded by
 * each variant's loaded model, once per model and text list (variants of one model share it).
 * `onRow` gets each row as it changes (waiting → running → done / error / no-model).
 */
export async function evaluateVariants<M extends { key: string; label: string }>(
  deps: Pick<CompareDeps<M, QueryHit>, 'collection' | 'modelFor' | 'embed' | 'now'>,
  scorers: Scorers,
  data: LabelledData,
  variants: readonly Variant[],
  onRow: (index: number, row: QualityRow) => void,
): Promise<QualityRow[]> {
  const now = deps.now ?? (() => performance.now());
  const rows: QualityRow[] = variants.map((variant) => ({ variant, state: 'waiting' }));
  rows.forEach((r, i) => onRow(i, r));
  const cache = new Map<string, Promise<{ vectors: Float32Array; dims: number }>>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const update = (patch: Partial<QualityRow>) => onRow(i, Object.assign(row, patch));
    const c = deps.collection(row.variant.collectionId);
    const model = c && deps.modelFor(c);
    if (!c || !model) {
      update({
        state: 'no-model',
        modelId: c?.modelId,
        message: c ? `${c.modelId} is not loaded, so this variant's texts cannot be embedded.` : 'This collection was deleted.',
      });
      continue;
    }
    update({ state: 'running' });
    const embed: Embed = (texts) => {
      const key = `${model.key}\u0001${texts.length}\u0001${texts.join('\u0000')}`;
      let hit = cache.get(key);
      if (!hit) {
        hit = embedInBatches(texts, (batch) => deps.embed(model, batch));
        cache.set(key, hit);
      }
      return hit;
    };
    const started = now();
    const dims = c.dims !== c.modelDims ? c.dims : undefined;
    try {
      if (data.kind === 'sts') {
        const r = await scorers.sts(data.pairs, embed, { precision: row.variant.precision, dims });
        row.metrics = [{ name: 'Spearman', value: r.spearman }];
        row.n = r.n;
        if (row.variant.rescore) row.message = 'STS scores pairs one by one: rescoring does not apply, so this is the first-stage precision alone.';
      } else {
        const r = await scorers.retrieval(data.data, embed, { precision: row.variant.precision, dims, rescore: row.variant.rescore?.multiplier });
        row.metrics = [
          { name: 'NDCG@10', value: r.ndcg10 },
          { name: 'recall@100', value: r.recall100 },
        ];
        row.n = r.n;
        if (row.variant.rescore && row.variant.rescore.with !== 'float32') row.message = `npm run eval rescores with float32; this collection rescores with ${row.variant.rescore.with}.`;
      }
      row.state = 'done';
    } catch (err) {
      row.state = 'error';
      row.message = describeError(err);
    }
    update({ seconds: (now() - started) / 1000 });
  }
  return rows;
}

/** Embeds in batches of EVAL_BATCH and joins the rows. */
export async function embedInBatches(texts: string[], embed: (batch: string[]) => Promise<{ vectors: Float32Array; dims: number }>) {
  let out: Float32Array | null = null;
  let dims = 0;
  for (let i = 0; i < texts.length; i += EVAL_BATCH) {
    const r = await embed(texts.slice(i, i + EVAL_BATCH));
    dims = r.dims;
    out ??= new Float32Array(texts.length * dims);
    out.set(r.vectors, i * dims);
  }
  return { vectors: out ?? new Float32Array(0), dims };
}
