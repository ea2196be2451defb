/**
 * The IndexedDB store (idb). Collections of chunks embedded by one model, vectors packed per
 * precision in blocks (one record per committed batch, never one per number), and ingestion jobs.
 *
 * Crash safety comes from one rule: a batch's chunks, its vector blocks for every precision,
 * the removal of its pending entries and the job/collection counters are written in ONE
 * transaction. A tab closed mid-job loses at most the batch in flight; what was committed is
 * whole, and what was not is still pending, so resuming neither skips nor duplicates.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { CalibrationJson, PrecisionId } from '../precision/types.ts';

export const DB_NAME = 'embedscope';
/** 2: the pending texts kept in blocks (`pendingBlocks`), no longer one record each (`pending`). */
export const DB_VERSION = 2;

export interface CollectionRecord {
  id: string;
  name: string;
  modelId: string;
  /** Dimensions stored (after Matryoshka truncation, when asked for). */
  dims: number;
  modelDims: number;
  /**
   * The model's weights as run ("fp32", "int8", …), fixed when the collection is made: another
   * dtype of the same model gives slightly other vectors, and an export must name the one these
   * came from, not whichever same-id model is loaded when it runs. Null when unknown (made before
   * this was kept, or imported from a file that does not say).
   */
  dtype?: string | null;
  precisions: PrecisionId[];
  /** Per-dimension ranges for int8/uint8, fixed by the first committed batch (or an import). */
  calibration: CalibrationJson | null;
  /** Vectors committed = chunks stored; also the next row number. */
  count: number;
  createdAt: number;
}

/** One chunk as the API hands it out (stored in blocks, below). */
export interface ChunkRecord {
  collectionId: string;
  /** Row number in every precision's vector array. */
  row: number;
  text: string;
  source: string;
  hash: string;
}

/**
 * The texts of one committed batch. Per-batch records, not one per chunk: a record per row cost
 * ~140 µs of IndexedDB work each and held ingestion to ~7k vectors/s.
 */
export interface ChunkBlockRecord {
  collectionId: string;
  start: number;
  texts: string[];
  sources: string[];
}

/** The content hashes of one committed batch, apart from the texts so the embedding cache reads little. */
export interface HashBlockRecord {
  collectionId: string;
  start: number;
  hashes: string[];
}

export interface BlockRecord {
  collectionId: string;
  precision: PrecisionId;
  /** First row in this block. */
  start: number;
  count: number;
  data: ArrayBuffer;
}

/** One text of a job still waiting for vectors, as the ingest takes it (`VectorStore.nextBatch`). */
export interface PendingRecord {
  jobId: string;
  /** Its place in the job: 0, 1, 2… in the order it was queued; the job's `done` counts those committed. */
  seq: number;
  text: string;
  source: string;
  hash: string;
}

/**
 * Texts of a job waiting for vectors, consecutive from `first` to `last`: one record per block of
 * up to `PENDING_BLOCK` texts, keyed by its last one, so the blocks a committed batch has used up
 * are one key range (`[jobId, -∞] … [jobId, last committed]`) and are deleted without being read.
 * A block the batch used only part of stays whole; a job's uncommitted texts are those from its
 * `done` on (commits go in order), so the part used is never read again.
 * Why blocks: a record per queued text is an IndexedDB request, key and serialised value per text
 * in the page, and their small allocations left the page's renderer a step of partly used
 * allocator pages (#15). Measured with `scripts/exp/ingest-malloc.ts` (2-core EPYC, Chromium 156;
 * the renderer's private memory at rest, after a full GC and a purge, over the baseline, three
 * rounds of 60,000 texts each dropped after): queued only, one record each +6.0 / +2.7 / +3.4 MB,
 * in blocks +3.5 / +0.9 / +0.5; queued and embedded, +7.5 / +6.0 / +6.7 against +5.6 / +5.7 / +4.9.
 * Written straight to a scratch database, 60,000 records +5.0 / +2.7 MB, 235 blocks +0.0 / −0.7.
 */
export interface PendingBlockRecord {
  jobId: string;
  first: number;
  last: number;
  texts: string[];
  sources: string[];
  hashes: string[];
}

/** Texts per pending block: a batch's worth (the ingest's default batch is 256). */
export const PENDING_BLOCK = 256;

export interface JobRecord {
  id: string;
  collectionId: string;
  /**
   * `queuing`: texts are still being read into it (a reload mid-read leaves what was queued,
   * which can be embedded); `cancelled`: stopped for good, what was committed stays.
   */
  status: 'queuing' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';
  total: number;
  done: number;
  /** Chunks skipped because the collection already had their text embedded. */
  cached: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface StoreSchema extends DBSchema {
  collections: { key: string; value: CollectionRecord };
  chunkBlocks: { key: [string, number]; value: ChunkBlockRecord };
  hashBlocks: { key: [string, number]; value: HashBlockRecord };
  blocks: { key: [string, string, number]; value: BlockRecord };
  pendingBlocks: { key: [string, number]; value: PendingBlockRecord };
  jobs: { key: string; value: JobRecord; indexes: { byCollection: string } };
}

export type StoreDb = IDBPDatabase<StoreSchema>;

/** The version-1 queue, one record per text: only read when an older database is opened. */
interface V1Pending {
  jobId: string;
  seq: number;
  text: string;
  source: string;
  hash: string;
}

export function openStore(name = DB_NAME): Promise<StoreDb> {
  return openDB<StoreSchema>(name, DB_VERSION, {
    async upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore('collections', { keyPath: 'id' });
        db.createObjectStore('chunkBlocks', { keyPath: ['collectionId', 'start'] });
        db.createObjectStore('hashBlocks', { keyPath: ['collectionId', 'start'] });
        db.createObjectStore('blocks', { keyPath: ['collectionId', 'precision', 'start'] });
        const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
        jobs.createIndex('byCollection', 'collectionId');
      }
      if (oldVersion < 2) {
        const blocks = db.createObjectStore('pendingBlocks', { keyPath: ['jobId', 'last'] });
        if (oldVersion === 1) await movePendingIntoBlocks(db as unknown as IDBPDatabase, tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>, blocks);
      }
    },
  });
}

/**
 * A version-1 database's queued texts, moved into blocks in the upgrade's own transaction (a
 * paused job resumes where it was; a crash mid-upgrade leaves version 1 as it was). Consecutive
 * texts of a job go into one block; a gap (never left by version 1, whose commits went in order)
 * starts a new one.
 */
async function movePendingIntoBlocks(db: IDBPDatabase, tx: IDBPTransaction<unknown, string[], 'versionchange'>, blocks: { add(value: PendingBlockRecord): unknown }): Promise<void> {
  let block: PendingBlockRecord | null = null;
  for (let cursor = await tx.objectStore('pending').openCursor(); cursor; cursor = await cursor.continue()) {
    const p = cursor.value as V1Pending;
    if (!block || block.jobId !== p.jobId || block.last !== p.seq - 1 || block.texts.length >= PENDING_BLOCK) {
      if (block) blocks.add(block);
      block = { jobId: p.jobId, first: p.seq, last: p.seq, texts: [], sources: [], hashes: [] };
    }
    block.last = p.seq;
    block.texts.push(p.text);
    block.sources.push(p.source);
    block.hashes.push(p.hash);
  }
  if (block) blocks.add(block);
  db.deleteObjectStore('pending');
}
