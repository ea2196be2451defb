/** What the page and the map worker (workers/map.worker.ts) say to each other: types only. */
import type { PrecisionId } from '../../src/core/precision/index.ts';

export interface MapRequest {
  collectionId: string;
  precision: PrecisionId;
}

export interface MapResponse {
  points: Float32Array;
  explained: [number, number];
  iterations: number;
  fittedRows: number;
  rows: number;
  loadMs: number;
  pcaMs: number;
}

export interface MapWorkerApi {
  project(req: MapRequest): Promise<MapResponse>;
}
