/** The page's handle on the search worker: one worker for all collections, behind the bridge. */
import { WorkerBridge } from './bridge.ts';
import type { SearchRequest, SearchResponse, SearchWorkerApi } from '../workers/search.worker.ts';

const bridge = new WorkerBridge<SearchWorkerApi>({
  create: () => new Worker(new URL('../workers/search.worker.ts', import.meta.url), { type: 'module', name: 'search' }),
  // Loaded vectors are the worker's cache; after 10 idle minutes give their memory back.
  idleMs: 10 * 60_000,
});

export function search(req: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
  return bridge.call((api) => api.search(req), signal);
}

export function forgetCollection(collectionId: string): Promise<void> {
  return bridge.call((api) => api.forget(collectionId));
}
