/** Collections in this browser's IndexedDB, their jobs, and the actions the Collections view offers. */
import { VectorStore, type ChunkInput } from '../core/store/store.ts';
import type { CollectionRecord, JobRecord } from '../core/store/db.ts';
import type { PrecisionId } from '../core/precision/index.ts';
import { exportCollection, importCollection, modelToGrow, queueCorpus, type QueueProgress } from '../core/corpus/collection.ts';
import { runIngestJob } from '../core/store/ingest.ts';
import { describeError } from '../core/errors.ts';
import { models } from './models.svelte.ts';
import { forgetCollection } from '../search-client.ts';
import { embedBulk, onBulkWait } from '../embed-queue.ts';
import type { FileOutcome } from '../core/corpus/read.ts';
import { saveFile } from './save-file.ts';

export interface RunningJob {
  job: JobRecord;
  controller: AbortController;
  startedAt: number;
  startedDone: number;
  /** Settles when the runner has stopped and written the job's status. */
  finished: Promise<void>;
}

export type ReadingProgress = QueueProgress;

class Collections {
  list = $state<CollectionRecord[]>([]);
  jobs = $state<JobRecord[]>([]);
  /**
   * Why a job's last run in this page stopped, kept here too: on a disk so full that even the job's
   * "paused" status and its message are refused, the stored job says neither (#15's soak found it).
   */
  stoppedWith = $state<Record<string, string>>({});
  running = $state<Record<string, RunningJob>>({});
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  storage = $state<{ usage: number; quota: number; persisted: boolean | null } | null>(null);
  /** While files are read into a new collection's queue. */
  reading = $state<ReadingProgress | null>(null);
  /** What reading each file found (errors, skipped records, replaced characters). */
  outcomes = $state<FileOutcome[]>([]);
  /**
   * While an import runs: `total` is null while the file is read (parquet-wasm gives no count
   * until it is decoded), then rows stored of rows kept, moved at each 65,536-row commit.
   */
  importing = $state<{ file: string; done: number; total: number | null } | null>(null);
  private importController: AbortController | null = null;
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
   * Creates a collection and embeds `items` into it with the given loaded model (queueing and
   * cleanup: queueCorpus in src/core/corpus/collection.ts). When nothing at all could be queued,
   * `error` says why; collections already stored are never touched.
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
    try {
      this.reading = { chunks: 0, cached: 0, bytesRead: 0, bytes: 0 };
      const queued = await queueCorpus(await this.db(), { ...opts, model: model.info, onProgress: (p) => (this.reading = p) });
      this.outcomes = opts.outcomes ?? [];
      if (!queued.job) {
        this.error = queued.error;
        return;
      }
      this.reading = null;
      await this.refresh();
      await this.run(queued.job.id, opts.batchSize);
    } catch (err) {
      this.error = describeError(err);
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
    // Same id and, where the collection knows it, same dtype: vectors of two dtypes never mix.
    const loaded = models.list.flatMap((m) => (m.status === 'ready' && m.info ? [{ key: m.key, id: m.info.id, dtype: m.info.dtype }] : []));
    const pick = modelToGrow(collection, loaded);
    if ('error' in pick) {
      this.error = pick.error;
      return;
    }
    const client = models.client(pick.model.key)!;
    const controller = new AbortController();
    let finished!: () => void;
    this.running[jobId] = { job, controller, startedAt: performance.now(), startedDone: job.done, finished: new Promise((r) => (finished = r)) };
    delete this.stoppedWith[jobId];
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
      this.stoppedWith[jobId] = this.error;
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
      if (format === 'parquet') {
        const store = await this.db();
        const c = await store.collection(collectionId);
        const { exportParquet } = await import('../parquet-client.ts');
        return download(`${c.name.replace(/[^\w.-]+/g, '_') || 'collection'}.parquet`, await exportParquet(store, c.id));
      }
      const files = await exportCollection(await this.db(), collectionId, format);
      for (const [name, content] of Object.entries(files)) download(name, content);
    } catch (err) {
      this.error = `Export failed: ${describeError(err)}`;
    }
  }

  /** Imports a JSONL file, or a NumPy bundle (manifest.json + float32.npy + texts.jsonl, names may carry a prefix). */
  async importFiles(list: File[], opts: { modelId?: string; precisions: PrecisionId[] }) {
    if (this.importing) return; // one import at a time: the input is disabled meanwhile
    this.error = null;
    this.notice = null;
    const file = list.map((f) => f.name).join(', ');
    const controller = new AbortController();
    this.importController = controller;
    this.importing = { file, done: 0, total: null };
    try {
      // Parquet is read page-side (parquet-wasm); the other formats by core's readImport.
      const parquet = list.find((f) => /\.parquet$/i.test(f.name));
      const rows = parquet ? (await (await import('../parquet-client.ts')).importParquet(parquet)).rows : undefined;
      // Only the dims of a loaded model of that id can be checked against the vectors.
      const modelId = rows?.model ?? opts.modelId;
      const modelDims = models.list.find((m) => m.info && m.info.id === modelId)?.info?.dims;
      const onProgress = (done: number, total: number) => (this.importing = { file, done, total });
      this.notice = (await importCollection(await this.db(), list, { ...opts, modelDims, rows, onProgress, signal: controller.signal })).notice;
    } catch (err) {
      if (controller.signal.aborted) this.notice = `Import of ${file} cancelled; nothing of it was kept.`;
      else this.error = `Import failed: ${describeError(err)}`;
    } finally {
      this.importing = null;
      this.importController = null;
      await this.refresh();
    }
  }

  /** Stops the running import before its next commit; the collection it began is removed. */
  cancelImport() {
    this.importController?.abort();
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
  saveFile(name, content as BlobPart, typeof content === 'string' ? 'application/json' : 'application/octet-stream');
}
