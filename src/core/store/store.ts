/**
 * Collections, chunks, packed vectors and ingestion jobs over IndexedDB (see db.ts for the
 * crash-safety rule). Runs in the page, in a worker, or anywhere IndexedDB exists.
 */
import { calibrate, precisionById, truncateDims, type Packed, type PrecisionId } from '../precision/index.ts';
import { contentHash } from './hash.ts';
import type { ImportedRows } from './transfer.ts';
import { openStore, type ChunkRecord, type CollectionRecord, type JobRecord, type PendingRecord, type StoreDb } from './db.ts';

export class StoreError extends Error {
  override name = 'StoreError';
}

/** The browser's storage quota was hit: nothing of the batch was written; the job can resume later. */
export class QuotaError extends StoreError {
  override name = 'QuotaError';
}

export interface NewCollection {
  name: string;
  modelId: string;
  modelDims: number;
  /** Matryoshka: keep the first `dims` dimensions (renormalised). Defaults to all. */
  dims?: number;
  precisions: PrecisionId[];
}

export interface ChunkInput {
  text: string;
  source: string;
}

const ALL_STORES = ['collections', 'chunks', 'hashes', 'blocks', 'pending', 'jobs'] as const;

function quotaMessage(err: unknown, what: 'queue' | 'batch'): StoreError | null {
  const name = (err as { name?: string })?.name;
  if (name !== 'QuotaExceededError') return null;
  return new QuotaError(
    what === 'batch'
      ? 'Storage is full: the browser refused to store this batch. Nothing from it was saved and the job is paused; ' +
          'delete a collection or free disk space, then resume.'
      : 'Storage is full: the texts could not even be queued, so nothing was stored. Delete a collection or free disk space, then try again.',
  );
}

export class VectorStore {
  private constructor(readonly db: StoreDb) {}

  static async open(name?: string): Promise<VectorStore> {
    return new VectorStore(await openStore(name));
  }

  close(): void {
    this.db.close();
  }

  async createCollection(spec: NewCollection): Promise<CollectionRecord> {
    const dims = spec.dims ?? spec.modelDims;
    if (!Number.isInteger(dims) || dims < 1 || dims > spec.modelDims) {
      throw new StoreError(`a collection of ${spec.modelDims}-dim vectors cannot keep ${dims} dims`);
    }
    if (spec.precisions.length === 0) throw new StoreError('a collection needs at least one precision');
    for (const p of spec.precisions) precisionById(p); // refuses unknown names
    const record: CollectionRecord = {
      id: crypto.randomUUID(),
      name: spec.name,
      modelId: spec.modelId,
      dims,
      modelDims: spec.modelDims,
      precisions: [...new Set(spec.precisions)],
      calibration: null,
      count: 0,
      createdAt: Date.now(),
    };
    await this.db.add('collections', record);
    return record;
  }

  listCollections(): Promise<CollectionRecord[]> {
    return this.db.getAll('collections');
  }

  async collection(id: string): Promise<CollectionRecord> {
    const c = await this.db.get('collections', id);
    if (!c) throw new StoreError(`no collection with id ${id}`);
    return c;
  }

  /** Removes a collection with its chunks, vectors and jobs, in one transaction. */
  async deleteCollection(id: string): Promise<void> {
    const tx = this.db.transaction(ALL_STORES, 'readwrite');
    const jobs = await tx.objectStore('jobs').index('byCollection').getAll(id);
    await Promise.all([
      tx.objectStore('collections').delete(id),
      tx.objectStore('chunks').delete(IDBKeyRange.bound([id, -Infinity], [id, Infinity])),
      tx.objectStore('hashes').delete(IDBKeyRange.bound([id, ''], [id, '\uffff'])),
      tx.objectStore('blocks').delete(IDBKeyRange.bound([id, ''], [id, '\uffff'])),
      ...jobs.map((j) => tx.objectStore('pending').delete(IDBKeyRange.bound([j.id, -Infinity], [j.id, Infinity]))),
      ...jobs.map((j) => tx.objectStore('jobs').delete(j.id)),
      tx.done,
    ]);
  }

  /**
   * Queues texts for embedding. Texts the collection already holds (same content hash — the
   * embedding cache) and repeats within `items` are skipped and counted as `cached`.
   */
  async enqueue(collectionId: string, items: ChunkInput[]): Promise<JobRecord> {
    await this.collection(collectionId);
    const hashes = await Promise.all(items.map((i) => contentHash(i.text)));
    const tx = this.db.transaction(['hashes', 'pending', 'jobs'], 'readwrite');
    // One read of the collection's hashes, not one awaited lookup per text (9.5k round trips
    // took seconds for Moby-Dick).
    const existing = await tx.objectStore('hashes').getAllKeys(IDBKeyRange.bound([collectionId, ''], [collectionId, '\uffff']));
    const seen = new Set<string>(existing.map((key) => key[1] as string));
    const jobId = crypto.randomUUID();
    let seq = 0;
    let cached = 0;
    const pending = tx.objectStore('pending');
    for (let i = 0; i < items.length; i++) {
      const hash = hashes[i];
      if (seen.has(hash)) {
        cached++;
        continue;
      }
      seen.add(hash);
      pending.add({ jobId, seq: seq++, text: items[i].text, source: items[i].source, hash });
    }
    const now = Date.now();
    const job: JobRecord = {
      id: jobId,
      collectionId,
      status: seq === 0 ? 'done' : 'running',
      total: seq,
      done: 0,
      cached,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    tx.objectStore('jobs').add(job);
    try {
      await tx.done;
    } catch (err) {
      throw quotaMessage(err, 'queue') ?? err;
    }
    return job;
  }

  /** The next `size` texts of a job still waiting for vectors, in order. */
  nextBatch(jobId: string, size: number): Promise<PendingRecord[]> {
    return this.db.getAll('pending', IDBKeyRange.bound([jobId, -Infinity], [jobId, Infinity]), size);
  }

  /**
   * Stores one embedded batch: chunks, a block per precision, the end of their pending entries,
   * and the counters — all in one transaction (or nothing, on failure).
   */
  async commitBatch(
    jobId: string,
    batch: PendingRecord[],
    vectors: Float32Array,
    modelDims: number,
    opts: { alreadyTruncated?: boolean } = {},
  ): Promise<JobRecord> {
    const job = await this.db.get('jobs', jobId);
    if (!job) throw new StoreError(`no job with id ${jobId}`);
    const collection = await this.collection(job.collectionId);
    if (modelDims !== collection.modelDims) {
      throw new StoreError(
        `this collection holds ${collection.modelDims}-dim vectors from ${collection.modelId}; the model gave ${modelDims}-dim vectors`,
      );
    }
    const dims = collection.dims;
    const width = opts.alreadyTruncated ? dims : modelDims;
    if (vectors.length !== batch.length * width) {
      throw new StoreError(`got ${vectors.length / width} vectors for a batch of ${batch.length} texts`);
    }
    const rows = opts.alreadyTruncated ? vectors : truncateDims(vectors, modelDims, dims);
    let calibration = collection.calibration;
    const needsCalibration = collection.precisions.some((p) => precisionById(p).needsCalibration);
    if (needsCalibration && !calibration) {
      const cal = calibrate(rows, dims);
      calibration = { min: Array.from(cal.min), max: Array.from(cal.max) };
    }
    const cal = calibration ? { min: Float32Array.from(calibration.min), max: Float32Array.from(calibration.max) } : undefined;

    const tx = this.db.transaction(ALL_STORES, 'readwrite');
    const hashes = tx.objectStore('hashes');
    // Rows another job committed meanwhile are dropped here, so a text is never stored twice.
    const present = await Promise.all(batch.map((b) => hashes.getKey([collection.id, b.hash])));
    const keep = batch.flatMap((_, i) => (present[i] === undefined ? [i] : []));
    const start = collection.count;
    const kept = new Float32Array(keep.length * dims);
    keep.forEach((i, j) => kept.set(rows.subarray(i * dims, (i + 1) * dims), j * dims));
    keep.forEach((i, j) => {
      const chunk: ChunkRecord = { collectionId: collection.id, row: start + j, text: batch[i].text, source: batch[i].source, hash: batch[i].hash };
      tx.objectStore('chunks').add(chunk);
      hashes.add({ collectionId: collection.id, hash: chunk.hash, row: chunk.row });
    });
    if (keep.length > 0) {
      for (const p of collection.precisions) {
        const packed = precisionById(p).encode(kept, dims, cal);
        tx.objectStore('blocks').add({
          collectionId: collection.id,
          precision: p,
          start,
          count: keep.length,
          data: packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength) as ArrayBuffer,
        });
      }
    }
    for (const item of batch) tx.objectStore('pending').delete([jobId, item.seq]);
    const updatedJob: JobRecord = {
      ...job,
      done: job.done + keep.length,
      cached: job.cached + (batch.length - keep.length),
      updatedAt: Date.now(),
      error: null,
    };
    tx.objectStore('jobs').put(updatedJob);
    tx.objectStore('collections').put({ ...collection, calibration, count: start + keep.length });
    try {
      await tx.done;
    } catch (err) {
      throw quotaMessage(err, 'batch') ?? err;
    }
    return updatedJob;
  }

  /** A new collection from imported rows (texts + float32 vectors), committed batch by batch like any job. */
  async importCollection(rows: ImportedRows, opts: { precisions: PrecisionId[]; modelId?: string }): Promise<CollectionRecord> {
    const modelId = opts.modelId ?? rows.model;
    if (!modelId) throw new StoreError('say which model made these vectors: a collection is searched with queries from the same model');
    const collection = await this.createCollection({
      name: rows.name,
      modelId,
      modelDims: rows.modelDims,
      dims: rows.dims,
      precisions: opts.precisions,
    });
    if (rows.calibration) {
      if (rows.calibration.min.length !== rows.dims) throw new StoreError(`the calibration has ${rows.calibration.min.length} dims, the vectors ${rows.dims}`);
      await this.db.put('collections', { ...collection, calibration: rows.calibration });
    }
    const job = await this.enqueue(collection.id, rows.texts);
    // enqueue drops repeated texts; each kept text takes the vector of its first occurrence.
    const rowOf = new Map<string, number>();
    rows.texts.forEach((t, r) => rowOf.has(t.text) || rowOf.set(t.text, r));
    for (;;) {
      const batch = await this.nextBatch(job.id, 1024);
      if (batch.length === 0) break;
      const vectors = new Float32Array(batch.length * rows.dims);
      batch.forEach((b, i) => {
        const r = rowOf.get(b.text)!;
        vectors.set(rows.float32.subarray(r * rows.dims, (r + 1) * rows.dims), i * rows.dims);
      });
      await this.commitBatch(job.id, batch, vectors, rows.modelDims, { alreadyTruncated: true });
    }
    await this.setJobStatus(job.id, 'done');
    return this.collection(collection.id);
  }

  async setJobStatus(jobId: string, status: JobRecord['status'], error: string | null = null): Promise<JobRecord> {
    const tx = this.db.transaction('jobs', 'readwrite');
    const job = await tx.store.get(jobId);
    if (!job) throw new StoreError(`no job with id ${jobId}`);
    const updated = { ...job, status, error, updatedAt: Date.now() };
    await Promise.all([tx.store.put(updated), tx.done]);
    return updated;
  }

  job(jobId: string): Promise<JobRecord | undefined> {
    return this.db.get('jobs', jobId);
  }

  async jobs(collectionId?: string): Promise<JobRecord[]> {
    return collectionId ? this.db.getAllFromIndex('jobs', 'byCollection', collectionId) : this.db.getAll('jobs');
  }

  /** All of a collection's vectors in one precision, as one packed array (rows in order). */
  async loadVectors(collectionId: string, precision: PrecisionId): Promise<Packed> {
    const collection = await this.collection(collectionId);
    if (!collection.precisions.includes(precision)) {
      throw new StoreError(`collection "${collection.name}" does not keep ${precision} vectors (it keeps ${collection.precisions.join(', ')})`);
    }
    const blocks = await this.db.getAll('blocks', IDBKeyRange.bound([collectionId, precision, -Infinity], [collectionId, precision, Infinity]));
    const bytes = blocks.reduce((n, b) => n + b.data.byteLength, 0);
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const b of blocks) {
      out.set(new Uint8Array(b.data), at);
      at += b.data.byteLength;
    }
    if (precision === 'float32') return new Float32Array(out.buffer);
    if (precision === 'int8' || precision === 'binary') return new Int8Array(out.buffer);
    return out;
  }

  async chunks(collectionId: string, rows: number[]): Promise<ChunkRecord[]> {
    const tx = this.db.transaction('chunks');
    const found = await Promise.all(rows.map((r) => tx.store.get([collectionId, r])));
    return found.filter((c): c is ChunkRecord => c !== undefined);
  }

  chunkCount(collectionId: string): Promise<number> {
    return this.db.count('chunks', IDBKeyRange.bound([collectionId, -Infinity], [collectionId, Infinity]));
  }
}
