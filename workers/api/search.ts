/** What the page and the search worker (workers/search.worker.ts) say to each other: types only. */
import type { PrecisionId } from '../../src/core/precision/index.ts';
import type { ScanFacts } from '../../src/core/search/describe.ts';
import type { SearchBenchOptions } from '../../src/bench/search.ts';
import type { BenchRow } from '../../src/bench/report.ts';

export interface SearchRequest {
  collectionId: string;
  precision: PrecisionId;
  /** The query as the model gave it (model dims; truncated here like the stored rows). */
  query: Float32Array;
  k: number;
  /** Rescore k × multiplier candidates with this precision's stored rows. */
  rescore?: { multiplier: number; with: PrecisionId };
  /**
   * Fault injection for the tests: a helper worker crashes during this scan; or the collection is
   * forgotten (as a delete does) after the search got its rows and before it scans them.
   */
  fault?: 'crash-helper' | 'release-mid-search';
}

export interface SearchHit {
  row: number;
  score: number;
  text: string;
  source: string;
}

/**
 * searchMs: scoring time only (vectors already in memory); loadMs: reading the vectors from
 * IndexedDB when they were not loaded yet, else 0; bytes: what the first stage scanned; kernel:
 * WASM relaxed SIMD or SIMD128, or the JS fallback; workers: how many split the scan;
 * workersNote: why one worker where several were possible (no SharedArrayBuffer).
 */
export interface SearchResponse extends ScanFacts {
  hits: SearchHit[];
}
export type SearchKernel = ScanFacts['kernel'];

export interface SearchSetup {
  /** Workers per scan: 1…16; default the cores available. */
  workers?: number;
  /** The most WebAssembly memory one precision's rows may take (default 4 GiB, wasm32's limit). */
  maxMemoryBytes?: number;
  /** Rows a worker must get to be used (default search/pool.ts MIN_BYTES_PER_WORKER; tests set 0). */
  minBytesPerWorker?: number;
}

export interface SearchWorkerApi {
  /** Sets the number of workers per scan (the bench axis; 1 = no helpers); says how many it got. */
  setup(opts: SearchSetup): { workers: number; shared: boolean };
  search(req: SearchRequest): Promise<SearchResponse>;
  /** The search benchmark suite runs in the worker, where searches run (src/bench/search.ts). */
  bench(opts: SearchBenchOptions, log?: (line: string) => void): Promise<BenchRow[]>;
  /** The keys of the rows held in memory, here and by each running scan helper (tests). */
  held(): Promise<{ loaded: string[]; helpers: string[][] }>;
  /**
   * Forget loaded vectors (after a collection is deleted or replaced), here and in the scan helpers;
   * answers how many row sets this worker still holds or is loading (0: nothing worth keeping it for).
   */
  forget(collectionId: string): Promise<number>;
}
