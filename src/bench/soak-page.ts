/**
 * The soak run's steps that happen in the page (src/bench/soak.ts drives them from Node, since a
 * page reload is one of the faults and no page code outlives it). Each step uses the code a person
 * uses: models through the model client's pool loader and scheduler lanes (on-demand ahead of
 * bulk), collections through the store and runIngestJob as the Collections view runs them,
 * searches through the search worker, export/import through core/corpus/collection.ts. The
 * clients come in as `SoakDeps` (wired in src/main.ts): bench sits below them in the layers.
 */
import { catalog } from '../../models/catalog.ts';
import { splitSentences } from '../core/corpus/sentences.ts';
import { exportCollection, importCollection } from '../core/corpus/collection.ts';
import { variantsOf } from '../core/compare/variants.ts';
import { describeError } from '../core/errors.ts';
import { specFor } from '../core/models/registry.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { TransformerDtype } from '../core/models/dtypes.ts';
import { precisions, type PrecisionId } from '../core/precision/index.ts';
import { contentHash } from '../core/store/hash.ts';
import { runIngestJob } from '../core/store/ingest.ts';
import type { JobRecord } from '../core/store/db.ts';
import { VectorStore } from '../core/store/store.ts';
import type { PoolLoader } from './pool.ts';
import { compareTexts, soakTexts } from './soak-plan.ts';

/** A loaded model as the Collections view holds one: its two scheduler lanes. */
export interface SoakModel {
  embedNow(texts: string[], signal?: AbortSignal): Promise<{ vectors: Float32Array; dims: number }>;
  embedBulk(texts: string[], signal?: AbortSignal): Promise<{ vectors: Float32Array; dims: number }>;
  unload(): void;
}

export interface SoakSearchRequest {
  collectionId: string;
  precision: PrecisionId;
  query: Float32Array;
  k: number;
  rescore?: { multiplier: number; with: PrecisionId };
}

export interface SoakDeps {
  loadPool: PoolLoader;
  openModel(spec: ModelSpec): Promise<SoakModel>;
  search(req: SoakSearchRequest): Promise<{ hits: { row: number; text: string }[] }>;
  forgetCollection(collectionId: string): Promise<void>;
}

/** The collections' model: the static one, fast enough for hundreds of thousands of chunks in minutes. */
export const INGEST_MODEL = 'glove-100d';
export const KEPT: PrecisionId[] = ['float32', 'int8', 'binary'];
const BATCH = 512;

export interface CycleSpec {
  model: string;
  dtype: string;
  backend: 'wasm' | 'webgpu';
  pool: number;
}

export interface CycleResult {
  loadMs: number;
  embedMs: number;
  wasmBytes: number;
  gpuBufferBytes: number;
  modelBytes: number;
}

export interface VerifyResult {
  stored: number;
  count: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  hashMismatches: number;
  precisionRows: Record<string, number>;
  /** Sampled rows whose stored float32 vector is not the one the model gives for the row's text now. */
  vectorMismatches: number;
  sampled: number;
}

interface IngestState {
  jobId: string;
  controller: AbortController;
  finished: Promise<void>;
  job: JobRecord | null;
  error: string | null;
  running: boolean;
  /** Called at every progress report (runningPast's waiters). */
  onProgress?: () => void;
}

async function baseTexts(): Promise<string[]> {
  const get = async (path: string) => {
    const res = await fetch(new URL(path, document.baseURI));
    if (!res.ok) throw new Error(`${path}: ${res.status} (run \`npm run models\`)`);
    return res.text();
  };
  const [moby, sotu] = await Promise.all([get('corpora/moby-dick.txt'), get('corpora/sotu.jsonl')]);
  const speeches = sotu.split('\n').filter(Boolean).map((l) => String((JSON.parse(l) as { text: string }).text));
  return [...splitSentences(moby), ...speeches.flatMap((s) => splitSentences(s))].filter((t) => t.length < 400);
}

function cycleSpec(c: CycleSpec): ModelSpec {
  const entry = catalog.find((m) => m.id === c.model);
  if (!entry) throw new Error(`${c.model} is not in the catalog`);
  // Threads left to the client's default for the pool size, as a person's load gets them.
  return specFor(entry, { dtype: c.dtype as TransformerDtype, backend: c.backend });
}

/** The page's side of the soak; one per page load (a reload starts a new one). */
export function createSoak(deps: SoakDeps) {
  let store: Promise<VectorStore> | null = null;
  const db = () => (store ??= VectorStore.open());
  let model: SoakModel | null = null;
  let ingest: IngestState | null = null;
  let texts: Promise<string[]> | null = null;
  const base = () => (texts ??= baseTexts());

  async function loadIngestModel(): Promise<SoakModel> {
    if (model) return model;
    const entry = catalog.find((m) => m.id === INGEST_MODEL)!;
    model = await deps.openModel(specFor(entry));
    return model;
  }

  const api = {
    /** The model × dtype cells the catalogue offers, for the cycles. */
    catalogCells(): { model: string; dtypes: string[] }[] {
      return catalog.map((m) => ({ model: m.id, dtypes: m.kind === 'static' ? ['table'] : [...(m.dtypes ?? ['fp32'])] }));
    },

    /** One load → embed → unload, measuring the pool's memory inside its workers while it is loaded. */
    async cycle(c: CycleSpec, sample: number): Promise<CycleResult> {
      const sentences = (await base()).slice(0, sample);
      let t = performance.now();
      const pool = await deps.loadPool(cycleSpec(c), c.pool);
      try {
        const loadMs = performance.now() - t;
        t = performance.now();
        for (let i = 0; i < sentences.length; i += 32) await pool.embed(sentences.slice(i, i + 32));
        const embedMs = performance.now() - t;
        const mem = await pool.memory();
        return {
          loadMs,
          embedMs,
          wasmBytes: mem.reduce((s, m) => s + m.wasmBytes, 0),
          gpuBufferBytes: mem.reduce((s, m) => s + m.gpuBufferBytes, 0),
          modelBytes: mem.reduce((s, m) => s + m.modelBytes, 0),
        };
      } finally {
        pool.unload();
      }
    },

    /** A new collection keeping float32 + int8 + binary, with `n` soak texts queued (not yet embedded). */
    async prepare(name: string, n: number): Promise<{ collectionId: string; jobId: string; queued: number }> {
      const s = await db();
      const m = catalog.find((e) => e.id === INGEST_MODEL)!;
      const c = await s.createCollection({ name, modelId: m.id, modelDims: m.dims, precisions: KEPT });
      const all = soakTexts(await base(), n);
      const queue = await s.openQueue(c.id);
      for (let i = 0; i < all.length; i += 5000) await queue.append(all.slice(i, i + 5000).map((text) => ({ text, source: 'soak' })));
      const job = await queue.finish();
      return { collectionId: c.id, jobId: job.id, queued: job.total };
    },

    /** Runs (or resumes) a job in the background, as the Collections view does; `ingestStatus` follows it. */
    async startIngest(jobId: string, pauseAt?: number): Promise<void> {
      if (ingest?.running) throw new Error('an ingest is already running');
      const s = await db();
      const m = await loadIngestModel();
      const controller = new AbortController();
      const state: IngestState = { jobId, controller, finished: Promise.resolve(), job: (await s.job(jobId)) ?? null, error: null, running: true };
      state.finished = runIngestJob({
        store: s,
        jobId,
        batchSize: BATCH,
        signal: controller.signal,
        embed: (batch) => m.embedBulk(batch, controller.signal),
        onProgress: (j) => {
          state.job = j;
          state.onProgress?.();
          // A pause at a set point, as the person's Pause button does, so searches and faults land where planned.
          if (pauseAt !== undefined && j.done >= pauseAt) controller.abort();
        },
      }).then(
        (j) => void (state.job = j),
        (err) => void (state.error = describeError(err)),
      ).finally(async () => {
        state.running = false;
        state.job = (await s.job(jobId)) ?? state.job;
      });
      ingest = state;
    },

    async ingestStatus(): Promise<{ running: boolean; done: number; total: number; status: string; error: string | null }> {
      const s = await db();
      const job = ingest ? ((await s.job(ingest.jobId)) ?? ingest.job) : null;
      return { running: ingest?.running ?? false, done: job?.done ?? 0, total: job?.total ?? 0, status: job?.status ?? 'none', error: ingest?.error ?? job?.error ?? null };
    },

    /**
     * Waits, in the page, until the running ingest has committed past `done` or has ended: a fault
     * must land on a running job, and polling from Node (a round trip to a page busy with the
     * ingest's IndexedDB writes) missed the whole rest of a short run's job in 1 of 6 CI-form runs.
     */
    async runningPast(done: number): Promise<{ running: boolean; done: number }> {
      const state = ingest;
      if (!state) return { running: false, done: 0 };
      const seen = () => ({ running: state.running, done: state.job?.done ?? 0 });
      if (!state.running || (state.job?.done ?? 0) > done) return seen();
      return new Promise((resolve) => {
        state.onProgress = () => {
          if ((state.job?.done ?? 0) > done) resolve(seen());
        };
        void state.finished.then(() => resolve(seen()));
      });
    },

    /** Pauses the running ingest and waits until it has stopped and written its status. */
    async pauseIngest(): Promise<void> {
      if (!ingest) return;
      ingest.controller.abort();
      await ingest.finished;
    },

    /** Waits for the running ingest to end (done, paused by a full disk, failed by a crash). */
    async waitIngest(): Promise<void> {
      await ingest?.finished;
    },

    /**
     * `n` searches over every variant the collection serves (each precision, binary rescored with
     * float32…), a query embedded on demand then searched, timed end to end as a person waits.
     */
    async searches(collectionId: string, n: number, offset: number, warmUp = false): Promise<{ ms: number[]; embedMs: number[]; searchMs: number[]; empty: number; errors: string[] }> {
      const s = await db();
      const c = await s.collection(collectionId);
      const variants = variantsOf(c);
      const queries = await base();
      const m = await loadIngestModel();
      const ms: number[] = [];
      const embedMs: number[] = [];
      const searchMs: number[] = [];
      const errors: string[] = [];
      let empty = 0;
      // Uncounted: each variant's rows loaded into the search worker, its kernels compiled.
      if (warmUp) await api.searches(collectionId, 2 * variants.length, offset + 5000);
      for (let i = 0; i < n; i++) {
        const v = variants[(offset + i) % variants.length];
        const q = queries[((offset + i) * 7919) % queries.length];
        const t = performance.now();
        try {
          const { vectors } = await m.embedNow([q]);
          const embedded = performance.now();
          const res = await deps.search({ collectionId, precision: v.precision, query: vectors, k: 10, rescore: v.rescore });
          ms.push(performance.now() - t);
          embedMs.push(embedded - t);
          searchMs.push(performance.now() - embedded);
          if (res.hits.length === 0) empty++;
        } catch (err) {
          errors.push(describeError(err));
        }
      }
      return { ms, embedMs, searchMs, empty, errors };
    },

    /**
     * Fault: the model is unloaded while a search that needs it waits behind a bulk batch. Says what
     * the search said; the model is loaded again afterwards (the page stays usable).
     */
    async unloadWhileSearchQueued(collectionId: string): Promise<{ message: string | null; searchedAfter: boolean }> {
      const m = await loadIngestModel();
      const c = await (await db()).collection(collectionId);
      // A bulk batch keeps the worker busy, so the on-demand query waits in the scheduler.
      const busy = m.embedBulk((await base()).slice(0, 4096)).catch(() => null);
      const query = m.embedNow(['a search whose model goes away']).then((r) => deps.search({ collectionId, precision: c.precisions[0], query: r.vectors, k: 10 }));
      m.unload();
      model = null;
      let message: string | null = null;
      try {
        await query;
      } catch (err) {
        message = describeError(err);
      }
      await busy;
      const again = await api.searches(collectionId, 1, 0);
      return { message, searchedAfter: again.ms.length === 1 };
    },

    /** Checks the store against the texts submitted: counts, content hashes, rows per precision, sampled vectors. */
    async verify(collectionId: string, submitted: number, sampleRows = 200): Promise<VerifyResult> {
      const s = await db();
      const c = await s.collection(collectionId);
      const chunks = await s.chunks(collectionId);
      const cmp = compareTexts(soakTexts(await base(), submitted), chunks.map((ch) => ch.text));
      let hashMismatches = 0;
      for (const ch of chunks) if (contentHash(ch.text) !== ch.hash) hashMismatches++;
      const precisionRows: Record<string, number> = {};
      let float32: Float32Array | null = null;
      for (const p of c.precisions) {
        const packed = await s.loadVectors(collectionId, p);
        precisionRows[p] = packed.byteLength / precisions[p].bytesPerVector(c.dims);
        if (p === 'float32') float32 = packed as Float32Array;
      }
      // Every row's vector must be its own text's: a resumed batch written at the wrong rows would pass the counts.
      let vectorMismatches = 0;
      const rows = Array.from({ length: Math.min(sampleRows, chunks.length) }, (_, i) => Math.floor((i * chunks.length) / Math.min(sampleRows, chunks.length)));
      if (float32 && rows.length) {
        const m = await loadIngestModel();
        const { vectors } = await m.embedNow(rows.map((r) => chunks[r].text));
        rows.forEach((r, i) => {
          let dot = 0;
          for (let d = 0; d < c.dims; d++) dot += vectors[i * c.dims + d] * float32![r * c.dims + d];
          if (Math.abs(dot - 1) > 1e-3) vectorMismatches++;
        });
      }
      return { ...cmp, count: c.count, hashMismatches, precisionRows, vectorMismatches, sampled: rows.length };
    },

    /** Exports the collection (NumPy bundle: every kept precision) and imports it back; compares the two. */
    async exportImport(collectionId: string): Promise<{ exportMs: number; importMs: number; bytes: number; rows: number; textsEqual: boolean; vectorsEqual: Record<string, boolean>; differing: Record<string, string> }> {
      const s = await db();
      let t = performance.now();
      const files = await exportCollection(s, collectionId, 'npy');
      const exportMs = performance.now() - t;
      const list = Object.entries(files).map(([name, content]) => new File([content as BlobPart], name));
      const bytes = list.reduce((n, f) => n + f.size, 0);
      t = performance.now();
      const { collection } = await importCollection(s, list, { precisions: KEPT });
      const importMs = performance.now() - t;
      try {
        const [a, b] = await Promise.all([s.chunks(collectionId), s.chunks(collection.id)]);
        const textsEqual = a.length === b.length && a.every((ch, i) => ch.text === b[i].text);
        const vectorsEqual: Record<string, boolean> = {};
        const differing: Record<string, string> = {};
        for (const p of KEPT) {
          const [x, y] = await Promise.all([s.loadVectors(collectionId, p), s.loadVectors(collection.id, p)]);
          const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
          const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
          const width = precisions[p].bytesPerVector(collection.dims);
          let rows = 0;
          let firstRow = -1;
          for (let r = 0; r * width < bx.length; r++) {
            for (let k = r * width; k < (r + 1) * width; k++) {
              if (bx[k] !== by[k]) {
                rows++;
                if (firstRow < 0) firstRow = r;
                break;
              }
            }
          }
          vectorsEqual[p] = bx.length === by.length && rows === 0;
          if (rows) differing[p] = `${rows} rows differ, first ${firstRow} ("${a[firstRow]?.text.slice(0, 60)}"): ${p === 'float32' ? `${Array.from((x as Float32Array).subarray(firstRow * collection.dims, firstRow * collection.dims + 4))} vs ${Array.from((y as Float32Array).subarray(firstRow * collection.dims, firstRow * collection.dims + 4))}` : ''}`;
        }
        return { exportMs, importMs, bytes, rows: collection.count, textsEqual, vectorsEqual, differing };
      } finally {
        await s.deleteCollection(collection.id);
        await deps.forgetCollection(collection.id);
      }
    },

    /** Loads the collections' model (before timing an ingest, so the rate leaves the load out). */
    async openIngestModel(): Promise<void> {
      await loadIngestModel();
    },

    /** IndexedDB usage now (for the quota fault). */
    async usage(): Promise<number> {
      return (await navigator.storage.estimate()).usage ?? 0;
    },

    /** Deletes a collection and lets the search worker drop its rows; the model stays loaded. */
    async dropCollection(collectionId: string): Promise<void> {
      await (await db()).deleteCollection(collectionId);
      await deps.forgetCollection(collectionId);
    },

    /** Removes the soak's collections and the model, so the end measurement holds nothing of the run. */
    async cleanup(ids: string[]): Promise<void> {
      await api.pauseIngest();
      const s = await db();
      for (const id of ids) {
        await s.deleteCollection(id).catch(() => {});
        await deps.forgetCollection(id);
      }
      model?.unload();
      model = null;
    },
  };
  return api;
}

export type SoakPage = ReturnType<typeof createSoak>;
