/**
 * The IndexedDB store (idb). Collections of chunks embedded by one model, vectors packed per
 * precision in blocks (one record per committed batch, never one per number), and ingestion jobs.
 *
 * Crash safety comes from one rule: a batch's chunks, its vector blocks for every precision,
 * the removal of its pending entries and the job/collection counters are written in ONE
 * transaction. A tab closed mid-job loses at most the batch in flight; what was committed is
 * whole, and what was not is still pending, so resuming neither skips nor duplicates.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CalibrationJson, PrecisionId } from '../precision/types.ts';

export const DB_NAME = 'embedscope';
export const DB_VERSION = 1;

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

export interface PendingRecord {
  jobId: string;
  seq: number;
  text: string;
  source: string;
  hash: string;
}

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
  pending: { key: [string, number]; value: PendingRecord };
  jobs: { key: string; value: JobRecord; indexes: { byCollection: string } };
}

export type StoreDb = IDBPDatabase<StoreSchema>;

export function openStore(name = DB_NAME): Promise<StoreDb> {
  return openDB<StoreSchema>(name, DB_VERSION, {
    upgrade(db) {
      db.createObjectStore('collections', { keyPath: 'id' });
      db.createObjectStore('chunkBlocks', { keyPath: ['collectionId', 'start'] });
      db.createObjectStore('hashBlocks', { keyPath: ['collectionId', 'start'] });
      db.createObjectStore('blocks', { keyPath: ['collectionId', 'precision', 'start'] });
      db.createObjectStore('pending', { keyPath: ['jobId', 'seq'] });
      const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
      jobs.createIndex('byCollection', 'collectionId');
    },
  });
}
