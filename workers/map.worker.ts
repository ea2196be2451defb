/**
 * The map's projection off the main thread: reads a collection's vectors from IndexedDB here (they
 * never cross to the page), turns them into numbers (float32 as is, int8 dequantized, bits as ±1)
 * and runs 2-D PCA. Only the rows × 2 points go back, as a transferable.
 */
import * as Comlink from 'comlink';
import { VectorStore } from '../src/core/store/store.ts';
import { calibrationFromJson, precisionById } from '../src/core/precision/index.ts';
import { pca2 } from '../src/core/compare/pca.ts';
import type { MapRequest, MapResponse, MapWorkerApi } from './api/map.ts';

let store: Promise<VectorStore> | null = null;

const api: MapWorkerApi = {
  async project(req: MapRequest): Promise<MapResponse> {
    store ??= VectorStore.open();
    const s = await store;
    const collection = await s.collection(req.collectionId);
    const started = performance.now();
    const packed = await s.loadVectors(collection.id, req.precision);
    const dims = collection.dims;
    const rows = collection.count;
    let numbers: Float32Array;
    if (req.precision === 'float32') {
      numbers = packed as Float32Array;
    } else {
      const p = precisionById(req.precision);
      const cal = calibrationFromJson(collection.calibration);
      numbers = new Float32Array(rows * dims);
      const row = new Float32Array(dims);
      for (let r = 0; r < rows; r++) {
        p.rescoreRow(packed, dims, r, row, cal);
        numbers.set(row, r * dims);
      }
    }
    const loadMs = performance.now() - started;
    const projected = pca2(numbers, dims);
    const pcaMs = performance.now() - started - loadMs;
    const out: MapResponse = { points: projected.points, explained: projected.explained, iterations: projected.iterations, fittedRows: projected.fittedRows, rows, loadMs, pcaMs };
    return Comlink.transfer(out, [projected.points.buffer]);
  },
};

Comlink.expose(api);
