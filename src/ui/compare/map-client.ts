/** The page's handle on the map worker (2-D projections of a collection), behind the bridge. */
import { WorkerBridge } from '../../bridge.ts';
import type { MapRequest, MapResponse, MapWorkerApi } from '../../../workers/api/map.ts';

const bridge = new WorkerBridge<MapWorkerApi>({
  create: () => new Worker(new URL('../../../workers/map.worker.ts', import.meta.url), { type: 'module', name: 'map' }),
  // A projection is a one-off: give the worker's memory back a minute after the last one.
  idleMs: 60_000,
});

export function projectCollection(req: MapRequest, signal?: AbortSignal): Promise<MapResponse> {
  return bridge.call((api) => api.project(req), signal);
}
