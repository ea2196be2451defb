/**
 * Collections, chunks, packed vectors and ingestion jobs over IndexedDB (see db.ts for the
 * crash-safety rule). Runs in the page, in a worker, or anywhere IndexedDB exists.
 */
import { calibrate, calibrationFromJson, calibrationToJson, precisionById, truncateDims, type Packed, type PrecisionId } from '../precision/index.ts';
import { contentHash } from './hash.ts';
import type { ImportedRows } from './transfer.ts';
import { openStore, PENDING_BLOCK, type ChunkRecord, type CollectionRecord, type JobRecord, type PendingBlockRecord, type PendingRecord, type StoreDb } from './db.ts';

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
  /** The model's weights as run (CollectionRecord.dtype); null when not known. */
  dtype?: string | null;
  /** Matryoshka: keep the first `dims` dimensions (renormalised). Defaults to all. */
  dims?: number;
  precisions: PrecisionId[];
}

export interface ChunkInput {
  text: string;
  source: string;
}

/** Import layout (VectorStore.importCollection): rows a text/hash block, a vector block, a transaction. */
const IMPORT_TEXT_BLOCK = 1024;
const IMPORT_VECTOR_BLOCK = 8192;
const IMPORT_GROUP = 65_536;

/** Rows keep[from…to) of a rows × dims array, as one new array. */
function gather(src: Float32Array, dims: number, keep: number[], from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * dims);
  for (let i = from; i < to; i++) out.set(src.subarray(keep[i] * dims, (keep[i] + 1) * dims), (i - from) * dims);
  return out;
}

/**
 * The page's content hash of every imported text. A file's own hashes (Parquet keeps them) are
 * used when 64 of them, spread over the file, equal the page's SHA-256; a file whose hashes were
 * made otherwise, or that has none, is hashed here, giving the thread back every 4,096 texts
 * (~30 ms of hashing on a 2-core EPYC) so a big import does not freeze the page.
 */
async function importHashes(rows: ImportedRows): Promise<string[]> {
  const n = rows.texts.length;
  const given = rows.hashes;
  if (given && given.length === n) {
    const step = Math.max(1, Math.floor(n / 64));
    let ok = true;
    for (let r = 0; r < n && ok; r += step) ok = given[r] === contentHash(rows.texts[r].text);
    if (ok) return given;
  }
  const out = new Array<string>(n);
  for (let at = 0; at < n; at += 4096) {
    if (at > 0) await new Promise((resolve) => setTimeout(resolve, 0));
    for (let i = at; i < Math.min(n, at + 4096); i++) out[i] = contentHash(rows.texts[i].text);
  }
  return out;
}

const ALL_STORES = ['collections', 'chunkBlocks', 'hashBlocks', 'blocks', 'pendingBlocks', 'jobs'] as const;
const rowsOf = (id: string) => IDBKeyRange.bound([id, -Infinity], [id, Infinity]);

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
      dtype: spec.dtype ?? null,
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
      tx.objectStore('chunkBlocks').delete(rowsOf(id)),
      tx.objectStore('hashBlocks').delete(rowsOf(id)),
      tx.objectStore('blocks').delete(IDBKeyRange.bound([id, ''], [id, '\uffff'])),
      ...jobs.map((j) => tx.objectStore('pendingBlocks').delete(rowsOf(j.id))),
      ...jobs.map((j) => tx.objectStore('jobs').delete(j.id)),
      tx.done,
    ]);
  }

  /**
   * Queues texts for embedding. Texts the collection already holds (same content hash — the
   * embedding cache) and repeats within `items` are skipped and counted as `cached`.
   */
  async enqueue(collectionId: string, items: ChunkInput[]): Promise<JobRecord> {
    const queue = await this.openQueue(collectionId);
    try {
      await queue.append(items);
    } catch (err) {
      await queue.abandon();
      throw err;
    }
    return queue.finish();
  }

  /**
   * A job whose texts arrive in parts (a corpus read as a stream): `append` as chunks come,
   * `finish` at the end. Each append is one transaction; the job is `queuing` until finished,
   * so a tab closed mid-read leaves a job holding what was read, never a broken one.
   */
  async openQueue(collectionId: string): Promise<JobQueue> {
    await this.collection(collectionId);
    // Everything the collection holds, and everything its other unfinished jobs will add:
    // a text queued twice would otherwise be stored twice.
    const tx = this.db.transaction(['hashBlocks', 'pendingBlocks', 'jobs']);
    const seen = new Set<string>();
    for (const block of await tx.objectStore('hashBlocks').getAll(rowsOf(collectionId))) for (const h of block.hashes) seen.add(h);
    for (const other of await this.jobsIn(tx.objectStore('jobs'), collectionId)) {
      // A block's texts before the job's `done` are committed, so in hashBlocks already.
      for (const block of await tx.objectStore('pendingBlocks').getAll(rowsOf(other.id))) for (const h of block.hashes) seen.add(h);
    }
    const now = Date.now();
    const job: JobRecord = { id: crypto.randomUUID(), collectionId, status: 'queuing', total: 0, done: 0, cached: 0, error: null, createdAt: now, updatedAt: now };
    await this.db.add('jobs', job);
    return new JobQueue(this.db, job, seen);
  }

  /** Stops a job for good: its pending texts are dropped, what it committed stays searchable. */
  async cancelJob(jobId: string): Promise<JobRecord> {
    const tx = this.db.transaction(['pendingBlocks', 'jobs'], 'readwrite');
    const job = await tx.objectStore('jobs').get(jobId);
    if (!job) throw new StoreError(`no job with id ${jobId}`);
    const updated: JobRecord = { ...job, status: 'cancelled', total: job.done, updatedAt: Date.now() };
    await Promise.all([tx.objectStore('pendingBlocks').delete(rowsOf(jobId)), tx.objectStore('jobs').put(updated), tx.done]);
    return updated;
  }

  /**
   * The next `size` texts of a job still waiting for vectors, in order; after `afterSeq` when
   * given (the batch after one that is being embedded but not yet committed).
   */
  async nextBatch(jobId: string, size: number, afterSeq?: number): Promise<PendingRecord[]> {
    const tx = this.db.transaction(['pendingBlocks', 'jobs']);
    const job = await tx.objectStore('jobs').get(jobId);
    if (!job) throw new StoreError(`no job with id ${jobId}`);
    // Texts before `done` are committed; a block used up in part still holds them.
    const from = Math.max(job.done, afterSeq === undefined ? 0 : afterSeq + 1);
    const out: PendingRecord[] = [];
    // The block holding `from` is the first whose last text is at or after it.
    let cursor = await tx.objectStore('pendingBlocks').openCursor(IDBKeyRange.bound([jobId, from], [jobId, Infinity]));
    for (; cursor && out.length < size; cursor = await cursor.continue()) {
      const b = cursor.value;
      for (let i = Math.max(0, from - b.first); i < b.texts.length && out.length < size; i++) {
        out.push({ jobId, seq: b.first + i, text: b.texts[i], source: b.sources[i], hash: b.hashes[i] });
      }
    }
    return out;
  }

  /** Texts queued and not yet committed, of one job or of all (stored in pending blocks). */
  async pendingCount(jobId?: string): Promise<number> {
    const tx = this.db.transaction(['pendingBlocks', 'jobs']);
    const jobs = jobId === undefined ? await tx.objectStore('jobs').getAll() : [await tx.objectStore('jobs').get(jobId)].filter((j) => j !== undefined);
    let n = 0;
    for (const job of jobs) {
      for (const b of await tx.objectStore('pendingBlocks').getAll(rowsOf(job.id))) n += Math.max(0, b.last + 1 - Math.max(b.first, job.done));
    }
    return n;
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
    if (batch.length === 0) throw new StoreError('an empty batch');
    // Read and write in one transaction: counters and the pending check cannot go stale.
    const tx = this.db.transaction(ALL_STORES, 'readwrite');
    const abort = (message: string): never => {
      tx.abort();
      tx.done.catch(() => {});
      throw new StoreError(message);
    };
    const job = await tx.objectStore('jobs').get(jobId);
    if (!job) return abort(`no job with id ${jobId}`);
    const collection = await tx.objectStore('collections').get(job.collectionId);
    if (!collection) return abort('the collection was deleted while its job ran');
    // Commits go in order, so a batch starts at the job's `done`; one before it was stored already.
    if (batch[0].seq < job.done) return abort('this batch was already stored (is the job running twice?)');
    if (batch[0].seq > job.done) return abort(`this batch starts at text ${batch[0].seq} but the job has stored ${job.done}: the texts between would be skipped`);
    if (modelDims !== collection.modelDims) {
      return abort(`this collection holds ${collection.modelDims}-dim vectors from ${collection.modelId}; the model gave ${modelDims}-dim vectors`);
    }
    const dims = collection.dims;
    const width = opts.alreadyTruncated ? dims : modelDims;
    if (vectors.length !== batch.length * width) return abort(`got ${vectors.length / width} vectors for a batch of ${batch.length} texts`);
    const rows = opts.alreadyTruncated ? vectors : truncateDims(vectors, modelDims, dims);
    let calibration = collection.calibration;
    if (!calibration && collection.precisions.some((p) => precisionById(p).needsCalibration)) {
      // The first batch fixes the int8 ranges for the collection (values outside later clamp).
      const fresh = calibrate(rows, dims);
      calibration = calibrationToJson(fresh);
    }
    const cal = calibrationFromJson(calibration);
    const start = collection.count;
    tx.objectStore('chunkBlocks').add({ collectionId: collection.id, start, texts: batch.map((b) => b.text), sources: batch.map((b) => b.source) });
    tx.objectStore('hashBlocks').add({ collectionId: collection.id, start, hashes: batch.map((b) => b.hash) });
    for (const p of collection.precisions) {
      const packed = precisionById(p).encode(rows, dims, cal);
      tx.objectStore('blocks').add({
        collectionId: collection.id,
        precision: p,
        start,
        count: batch.length,
        // encode returns a fresh array of its own; copy only when it is a view into a larger buffer.
        data: (packed.byteOffset === 0 && packed.byteLength === packed.buffer.byteLength ? packed.buffer : packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength)) as ArrayBuffer,
      });
    }
    // The pending blocks this batch used up: those whose last text is at or before its own.
    tx.objectStore('pendingBlocks').delete(IDBKeyRange.bound([jobId, -Infinity], [jobId, batch[batch.length - 1].seq]));
    const updatedJob: JobRecord = { ...job, done: job.done + batch.length, updatedAt: Date.now(), error: null };
    tx.objectStore('jobs').put(updatedJob);
    tx.objectStore('collections').put({ ...collection, calibration, count: start + batch.length });
    try {
      await tx.done;
    } catch (err) {
      throw quotaMessage(err, 'batch') ?? err;
    }
    return updatedJob;
  }

  /**
   * A new collection from imported rows (texts + float32 vectors), written straight into blocks:
   * 1,024-row text and hash blocks (what a search hit reads), 8,192-row vector blocks, 65,536 rows
   * a transaction, with the collection's count moved at each commit, so a tab closed mid-import
   * leaves a whole prefix. It used to queue every row as a pending text (one IndexedDB record and
   * one crypto.subtle digest each) and commit them 1,024 at a time like an embedding job: 47.7 s
   * for 100k glove rows in Chromium, of which decoding the file was 2.3 s.
   *
   * Repeated texts keep their first row (as a job would). The file's content hashes are used when
   * a sample of them matches the page's own (SHA-256 of the text); otherwise all are computed here.
   */
  async importCollection(
    rows: ImportedRows,
    opts: {
      precisions: PrecisionId[];
      modelId?: string;
      /** Rows committed of the rows kept (repeats dropped): once at 0, then after each transaction. */
      onProgress?: (done: number, total: number) => void;
      /** Rows a transaction (default 65,536). */
      groupRows?: number;
      /** Stops before the next transaction; the collection goes, as after any failure. */
      signal?: AbortSignal;
    },
  ): Promise<CollectionRecord> {
    const modelId = opts.modelId ?? rows.model;
    if (!modelId) throw new StoreError('say which model made these vectors: a collection is searched with queries from the same model');
    // Checked before anything is stored: a bad range would quantize every code to garbage (NaN
    // steps), and a refusal after createCollection would leave an empty collection behind.
    const cal = rows.calibration;
    if (cal) {
      for (const [name, values] of [['min', cal.min], ['max', cal.max]] as const) {
        if (!values || values.length !== rows.dims) throw new StoreError(`the calibration's ${name} has ${values?.length ?? 0} dims, the vectors ${rows.dims}`);
        if (!Array.from(values).every(Number.isFinite)) throw new StoreError(`the calibration's ${name} holds values that are not finite numbers`);
      }
    }
    const n = rows.texts.length;
    if (rows.float32.length !== n * rows.dims) throw new StoreError(`${rows.float32.length / rows.dims} vectors for ${n} texts`);
    const hashes = await importHashes(rows);
    // First occurrence of each content hash, in file order.
    const seen = new Set<string>();
    const keep: number[] = [];
    for (let r = 0; r < n; r++) {
      if (!seen.has(hashes[r])) {
        seen.add(hashes[r]);
        keep.push(r);
      }
    }
    const collection = await this.createCollection({
      name: rows.name,
      modelId,
      modelDims: rows.modelDims,
      dtype: rows.dtype ?? null,
      dims: rows.dims,
      precisions: opts.precisions,
    });
    try {
      const dims = rows.dims;
      let calibration = cal;
      if (!calibration && collection.precisions.some((p) => precisionById(p).needsCalibration)) {
        // As a job does: the first 1,024 rows fix the int8 ranges for the collection.
        calibration = calibrationToJson(calibrate(gather(rows.float32, dims, keep, 0, Math.min(keep.length, IMPORT_TEXT_BLOCK)), dims));
      }
      const calib = calibrationFromJson(calibration);
      opts.onProgress?.(0, keep.length);
      let count = 0;
      // One transaction committing while the next is built: the values are cloned when added,
      // and IndexedDB writes them out while this thread gathers and encodes the next group.
      let committing: Promise<void> | null = null;
      const group = opts.groupRows ?? IMPORT_GROUP;
      for (let g = 0; g < keep.length; g += group) {
        opts.signal?.throwIfAborted();
        const end = Math.min(keep.length, g + group);
        const tx = this.db.transaction(['collections', 'chunkBlocks', 'hashBlocks', 'blocks'], 'readwrite');
        for (let b = g; b < end; b += IMPORT_TEXT_BLOCK) {
          const e = Math.min(end, b + IMPORT_TEXT_BLOCK);
          const texts: string[] = [];
          const sources: string[] = [];
          const hs: string[] = [];
          for (let i = b; i < e; i++) {
            const t = rows.texts[keep[i]];
            texts.push(t.text);
            sources.push(t.source);
            hs.push(hashes[keep[i]]);
          }
          tx.objectStore('chunkBlocks').add({ collectionId: collection.id, start: b, texts, sources });
          tx.objectStore('hashBlocks').add({ collectionId: collection.id, start: b, hashes: hs });
        }
        for (let b = g; b < end; b += IMPORT_VECTOR_BLOCK) {
          const e = Math.min(end, b + IMPORT_VECTOR_BLOCK);
          const block = gather(rows.float32, dims, keep, b, e);
          for (const p of collection.precisions) {
            const packed = precisionById(p).encode(block, dims, calib);
            tx.objectStore('blocks').add({
              collectionId: collection.id,
              precision: p,
              start: b,
              count: e - b,
              data: (packed.byteOffset === 0 && packed.byteLength === packed.buffer.byteLength ? packed.buffer : packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength)) as ArrayBuffer,
            });
          }
        }
        count = end;
        tx.objectStore('collections').put({ ...collection, calibration, count });
        const done = count;
        const previous = committing;
        committing = tx.done.then(
          () => opts.onProgress?.(done, keep.length),
          (err) => {
            throw quotaMessage(err, 'batch') ?? err;
          },
        );
        committing.catch(() => {}); // awaited below; a failure is not "unhandled" meanwhile
        await previous;
      }
      await committing;
      opts.signal?.throwIfAborted();
    } catch (err) {
      // Nothing half-imported: the collection goes with whatever of it was written.
      await this.deleteCollection(collection.id).catch(() => {});
      throw err;
    }
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
    let out = new Uint8Array(0);
    await this.loadVectorsInto(collectionId, precision, (bytes) => (out = new Uint8Array(bytes)));
    return new (precisionById(precision).storage)(out.buffer);
  }

  /**
   * Reads a precision's blocks and copies them, in row order, into the bytes `target` returns
   * for their total size (the search worker passes WebAssembly memory, so rows are copied once,
   * straight from IndexedDB's values). Returns the number of rows.
   */
  async loadVectorsInto(collectionId: string, precision: PrecisionId, target: (bytes: number, rows: number) => Uint8Array): Promise<number> {
    // The count and the block keys from one transaction: one snapshot even while a job commits.
    const tx = this.db.transaction(['collections', 'blocks']);
    const range = IDBKeyRange.bound([collectionId, precision, -Infinity], [collectionId, precision, Infinity]);
    const [collection, keys] = await Promise.all([tx.objectStore('collections').get(collectionId), tx.objectStore('blocks').getAllKeys(range)]);
    if (!collection) throw new StoreError(`no collection with id ${collectionId}`);
    if (!collection.precisions.includes(precision)) {
      throw new StoreError(`collection "${collection.name}" does not keep ${precision} vectors (it keeps ${collection.precisions.join(', ')})`);
    }
    // Read in parallel ranges: one getAll of 200 MB (100k × 512 float32) took 1.5 s cold, four
    // concurrent ones ~0.4 s, as IndexedDB reads large values per request in sequence. Sixteen
    // (one per block of 2,048 float32 rows at 50k rows): 2.07 s against 2.79 s for four (50k × 512
    // float32, npm run bench, load average 19–24 on the 2-core AMD EPYC). Blocks of 4 MB or more
    // (float32) are now read one request each, at most 64 at a time, and every block is copied
    // into the target as it lands, the target sized up front from the count: the copy overlaps
    // the reads still under way instead of following the last, and no more than the blocks in
    // flight are held besides the target (all 200 MB were). 100k × 512 float32, Chromium 156,
    // alternated pairs against the 16-range read-then-copy at load average 12–23 (a shared
    // machine; not measured quiet): median per-pair ratio 0.82, 0.90, 0.95 (3 × 9 pairs) and, as
    // written here, 0.855 (11 pairs, 0.47–1.27); sixteen ranges copied on arrival 0.88–1.07, not
    // kept. Smaller blocks (int8, binary) keep sixteen ranges. Rows are placed by their block's
    // start, so a missing block is an error, not a silent shift of every later row.
    const rowBytes = precisionById(precision).bytesPerVector(collection.dims);
    const rows = collection.count;
    const out = target(rows * rowBytes, rows);
    const blockBytes = keys.length ? (rows * rowBytes) / keys.length : 0;
    const per = Math.max(1, Math.min(Math.ceil(keys.length / 16), Math.floor((4 << 20) / blockBytes)));
    const ranges = Array.from({ length: Math.ceil(keys.length / per) }, (_, g) => keys.slice(g * per, (g + 1) * per));
    let copied = 0;
    let next = 0;
    const reader = async () => {
      while (next < ranges.length) {
        const part = ranges[next++];
        const blocks = part.length === 1 ? [await this.db.get('blocks', part[0])] : await this.db.getAll('blocks', IDBKeyRange.bound(part[0], part[part.length - 1]));
        for (const b of blocks) {
          if (!b || b.data.byteLength !== b.count * rowBytes || b.start + b.count > rows) {
            throw new StoreError(`collection "${collection.name}": its ${precision} vectors changed while they loaded (a block is missing or does not fit its ${rows} rows)`);
          }
          out.set(new Uint8Array(b.data), b.start * rowBytes);
          copied += b.count;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(64, ranges.length) }, reader));
    // Fewer rows than counted: the collection was deleted (or damaged) while it loaded.
    if (copied !== rows) throw new StoreError(`collection "${collection.name}" has ${copied} of its ${rows} ${precision} vectors`);
    return rows;
  }

  /** The chunks at the given rows (search results), or all of them when `rows` is omitted (export). */
  async chunks(collectionId: string, rows?: number[]): Promise<ChunkRecord[]> {
    const tx = this.db.transaction(['chunkBlocks', 'hashBlocks']);
    const toChunks = (texts: { start: number; texts: string[]; sources: string[] }, hashes: { hashes: string[] } | undefined, only?: number) =>
      texts.texts.flatMap((text, i) =>
        only === undefined || texts.start + i === only
          ? [{ collectionId, row: texts.start + i, text, source: texts.sources[i], hash: hashes?.hashes[i] ?? '' }]
          : [],
      );
    if (!rows) {
      const [texts, hashes] = await Promise.all([tx.objectStore('chunkBlocks').getAll(rowsOf(collectionId)), tx.objectStore('hashBlocks').getAll(rowsOf(collectionId))]);
      return texts.flatMap((b, i) => toChunks(b, hashes[i]));
    }
    return (
      await Promise.all(
        rows.map(async (row) => {
          // The block holding `row` is the one with the largest start ≤ row.
          const cursor = await tx.objectStore('chunkBlocks').openCursor(IDBKeyRange.bound([collectionId, -Infinity], [collectionId, row]), 'prev');
          if (!cursor) return [];
          const hashes = await tx.objectStore('hashBlocks').get([collectionId, cursor.value.start]);
          return toChunks(cursor.value, hashes, row);
        }),
      )
    ).flat();
  }

  private async jobsIn(jobs: { index(name: 'byCollection'): { getAll(key: string): Promise<JobRecord[]> } }, collectionId: string) {
    return (await jobs.index('byCollection').getAll(collectionId)).filter((j) => j.status !== 'done' && j.status !== 'cancelled');
  }
}

/** See VectorStore.openQueue. */
export class JobQueue {
  /** Content hash by text, for this queue's lifetime: repeated text is hashed once. */
  private readonly hashOf = new Map<string, string>();

  constructor(
    private readonly db: StoreDb,
    private job: JobRecord,
    private readonly seen: Set<string>,
  ) {}

  get jobId(): string {
    return this.job.id;
  }

  get record(): JobRecord {
    return this.job;
  }

  /** Queues texts (skipping ones already held or queued), in one transaction. */
  async append(items: ChunkInput[]): Promise<JobRecord> {
    const hashes = items.map((i) => {
      let h = this.hashOf.get(i.text);
      if (h === undefined) {
        h = contentHash(i.text);
        // Bounded: a corpus of mostly distinct chunks must not keep every text alive here.
        if (this.hashOf.size > 50_000) this.hashOf.clear();
        this.hashOf.set(i.text, h);
      }
      return h;
    });
    const tx = this.db.transaction(['pendingBlocks', 'jobs'], 'readwrite');
    const pending = tx.objectStore('pendingBlocks');
    let seq = this.job.total;
    let cached = 0;
    let block: PendingBlockRecord | null = null;
    for (let i = 0; i < items.length; i++) {
      if (this.seen.has(hashes[i])) {
        cached++;
        continue;
      }
      this.seen.add(hashes[i]);
      if (block && block.texts.length >= PENDING_BLOCK) {
        pending.add(block);
        block = null;
      }
      block ??= { jobId: this.job.id, first: seq, last: seq, texts: [], sources: [], hashes: [] };
      block.last = seq++;
      block.texts.push(items[i].text);
      block.sources.push(items[i].source);
      block.hashes.push(hashes[i]);
    }
    if (block) pending.add(block);
    const job: JobRecord = { ...this.job, total: seq, cached: this.job.cached + cached, updatedAt: Date.now() };
    tx.objectStore('jobs').put(job);
    try {
      await tx.done;
    } catch (err) {
      throw quotaMessage(err, 'queue') ?? err;
    }
    this.job = job;
    return job;
  }

  /** Drops the job and whatever it queued (a read that failed; nothing was embedded yet). */
  async abandon(): Promise<void> {
    const tx = this.db.transaction(['pendingBlocks', 'jobs'], 'readwrite');
    await Promise.all([tx.objectStore('pendingBlocks').delete(rowsOf(this.job.id)), tx.objectStore('jobs').delete(this.job.id), tx.done]);
  }

  /** Ends queuing: the job is ready to run (or done, when every text was already held). */
  async finish(): Promise<JobRecord> {
    const job: JobRecord = { ...this.job, status: this.job.total === this.job.done ? 'done' : 'running', updatedAt: Date.now() };
    await this.db.put('jobs', job);
    this.job = job;
    return job;
  }
}
