/**
 * The Compare view's state: which variants stand side by side, the reference, one query's
 * results per variant with their agreement with the reference, and quality on labelled data.
 * The orchestration (a query over every variant, quality per variant) lives framework-free in
 * src/core/compare/query.ts; this keeps its results as state and wires it to the loaded models
 * (through the scheduler), the store and the search and quality workers.
 */
import { VectorStore } from '../../core/store/store.ts';
import type { CollectionRecord } from '../../core/store/db.ts';
import { describeError } from '../../core/errors.ts';
import { MAX_VARIANTS, suggestVariants, variantKey, type Variant } from '../../core/compare/variants.ts';
import {
  checkQuery,
  evaluateVariants,
  runQuery,
  type Column as CoreColumn,
  type ColumnResult as CoreColumnResult,
  type CompareCollection,
  type QualityRow,
} from '../../core/compare/query.ts';
import { scoreRetrieval, scoreSts } from './quality-client.ts';
import type { LabelledData } from '../../core/eval/labelled-files.ts';
import { catalog } from '../../../models/catalog.ts';
import { specFor } from '../../core/models/registry.ts';
import { models, type LoadedModel } from '../models.svelte.ts';
import { search } from '../../search-client.ts';
import { embedNow } from '../../embed-queue.ts';

/** A search result row as the search worker gives it. */
type SearchHit = Awaited<ReturnType<typeof search>>['hits'][number];

export type Column = CoreColumn<SearchHit>;
export type ColumnResult = CoreColumnResult<SearchHit>;
export type { QualityRow };

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
    const transformer = entry.kind === 'transformer';
    await models.load(specFor(entry, { dtype: 'fp32', backend: 'auto' }), transformer ? `${entry.label} · fp32 · auto` : entry.label);
    if (this.answered) await this.run(this.answered);
  }

  /** What the orchestration in src/core/compare/query.ts needs from the page. */
  private deps() {
    return {
      collection: (id: string) => this.collection(id),
      modelFor: (c: CompareCollection) => this.modelFor(c),
      // Through the scheduler like every embed: a query runs before any corpus batch not yet started.
      embed: (model: LoadedModel, texts: string[]) => embedNow(models.client(model.key)!, texts),
      search,
      loadable: (modelId: string) => catalog.some((m) => m.id === modelId),
    };
  }

  /** One query → one column per variant, each measured against the reference's float32 top-k. */
  async run(queryText = this.query): Promise<void> {
    this.error = null;
    this.referenceError = null;
    const checked = checkQuery(queryText, this.k, this.depth, this.variants.length);
    if ('error' in checked) {
      this.error = checked.error;
      return;
    }
    this.query = checked.text;
    this.running = true;
    try {
      await this.refresh();
      // Plain objects: they cross to the search worker, and $state proxies cannot be cloned.
      const variants = $state.snapshot(this.variants) as Variant[];
      const { columns, referenceError } = await runQuery(this.deps(), { ...checked, variants, referenceIndex: this.referenceIndex });
      this.referenceError = referenceError;
      this.columns = columns;
      this.answered = checked.text;
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
    const variants = $state.snapshot(this.variants) as Variant[];
    this.quality = variants.map((variant) => ({ variant, state: 'waiting' }));
    try {
      await evaluateVariants(this.deps(), { sts: scoreSts, retrieval: scoreRetrieval }, data, variants, (i, row) => (this.quality[i] = { ...row }));
    } finally {
      this.qualityRunning = false;
    }
  }
}

export const compare = new CompareState();
