/** Collections in this browser's IndexedDB, their jobs, and the actions the Collections view offers. */
import { VectorStore, type ChunkInput } from '../core/store/store.ts';
import type { CollectionRecord, JobRecord } from '../core/store/db.ts';
import type { Packed, PrecisionId } from '../core/precision/index.ts';
import { exportJsonl, exportNpy, ImportError, parseJsonlImport, parseNpyImport, type ImportedRows } from '../core/store/transfer.ts';
import { runIngestJob } from '../core/store/ingest.ts';
import { describeError } from '../core/errors.ts';
import { models } from './models.svelte.ts';
import { forgetCollection } from '../search-client.ts';
import { embedBulk, onBulkWait } from '../embed-queue.ts';
import type { FileOutcome } from '../core/corpus/read.ts';

export interface RunningJob {
  job: JobRecord;
  controller: AbortController;
  startedAt: number;
  startedDone: number;
  /** Settles when the runner has stopped and written the job's status. */
  finished: Promise<void>;
}

/** Texts are queued in groups of this many: one IndexedDB transaction each, memory bounded. */
const QUEUE_GROUP = 2000;

export interface ReadingProgress {
  chunks: number;
  cached: number;
  bytesRead: number;
  bytes: number;
}

class Collections {
  list = $state<CollectionRecord[]>([]);
  jobs = $state<JobRecord[]>([]);
  running = $state<Record<string, RunningJob>>({});
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  storage = $state<{ usage: number; quota: number; persisted: boolean | null } | null>(null);
  /** While files are read into a new collection's queue. */
  reading = $state<ReadingProgress | null>(null);
  /** What reading each file found (errors, skipped records, replaced characters). */
  outcomes = $state<FileOutcome[]>([]);
  /** Why bulk embedding waits (the idle/charging options), null while it runs. */
  waitReason = $state<string | null>(null);
  private store: Promise<VectorStore> | null = null;

  db(): Promise<VectorStore> {
    this.store ??= VectorStore.open();
    return this.store;
  }

  async refresh(): Promise<void> {
    const store = await this.db();
    [this.list, this.jobs] = await Promise.all([store.listCollections(), store.jobs()]);
    await this.refreshStorage();
  }

  async refreshStorage(): Promise<void> {
    if (!navigator.storage?.estimate) return;
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : null;
    this.storage = { usage, quota, persisted };
  }

  async requestPersistence(): Promise<boolean> {
    const granted = (await navigator.storage?.persist?.()) ?? false;
    await this.refreshStorage();
    return granted;
  }

  /**
   * Creates a collection and embeds `items` into it with the given loaded model. Items may be
   * a stream (a corpus read as it goes): they are queued in groups, never held all at once.
   * When nothing at all could be queued, the new collection is removed again and `error` says
   * why; collections already stored are never touched.
   */
  async create(opts: {
    name: string;
    modelKey: string;
    precisions: PrecisionId[];
    dims?: number;
    items: Iterable<ChunkInput> | AsyncIterable<ChunkInput>;
    batchSize: number;
    /** Filled in by the reader as files are read (for the messages). */
    outcomes?: FileOutcome[];
  }) {
    this.error = null;
    this.notice = null;
    const model = models.list.find((m) => m.key === opts.modelKey);
    if (!model?.info) {
      this.error = 'Load a model first: a collection is embedded by one model.';
      return;
    }
    const store = await this.db();
    let collectionId: string | null = null;
    let queued = false;
    try {
      const collection = await store.createCollection({
        name: opts.name,
        modelId: model.info.id,
        modelDims: model.info.dims,
        dims: opts.dims,
        precisions: opts.precisions,
      });
      collectionId = collection.id;
      const queue = await store.openQueue(collection.id);
      const bytes = () => (opts.outcomes ?? []).reduce((n, o) => n + o.report.bytesRead, 0);
      const totalBytes = () => (opts.outcomes ?? []).reduce((n, o) => n + o.report.bytes, 0);
      this.reading = { chunks: 0, cached: 0, bytesRead: 0, bytes: 0 };
      let group: ChunkInput[] = [];
      const flush = async () => {
        const job = await queue.append(group);
        group = [];
        this.reading = { chunks: job.total, cached: job.cached, bytesRead: bytes(), bytes: totalBytes() };
      };
      try {
        for await (const item of opts.items) {
          group.push(item);
          if (group.length >= QUEUE_GROUP) await flush();
        }
        await flush();
      } catch (err) {
        await queue.abandon();
        throw err;
      }
      this.outcomes = opts.outcomes ?? [];
      const { total, cached } = queue.record;
      if (total + cached === 0) {
        await queue.abandon();
        await store.deleteCollection(collection.id);
        collectionId = null;
        const why = this.outcomes.map((o) => o.error).filter(Boolean);
        this.error = `Nothing to embed: ${why.length ? why.join(' · ') : 'the chosen source has no text.'}`;
        return;
      }
      const job = await queue.finish();
      queued = true;
      this.reading = null;
      await this.refresh();
      await this.run(job.id, opts.batchSize);
    } catch (err) {
      this.error = describeError(err);
      // A collection that never got its texts queued is an empty shell: remove it.
      if (collectionId && !queued) await store.deleteCollection(collectionId).catch(() => {});
    } finally {
      this.reading = null;
      await this.refresh();
    }
  }

  /** Runs (or resumes) a job with a loaded model of the collection's id. */
  async run(jobId: string, batchSize = 256) {
    if (this.running[jobId]) return; // one runner per job
    this.error = null;
    const store = await this.db();
    const job = await store.job(jobId);
    if (!job) return;
    const collection = await store.collection(job.collectionId);
    const model = models.list.find((m) => m.status === 'ready' && m.info?.id === collection.modelId);
    if (!model) {
      this.error = `Load ${collection.modelId} to resume embedding "${collection.name}".`;
      return;
    }
    const client = models.client(model.key)!;
    const controller = new AbortController();
    let finished!: () => void;
    this.running[jobId] = { job, controller, startedAt: performance.now(), startedDone: job.done, finished: new Promise((r) => (finished = r)) };
    const stopListening = onBulkWait((reason) => (this.waitReason = reason));
    try {
      await runIngestJob({
        store,
        jobId,
        batchSize,
        signal: controller.signal,
        embed: (texts) => embedBulk(client, texts, controller.signal),
        onProgress: (j) => {
          if (this.running[jobId]) this.running[jobId].job = j;
        },
      });
    } catch (err) {
      this.error = describeError(err);
    } finally {
      stopListening();
      this.waitReason = null;
      delete this.running[jobId];
      finished();
      await this.refresh();
    }
  }

  /** Stops a job for good: what it committed stays searchable, its queue is dropped. */
  async cancel(jobId: string) {
    const live = this.running[jobId];
    if (live) {
      live.controller.abort();
      await live.finished;
    }
    await (await this.db()).cancelJob(jobId);
    await this.refresh();
  }

  /** Downloads a collection: JSONL (text + float32 vector) or NumPy (.npy per precision + manifest + texts). */
  async exportCollection(collectionId: string, format: 'jsonl' | 'npy' | 'parquet') {
    this.error = null;
    try {
      const store = await this.db();
      const c = await store.collection(collectionId);
      if (format === 'parquet') {
        const { exportParquet } = await import('../parquet-client.ts');
        return download(`${c.name.replace(/[^\w.-]+/g, '_') || 'collection'}.parquet`, await exportParquet(store, c.id, models.list.find((m) => m.info?.id === c.modelId)?.info?.dtype));
      }
      const chunks = await store.chunks(c.id);
      const base = c.name.replace(/[^\w.-]+/g, '_') || 'collection';
      if (format === 'jsonl') {
        if (!c.precisions.includes('float32')) {
          throw new Error(`JSONL export writes float32 vectors, and "${c.name}" keeps only ${c.precisions.join(', ')}: use the NumPy export`);
        }
        download(`${base}.jsonl`, exportJsonl(chunks, (await store.loadVectors(c.id, 'float32')) as Float32Array, c.dims));
        return;
      }
      const vectors: Partial<Record<PrecisionId, Packed>> = {};
      for (const p of c.precisions) vectors[p] = await store.loadVectors(c.id, p);
      const { files } = exportNpy({ name: c.name, model: c.modelId, modelDims: c.modelDims, dims: c.dims, calibration: c.calibration, chunks, vectors });
      for (const [name, content] of Object.entries(files)) download(`${base}.${name}`, content);
    } catch (err) {
      this.error = `Export failed: ${describeError(err)}`;
    }
  }

  /** Imports a JSONL file, or a NumPy bundle (manifest.json + float32.npy + texts.jsonl, names may carry a prefix). */
  async importFiles(list: File[], opts: { modelId?: string; precisions: PrecisionId[] }) {
    this.error = null;
    this.notice = null;
    try {
      let rows: ImportedRows;
      const jsonl = list.filter((f) => f.name.endsWith('.jsonl') && !f.name.endsWith('texts.jsonl'));
      const manifest = list.find((f) => f.name.endsWith('manifest.json'));
      const parquet = list.find((f) => /\.parquet$/i.test(f.name));
      if (parquet) {
        rows = (await (await import('../parquet-client.ts')).importParquet(parquet)).rows;
      } else if (manifest) {
        const prefix = manifest.name.slice(0, -'manifest.json'.length);
        const files: Record<string, Uint8Array> = {};
        for (const f of list) files[f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name] = new Uint8Array(await f.arrayBuffer());
        rows = parseNpyImport(files);
      } else if (jsonl.length === 1) {
        rows = parseJsonlImport(await jsonl[0].text(), jsonl[0].name);
      } else {
        throw new ImportError('Pick one .jsonl file, or a NumPy bundle: manifest.json with its .npy files and texts.jsonl');
      }
      const modelId = rows.model ?? opts.modelId;
      const model = models.list.find((m) => m.info?.id === modelId);
      if (!rows.model && model?.info && model.info.dims !== rows.modelDims) {
        throw new ImportError(`these vectors have ${rows.modelDims} dims but ${model.info.id} gives ${model.info.dims}-dim vectors; queries could not be compared with them`);
      }
      const c = await (await this.db()).importCollection(rows, { precisions: opts.precisions, modelId: modelId ?? undefined });
      this.notice = `Imported ${c.count.toLocaleString()} vectors into "${c.name}"` + (rows.skipped ? `; skipped ${rows.skipped} unreadable lines (${rows.problems.join('; ')})` : '') + '.';
    } catch (err) {
      this.error = `Import failed: ${describeError(err)}`;
    } finally {
      await this.refresh();
    }
  }

  pause(jobId: string) {
    this.running[jobId]?.controller.abort();
  }

  async remove(collectionId: string) {
    for (const r of Object.values(this.running)) if (r.job.collectionId === collectionId) r.controller.abort();
    await (await this.db()).deleteCollection(collectionId);
    await forgetCollection(collectionId);
    await this.refresh();
  }
}

export const collections = new Collections();

function download(name: string, content: Uint8Array | string) {
  const blob = new Blob([content as BlobPart], { type: typeof content === 'string' ? 'application/json' : 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
