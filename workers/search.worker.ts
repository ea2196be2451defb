/**
 * Search off the main thread: loads a collection's packed vectors from IndexedDB once (per
 * precision, reloaded when the collection grows) and answers exact top-k, with rescoring.
 */
import * as Comlink from 'comlink';
import { VectorStore } from '../src/core/store/store.ts';
import { precisionById, type Packed, type PrecisionId } from '../src/core/precision/index.ts';
import { searchWithRescore } from '../src/core/search/rescore.ts';
import type { CollectionRecord } from '../src/core/store/db.ts';
import type { SearchBenchOptions } from '../src/bench/search.ts';
import type { BenchRow } from '../src/bench/run.ts';

export interface SearchRequest {
  collectionId: string;
  precision: PrecisionId;
  /** The query as the model gave it (model dims; truncated here like the stored rows). */
  query: Float32Array;
  k: number;
  /** Rescore k × multiplier candidates with this precision's stored rows. */
  rescore?: { multiplier: number; with: PrecisionId };
}

export interface SearchHit {
  row: number;
  score: number;
  text: string;
  source: string;
}

export interface SearchResponse {
  hits: SearchHit[];
  /** Scoring time only (vectors already in memory). */
  searchMs: number;
  /** Time to read the vectors from IndexedDB when they were not loaded yet, else 0. */
  loadMs: number;
  bytes: number;
}

let store: Promise<VectorStore> | null = null;
const loaded = new Map<string, { count: number; data: Packed }>();

async function vectors(collection: CollectionRecord, precision: PrecisionId): Promise<{ data: Packed; loadMs: number }> {
  const key = `${collection.id}:${precision}`;
  const hit = loaded.get(key);
  if (hit && hit.count === collection.count) return { data: hit.data, loadMs: 0 };
  const started = performance.now();
  const data = await (await store!).loadVectors(collection.id, precision);
  loaded.set(key, { count: collection.count, data });
  return { data, loadMs: performance.now() - started };
}

const api = {
  async search(req: SearchRequest): Promise<SearchResponse> {
    store ??= VectorStore.open();
    const s = await store;
    const collection = await s.collection(req.collectionId);
    if (req.query.length !== collection.modelDims) {
      throw new Error(`the query has ${req.query.length} dims but collection "${collection.name}" holds ${collection.modelDims}-dim vectors from ${collection.modelId}`);
    }
    const query = req.query.subarray(0, collection.dims);
    const cal = collection.calibration
      ? { min: Float32Array.from(collection.calibration.min), max: Float32Array.from(collection.calibration.max) }
      : undefined;
    const first = await vectors(collection, req.precision);
    let loadMs = first.loadMs;
    const started = performance.now();
    let hits;
    if (req.rescore && req.rescore.multiplier > 1) {
      const second = await vectors(collection, req.rescore.with);
      loadMs += second.loadMs;
      hits = searchWithRescore({
        query,
        dims: collection.dims,
        k: req.k,
        multiplier: req.rescore.multiplier,
        candidates: { precision: precisionById(req.precision), stored: first.data, calibration: cal },
        rescoreWith: { precision: precisionById(req.rescore.with), stored: second.data, calibration: cal },
      });
    } else {
      hits = precisionById(req.precision).topK(query, first.data, collection.dims, req.k, cal);
    }
    const searchMs = performance.now() - started;
    const chunks = await s.chunks(collection.id, hits.map((h) => h.index));
    const byRow = new Map(chunks.map((c) => [c.row, c]));
    return {
      hits: hits.map((h) => ({ row: h.index, score: h.score, text: byRow.get(h.index)?.text ?? '', source: byRow.get(h.index)?.source ?? '' })),
      searchMs,
      loadMs,
      bytes: first.data.byteLength,
    };
  },

  /** The search benchmark suite runs here, where searches run (src/bench/search.ts). */
  async bench(opts: SearchBenchOptions, log?: (line: string) => void): Promise<BenchRow[]> {
    const { runSearchBench } = await import('../src/bench/search.ts');
    return runSearchBench(opts, log ?? (() => {}));
  },

  /** Forget loaded vectors (after a collection is deleted or replaced). */
  forget(collectionId: string) {
    for (const key of loaded.keys()) if (key.startsWith(`${collectionId}:`)) loaded.delete(key);
  },
};

export type SearchWorkerApi = typeof api;
Comlink.expose(api);
