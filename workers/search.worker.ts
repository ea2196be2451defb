/**
 * Search off the main thread: loads a collection's packed vectors from IndexedDB once per
 * precision (reloaded when the collection grows), straight into WebAssembly memory, and answers
 * exact top-k with the SIMD kernels (src/core/search/scan.ts), rescoring through the same kernels.
 * Where the page is cross-origin isolated the rows live in a shared memory and each scan is
 * split over N workers (this one and N − 1 helpers, search/pool.ts); otherwise one worker scans.
 */
import * as Comlink from 'comlink';
import { VectorStore } from '../src/core/store/store.ts';
import { calibrationFromJson, precisionById, type Calibration, type PrecisionId } from '../src/core/precision/index.ts';
import { rescore } from '../src/core/search/rescore.ts';
import { MAX_SLOTS, ScanIndex, sharedMemoryAvailable } from '../src/core/search/scan.ts';
import { ScanPool, type HelperPort } from '../src/core/search/pool.ts';
import { scanJs } from '../src/core/search/kernels.ts';
import { TopK, type Hit } from '../src/core/search/topk.ts';
import { availableCores } from '../src/core/util/threads.ts';
import type { CollectionRecord } from '../src/core/store/db.ts';
import type { SearchKernel, SearchRequest, SearchResponse, SearchSetup, SearchWorkerApi } from './api/search.ts';
import type { SearchBenchOptions } from '../src/bench/search.ts';
import type { BenchRow } from '../src/bench/report.ts';


let store: Promise<VectorStore> | null = null;

/** Whether this worker can share rows with helpers (needs a cross-origin isolated page). */
const shared = sharedMemoryAvailable();
const NOT_ISOLATED = 'one search worker: the page is not cross-origin isolated, so there is no SharedArrayBuffer to share rows with more';

const spawnHelper = () => new Worker(new URL('./scan.worker.ts', import.meta.url), { type: 'module', name: 'search-helper' }) as unknown as HelperPort;
/** Workers per scan: the cores available by default (at most the 16 scratch slots). */
let poolSize = Math.min(MAX_SLOTS, availableCores());
let maxMemoryBytes: number | undefined;
let minBytesPerWorker: number | undefined;
let pool: ScanPool | null = null;
function scanPool(): ScanPool {
  pool ??= new ScanPool(spawnHelper, shared ? poolSize : 1, minBytesPerWorker);
  return pool;
}

interface Loaded {
  count: number;
  /** Names this load's memory for the helpers (they cache an instance per key). */
  key: string;
  /** Rows in WebAssembly memory, or null where SIMD does not validate (then `data` is scanned in JS). */
  index: ScanIndex | null;
  data: Uint8Array;
  bytes: number;
}
const loaded = new Map<string, Loaded>();
/** Loads under way, by key and count: two searches of one collection at once share one load (and one allocation). */
const loading = new Map<string, Promise<Loaded & { loadMs: number }>>();
let loads = 0;

function vectors(collection: CollectionRecord, precision: PrecisionId): Promise<Loaded & { loadMs: number }> {
  const key = `${collection.id}:${precision}`;
  const hit = loaded.get(key);
  if (hit && hit.count === collection.count) return Promise.resolve({ ...hit, loadMs: 0 });
  const pendingKey = `${key}:${collection.count}`;
  const pending = loading.get(pendingKey);
  if (pending) return pending;
  const load = loadVectors(collection, precision, key).finally(() => loading.delete(pendingKey));
  loading.set(pendingKey, load);
  return load;
}

/**
 * Lets go of loaded rows here and in the scan helpers, whose cached instances hold the same shared
 * memory: until the release op they kept a deleted or re-packed collection's block until another
 * collection was searched.
 */
async function release(keys: string[]): Promise<void> {
  const held = keys.flatMap((k) => {
    const entry = loaded.get(k);
    loaded.delete(k);
    return entry ? [entry.key] : [];
  });
  if (held.length && pool) await pool.release(held);
}

async function loadVectors(collection: CollectionRecord, precision: PrecisionId, key: string): Promise<Loaded & { loadMs: number }> {
  // Give the old memory back before asking for the new: this precision's, and every other
  // precision's of this collection loaded at another count (stale since the collection grew).
  await release([...loaded].filter(([k, l]) => k === key || (k.startsWith(`${collection.id}:`) && l.count !== collection.count)).map(([k]) => k));
  const started = performance.now();
  const p = precisionById(precision);
  let index: ScanIndex | null = null;
  let data: Uint8Array = new Uint8Array(0);
  const count = await (await store!).loadVectorsInto(collection.id, precision, (bytes, rows) => {
    index = ScanIndex.allocate({ kernel: p.kernel, dims: collection.dims, rows }, { shared, maxBytes: maxMemoryBytes });
    data = index ? index.rowBytesView() : new Uint8Array(bytes);
    return data;
  });
  const entry: Loaded = { count, key: `${key}:${++loads}`, index, data, bytes: data.byteLength };
  loaded.set(key, entry);
  return { ...entry, loadMs: performance.now() - started };
}

/** The top k (after rescoring, if asked) of one search, on the kernels or, without SIMD, in JS. */
async function scan(req: SearchRequest, query: Float32Array, dims: number, cal: Calibration | undefined, first: Loaded, second: Loaded | null, workers: ScanPool | null): Promise<Hit[]> {
  const p = precisionById(req.precision);
  const kq = p.kernelQuery(query, dims, cal);
  const candidates = req.k * (second ? req.rescore!.multiplier : 1);
  const withP = second ? precisionById(req.rescore!.with) : null;
  if (first.index && workers && second?.index && withP?.scoring === 'cosine') {
    // Rescoring through the same kernel: only the global top candidates are scored (search/pool.ts).
    return workers.topKRescored(first.index, first.key, kq, candidates, req.k, { index: second.index, key: second.key, query: withP.kernelQuery(query, dims, cal) });
  }
  let hits: Hit[];
  if (first.index && workers) {
    hits = await workers.topK(first.index, first.key, kq, candidates);
  } else {
    const top = new TopK(candidates);
    scanJs(kq, first.data, dims, top);
    hits = top.result();
  }
  if (!second || !withP) return hits;
  const stored = new withP.storage(second.data.buffer as ArrayBuffer, second.data.byteOffset, second.data.byteLength / withP.storage.BYTES_PER_ELEMENT);
  return rescore(hits, query, dims, req.k, { precision: withP, stored, calibration: cal });
}

function kernelOf(index: ScanIndex | null): SearchKernel {
  return index ? (index.flavor === 'relaxed' ? 'wasm-relaxed' : 'wasm-simd128') : 'js';
}

const api: SearchWorkerApi = {
  /** Sets the number of workers per scan (the bench axis; 1 = no helpers). */
  setup(opts: SearchSetup) {
    pool?.dispose();
    pool = null;
    if (opts.workers !== undefined) poolSize = opts.workers;
    if ('maxMemoryBytes' in opts) maxMemoryBytes = opts.maxMemoryBytes;
    if ('minBytesPerWorker' in opts) minBytesPerWorker = opts.minBytesPerWorker;
    return { workers: scanPool().size, shared };
  },

  async search(req: SearchRequest): Promise<SearchResponse> {
    store ??= VectorStore.open();
    const s = await store;
    const collection = await s.collection(req.collectionId);
    if (req.query.length !== collection.modelDims) {
      throw new Error(`the query has ${req.query.length} dims but collection "${collection.name}" holds ${collection.modelDims}-dim vectors from ${collection.modelId}`);
    }
    const dims = collection.dims;
    const query = req.query.subarray(0, dims);
    const cal = calibrationFromJson(collection.calibration);
    const first = await vectors(collection, req.precision);
    let loadMs = first.loadMs;
    const multiplier = req.rescore && req.rescore.multiplier > 1 ? req.rescore.multiplier : 1;
    const second = multiplier > 1 ? await vectors(collection, req.rescore!.with) : null;
    loadMs += second?.loadMs ?? 0;
    const started = performance.now();
    const workers = first.index ? scanPool() : null;
    if (req.fault === 'crash-helper' && workers) workers.crashNext = true;
    // Fault injection: the collection is forgotten (deleted) after this search got its rows.
    if (req.fault === 'release-mid-search') await api.forget(collection.id);
    let hits: Hit[];
    try {
      hits = await scan(req, query, dims, cal, first, second, workers);
    } finally {
      // A release (delete, growth) that came while this search was under way let go of these
      // rows before the helpers scanned them, and the scan attached them again: let go once more,
      // or a helper held the old block until the next search (round 3's note on #12).
      const current = new Set([...loaded.values()].map((l) => l.key));
      const stale = [first, second].flatMap((e) => (e && !current.has(e.key) ? [e.key] : []));
      if (stale.length && workers) await workers.release(stale);
    }
    const searchMs = performance.now() - started;
    const chunks = await s.chunks(collection.id, hits.map((h) => h.index));
    const byRow = new Map(chunks.map((c) => [c.row, c]));
    const n = workers && first.index ? workers.partsFor(first.index) : 1;
    return {
      hits: hits.map((h) => ({ row: h.index, score: h.score, text: byRow.get(h.index)?.text ?? '', source: byRow.get(h.index)?.source ?? '' })),
      searchMs,
      loadMs,
      bytes: first.bytes,
      kernel: kernelOf(first.index),
      workers: n,
      ...(shared ? {} : { workersNote: NOT_ISOLATED }),
    };
  },

  /** The search benchmark suite runs here, where searches run (src/bench/search.ts). */
  async bench(opts: SearchBenchOptions, log?: (line: string) => void): Promise<BenchRow[]> {
    const { runSearchBench } = await import('../src/bench/search.ts');
    return runSearchBench(opts, log ?? (() => {}), {
      spawnHelper,
      shared,
    });
  },

  /** What holds rows' memory (the tests' probe): this worker's loaded keys and each running helper's. */
  async held() {
    return { loaded: [...loaded.values()].map((l) => l.key), helpers: pool ? await pool.release([]) : [] };
  },

  /** Forget loaded vectors (after a collection is deleted or replaced). */
  async forget(collectionId: string) {
    await release([...loaded.keys()].filter((key) => key.startsWith(`${collectionId}:`)));
    return loaded.size + loading.size;
  },
};

Comlink.expose(api);
