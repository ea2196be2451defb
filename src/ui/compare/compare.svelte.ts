/**
 * The Compare view's state: which variants stand side by side, the reference, one query's
 * results per variant with their agreement with the reference, and quality on labelled data.
 * Framework-free pieces live in src/core/compare/ and src/core/eval/; this only wires them to
 * the loaded models, the store and the search worker.
 */
import { VectorStore } from '../../core/store/store.ts';
import type { CollectionRecord } from '../../core/store/db.ts';
import { describeError } from '../../core/errors.ts';
import { differsFromReference, overlapAtK, recallAtDepth } from '../../core/compare/agreement.ts';
import { MAX_VARIANTS, suggestVariants, variantKey, type Variant } from '../../core/compare/variants.ts';
import type { Embed } from '../../core/eval/evaluate.ts';
import { scoreRetrieval, scoreSts } from './quality-client.ts';
import type { LabelledData } from '../../core/eval/labelled-files.ts';
import { catalog } from '../../../models/catalog.ts';
import { models, type LoadedModel } from '../models.svelte.ts';
import { search } from '../../search-client.ts';
import type { SearchHit } from '../../../workers/search.worker.ts';
import type { ScanFacts } from '../../core/search/describe.ts';

export interface ColumnResult {
  hits: SearchHit[];
  /** For each hit: not in the reference's top-k. */
  differs: boolean[];
  searchMs: number;
  loadMs: number;
  embedMs: number;
  /** The loaded model that embedded the query. */
  modelLabel: string;
  /** How the search ran: time, bytes scanned, kernel, workers (search worker's response). */
  scan: ScanFacts;
  overlap: number | null;
  recall: number | null;
}

export type Column =
  | { state: 'ok'; result: ColumnResult }
  | { state: 'no-model'; modelId: string; loadable: boolean }
  | { state: 'error'; message: string };

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

class CompareState {
  collections = $state<CollectionRecord[]>([]);
  variants = $state<Variant[]>([]);
  /** Index into `variants` whose collection's float32 exact result is the reference. */
  referenceIndex = $state(0);
  query = $state('');
  k = $state(10);
  /** Recall k@depth looks this deep into each variant's results. */
  depth = $state(100);
  columns = $state<Record<string, Column>>({});
  referenceError = $state<string | null>(null);
  error = $state<string | null>(null);
  running = $state(false);
  /** The query the columns answer (not the one being typed). */
  answered = $state<string | null>(null);

  /** Raw, not a deep proxy: it can be large, and it is cloned to the quality worker as is. */
  labelled = $state.raw<LabelledData | null>(null);
  labelledError = $state<string | null>(null);
  quality = $state<QualityRow[]>([]);
  qualityRunning = $state(false);

  private store: Promise<VectorStore> | null = null;

  db(): Promise<VectorStore> {
    this.store ??= VectorStore.open();
    return this.store;
  }

  collection(id: string): CollectionRecord | undefined {
    return this.collections.find((c) => c.id === id);
  }

  async refresh(): Promise<void> {
    // Oldest first (ids are random): the first collection embedded is the natural reference.
    this.collections = (await (await this.db()).listCollections()).sort((a, b) => a.createdAt - b.createdAt);
    // Variants of deleted collections go; a first look gets a suggested set.
    this.variants = this.variants.filter((v) => this.collection(v.collectionId));
    if (this.variants.length === 0) this.variants = suggestVariants(this.collections);
    if (this.referenceIndex >= this.variants.length) this.referenceIndex = 0;
  }

  add(v: Variant): void {
    if (this.variants.length >= MAX_VARIANTS) {
      this.error = `At most ${MAX_VARIANTS} variants side by side: remove one first.`;
      return;
    }
    if (this.variants.some((x) => variantKey(x) === variantKey(v))) {
      this.error = 'That variant is already shown.';
      return;
    }
    this.error = null;
    this.variants.push(v);
  }

  remove(index: number): void {
    this.variants.splice(index, 1);
    if (this.referenceIndex === index) this.referenceIndex = 0;
    else if (this.referenceIndex > index) this.referenceIndex--;
  }

  /**
   * Which loaded model embeds queries for a collection, by collection id. A collection records its
   * model id but not the weights' dtype, so with use-lite fp32 and int8 both loaded the person
   * picks; unset = the first one loaded.
   */
  queryModel = $state<Record<string, string>>({});

  /** Ready models that can embed queries for collections of `modelId`. */
  modelsFor(modelId: string): LoadedModel[] {
    return models.list.filter((m) => m.status === 'ready' && m.info?.id === modelId);
  }

  modelFor(c: Pick<CollectionRecord, 'id' | 'modelId'>): LoadedModel | undefined {
    const options = this.modelsFor(c.modelId);
    return options.find((m) => m.key === this.queryModel[c.id]) ?? options[0];
  }

  /** Loads a model the app ships (catalog) so a collection of it can be queried. */
  async loadModel(modelId: string): Promise<void> {
    const entry = catalog.find((m) => m.id === modelId);
    if (!entry) return;
    const baseUrl = new URL(entry.path, document.baseURI).href;
    const transformer = entry.kind === 'transformer';
    await models.load(
      { id: entry.id, kind: entry.kind, source: { type: 'url', baseUrl, files: entry.files }, ...(transformer ? { dtype: 'fp32' as const, backend: 'auto' as const } : {}) },
      transformer ? `${entry.label} · fp32 · auto` : entry.label,
    );
    if (this.answered) await this.run(this.answered);
  }

  /** One query → one column per variant, each measured against the reference's float32 top-k. */
  async run(queryText = this.query): Promise<void> {
    const text = queryText.trim();
    this.error = null;
    this.referenceError = null;
    if (!text) {
      this.error = 'Type a query first.';
      return;
    }
    if (this.variants.length === 0) {
      this.error = 'Add at least one variant: embed a corpus in Collections first, then pick how to search it.';
      return;
    }
    const k = Math.floor(Number(this.k));
    const depth = Math.floor(Number(this.depth));
    if (!(k >= 1 && k <= 100)) {
      this.error = `top-k must be a whole number from 1 to 100 (got ${this.k ?? 'nothing'}).`;
      return;
    }
    if (!(depth >= k && depth <= 1000)) {
      this.error = `The recall depth must be a whole number from k (${k}) to 1000 (got ${this.depth ?? 'nothing'}).`;
      return;
    }
    this.query = text;
    this.running = true;
    try {
      await this.refresh();
      // Plain objects: they cross to the search worker, and $state proxies cannot be cloned.
      const variants = $state.snapshot(this.variants) as Variant[];
      const reference = variants[this.referenceIndex];
      // Each model embeds the query once, whatever number of variants it serves.
      const queries = new Map<string, Promise<{ vector: Float32Array; ms: number }>>();
      const embedFor = (model: LoadedModel) => {
        let q = queries.get(model.key);
        if (!q) {
          const started = performance.now();
          q = models.client(model.key)!.embed([text]).then((r) => ({ vector: r.vectors, ms: performance.now() - started }));
          queries.set(model.key, q);
        }
        return q;
      };

      let refTexts: string[] | null = null;
      const refCollection = reference && this.collection(reference.collectionId);
      if (!refCollection) {
        this.referenceError = 'Mark a variant as the reference.';
      } else if (!refCollection.precisions.includes('float32')) {
        this.referenceError = `The reference "${refCollection.name}" keeps no float32 vectors (only ${refCollection.precisions.join(', ')}), so it has no exact result to measure against: mark a collection that keeps float32 as the reference.`;
      } else if (!this.modelFor(refCollection)) {
        this.referenceError = `Load ${refCollection.modelId} to compute the reference (the float32 exact top-${k} of "${refCollection.name}").`;
      } else {
        try {
          const { vector } = await embedFor(this.modelFor(refCollection)!);
          const r = await search({ collectionId: refCollection.id, precision: 'float32', query: vector, k });
          refTexts = r.hits.map((h) => h.text);
        } catch (err) {
          this.referenceError = `The reference search failed: ${describeError(err)}`;
        }
      }

      const columns: Record<string, Column> = {};
      for (const v of variants) {
        const c = this.collection(v.collectionId);
        if (!c) {
          columns[variantKey(v)] = { state: 'error', message: 'This collection was deleted.' };
          continue;
        }
        const model = this.modelFor(c);
        if (!model) {
          columns[variantKey(v)] = { state: 'no-model', modelId: c.modelId, loadable: catalog.some((m) => m.id === c.modelId) };
          continue;
        }
        try {
          const { vector, ms } = await embedFor(model);
          const shown = await search({ collectionId: c.id, precision: v.precision, query: vector, k, rescore: v.rescore });
          const texts = shown.hits.map((h) => h.text);
          let recall: number | null = null;
          if (refTexts) {
            // The same variant asked for `depth` results: does it hold the reference's top-k at all?
            const deep = depth > k ? (await search({ collectionId: c.id, precision: v.precision, query: vector, k: depth, rescore: v.rescore })).hits.map((h) => h.text) : texts;
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
              scan: shown,
              overlap: refTexts ? overlapAtK(texts, refTexts, k) : null,
              recall,
            },
          };
        } catch (err) {
          columns[variantKey(v)] = { state: 'error', message: describeError(err) };
        }
      }
      this.columns = columns;
      this.answered = text;
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.running = false;
    }
  }

  /**
   * Quality with labels per variant, by the functions `npm run eval` calls (src/core/eval/evaluate.ts),
   * in the quality worker; the texts are embedded by each variant's loaded model.
   */
  async evaluate(): Promise<void> {
    const data = this.labelled;
    if (!data) {
      this.labelledError = 'Pick an STS file or a BEIR folder first.';
      return;
    }
    this.labelledError = null;
    this.qualityRunning = true;
    const rows: QualityRow[] = ($state.snapshot(this.variants) as Variant[]).map((variant) => ({ variant, state: 'waiting' }));
    this.quality = rows;
    // One embedding per model and text list: variants of the same model share it.
    const cache = new Map<string, Promise<{ vectors: Float32Array; dims: number }>>();
    try {
      for (let i = 0; i < this.quality.length; i++) {
        const row = this.quality[i];
        const c = this.collection(row.variant.collectionId);
        const model = c && this.modelFor(c);
        if (!c || !model) {
          row.state = 'no-model';
          row.modelId = c?.modelId;
          row.message = c ? `${c.modelId} is not loaded, so this variant's texts cannot be embedded.` : 'This collection was deleted.';
          continue;
        }
        row.state = 'running';
        const client = models.client(model.key)!;
        const embed: Embed = (texts) => {
          const key = `${model.key}\u0001${texts.length}\u0001${texts.join('\u0000')}`;
          let hit = cache.get(key);
          if (!hit) {
            hit = embedInBatches(texts, (batch) => client.embed(batch));
            cache.set(key, hit);
          }
          return hit;
        };
        const started = performance.now();
        const dims = c.dims !== c.modelDims ? c.dims : undefined;
        try {
          if (data.kind === 'sts') {
            const r = await scoreSts(data.pairs, embed, { precision: row.variant.precision, dims });
            row.metrics = [{ name: 'Spearman', value: r.spearman }];
            row.n = r.n;
            if (row.variant.rescore) row.message = 'STS scores pairs one by one: rescoring does not apply, so this is the first-stage precision alone.';
          } else {
            const r = await scoreRetrieval(data.data, embed, { precision: row.variant.precision, dims, rescore: row.variant.rescore?.multiplier });
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
        row.seconds = (performance.now() - started) / 1000;
      }
    } finally {
      this.qualityRunning = false;
    }
  }
}

/** Embeds in batches of 256 so one worker call never holds a whole corpus. */
async function embedInBatches(texts: string[], embed: (batch: string[]) => Promise<{ vectors: Float32Array; dims: number }>) {
  let out: Float32Array | null = null;
  let dims = 0;
  for (let i = 0; i < texts.length; i += 256) {
    const r = await embed(texts.slice(i, i + 256));
    dims = r.dims;
    out ??= new Float32Array(texts.length * dims);
    out.set(r.vectors, i * dims);
  }
  return { vectors: out ?? new Float32Array(0), dims };
}

export const compare = new CompareState();
