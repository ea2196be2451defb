/**
 * Search off the main thread: loads a collection's packed vectors from IndexedDB once (per
 * precision, reloaded when the collection grows) and answers exact top-k, with rescoring.
 */
import * as Comlink from 'comlink';
import { VectorStore } from '../src/core/store/store.ts';
import { precisionById, type Packed, type PrecisionId } from '../src/core/precision/index.ts';
import { rescore } from '../src/core/search/rescore.ts';
import { HammingIndex } from '../src/core/search/hamming-index.ts';
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
  /** Which scan ran the first stage: the WASM SIMD Hamming kernel or plain JS. */
  kernel: 'wasm-simd' | 'js';
}

let store: Promise<VectorStore> | null = null;
interface Loaded {
  count: number;
  data: Packed;
  /** Binary rows also live in WASM memory for the SIMD kernel, where it can run. */
  index: HammingIndex | null;
}
const loaded = new Map<string, Loaded>();

async function vectors(collection: CollectionRecord, precision: PrecisionId): Promise<Loaded & { loadMs: number }> {
  const key = `${collection.id}:${precision}`;
  const hit = loaded.get(key);
  if (hit && hit.count === collection.count) return { ...hit, loadMs: 0 };
  const started = performance.now();
  const data = await (await store!).loadVectors(collection.id, precision);
  const bytesPerRow = precisionById(precision).bytesPerVector(collection.dims);
  const index = precision.endsWith('binary') ? HammingIndex.create(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), bytesPerRow) : null;
  const entry = { count: collection.count, data, index };
  loaded.set(key, entry);
  return { ...entry, loadMs: performance.now() - started };
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
    const p = precisionById(req.precision);
    const multiplier = req.rescore && req.rescore.multiplier > 1 ? req.rescore.multiplier : 1;
    const second = multiplier > 1 ? await vectors(collection, req.rescore!.with) : null;
    loadMs += second?.loadMs ?? 0;
    const started = performance.now();
    let hits = first.index
      ? first.index.topK(new Uint8Array(p.encode(query, collection.dims).buffer), req.k * multiplier)
      : p.topK(query, first.data, collection.dims, req.k * multiplier, cal);
    if (second) {
      hits = rescore(hits, query, collection.dims, req.k, { precision: precisionById(req.rescore!.with), stored: second.data, calibration: cal });
    }
    const searchMs = performance.now() - started;
    const chunks = await s.chunks(collection.id, hits.map((h) => h.index));
    const byRow = new Map(chunks.map((c) => [c.row, c]));
    return {
      hits: hits.map((h) => ({ row: h.index, score: h.score, text: byRow.get(h.index)?.text ?? '', source: byRow.get(h.index)?.source ?? '' })),
      searchMs,
      loadMs,
      bytes: first.data.byteLength,
      kernel: first.index ? 'wasm-simd' : 'js',
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
