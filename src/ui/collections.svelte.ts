/** Collections in this browser's IndexedDB, their jobs, and the actions the Collections view offers. */
import { VectorStore, type ChunkInput } from '../core/store/store.ts';
import type { CollectionRecord, JobRecord } from '../core/store/db.ts';
import type { PrecisionId } from '../core/precision/index.ts';
import { runIngestJob } from '../core/store/ingest.ts';
import { describeError } from '../core/errors.ts';
import { models } from './models.svelte.ts';
import { forgetCollection } from '../search-client.ts';

export interface RunningJob {
  job: JobRecord;
  controller: AbortController;
  startedAt: number;
  startedDone: number;
}

class Collections {
  list = $state<CollectionRecord[]>([]);
  jobs = $state<JobRecord[]>([]);
  running = $state<Record<string, RunningJob>>({});
  error = $state<string | null>(null);
  storage = $state<{ usage: number; quota: number; persisted: boolean | null } | null>(null);
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

  /** Creates a collection and starts embedding `items` into it with the given loaded model. */
  async create(opts: { name: string; modelKey: string; precisions: PrecisionId[]; dims?: number; items: ChunkInput[]; batchSize: number }) {
    this.error = null;
    const model = models.list.find((m) => m.key === opts.modelKey);
    if (!model?.info) {
      this.error = 'Load a model first: a collection is embedded by one model.';
      return;
    }
    try {
      const store = await this.db();
      const collection = await store.createCollection({
        name: opts.name,
        modelId: model.info.id,
        modelDims: model.info.dims,
        dims: opts.dims,
        precisions: opts.precisions,
      });
      const job = await store.enqueue(collection.id, opts.items);
      await this.refresh();
      await this.run(job.id, opts.batchSize);
    } catch (err) {
      this.error = describeError(err);
      await this.refresh();
    }
  }

  /** Runs (or resumes) a job with a loaded model of the collection's id. */
  async run(jobId: string, batchSize = 256) {
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
    this.running[jobId] = { job, controller, startedAt: performance.now(), startedDone: job.done };
    try {
      await runIngestJob({
        store,
        jobId,
        batchSize,
        signal: controller.signal,
        embed: (texts) => client.embed(texts, controller.signal),
        onProgress: (j) => {
          if (this.running[jobId]) this.running[jobId].job = j;
        },
      });
    } catch (err) {
      this.error = describeError(err);
    } finally {
      delete this.running[jobId];
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
