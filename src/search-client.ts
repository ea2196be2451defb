/**
 * The page's handle on the search worker: one worker for all collections, behind the bridge (it
 * starts its own scan helpers where the page is cross-origin isolated).
 */
import * as Comlink from 'comlink';
import { WorkerBridge } from './bridge.ts';
import type { SearchBenchOptions } from './bench/search.ts';
import type { BenchRow } from './bench/report.ts';
import type { SearchRequest, SearchResponse, SearchSetup, SearchWorkerApi } from '../workers/api/search.ts';

/** The last setup asked for: a worker started after a release or a crash gets it again. */
let setup: SearchSetup | null = null;

const bridge = new WorkerBridge<SearchWorkerApi>({
  create: () => new Worker(new URL('../workers/search.worker.ts', import.meta.url), { type: 'module', name: 'search' }),
  init: async (api) => {
    if (setup) await api.setup(setup);
  },
  // Loaded vectors are the worker's cache; after 10 idle minutes give their memory back.
  idleMs: 10 * 60_000,
});

export function search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
  return bridge.call((api) => api.search(req), signal);
}

/** Workers per scan (the bench axis) and the memory limit; answers what took effect. */
export function setupSearch(opts: SearchSetup): Promise<{ workers: number; shared: boolean }> {
  setup = { ...setup, ...opts };
  return bridge.call((api) => api.setup(opts));
}

export function benchSearch(opts: SearchBenchOptions, log: (line: string) => void): Promise<BenchRow[]> {
  return bridge.call((api) => api.bench(opts, Comlink.proxy(log)));
}

/**
 * Lets go of a deleted or replaced collection's rows. A search worker left holding none is
 * terminated with its scan helpers (restarted, its setup replayed, by the next search): kept, the
 * idle worker and its helper were the only workers left at the soak's end, the one thing there the
 * warm round before had not (#15: their isolates' heaps alone 1.8 MB in the end's memory dump).
 */
export async function forgetCollection(collectionId: string): Promise<void> {
  await bridge.call((api) => api.forget(collectionId), undefined, (stillHeld) => stillHeld === 0);
}

/** Which collections' rows the search workers hold in memory (keys "collection:precision:load"; tests). */
export function searchMemoryHeld(): Promise<{ loaded: string[]; helpers: string[][] }> {
  return bridge.call((api) => api.held());
}
