/**
 * The search's read path (VectorStore.loadVectorsInto): rows come back in order into the target
 * sized from the collection's count, whether its blocks are read one request each or in ranges,
 * with a short last block, and after the collection grew; a load that finds fewer rows than
 * counted fails by name. IndexedDB is fake-indexeddb's.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { VectorStore, StoreError } from '../../src/core/store/store.ts';
import { calibrationFromJson, precisions, type PrecisionId } from '../../src/core/precision/index.ts';

let n = 0;

async function commit(store: VectorStore, collectionId: string, vectors: Float32Array, batch: number, dims: number) {
  const rows = vectors.length / dims;
  const job = await store.enqueue(collectionId, Array.from({ length: rows }, (_, i) => ({ text: `row ${i} of ${rows}`, source: 'test' })));
  for (;;) {
    const b = await store.nextBatch(job.id, batch);
    if (b.length === 0) break;
    await store.commitBatch(job.id, b, vectors.subarray(b[0].seq * dims, (b[0].seq + b.length) * dims), dims);
  }
}

const vectorsOf = (rows: number, dims: number, seed: number) => Float32Array.from({ length: rows * dims }, (_, i) => Math.sin(i * 0.61 + seed));

describe('loadVectorsInto', () => {
  // Up to 16 blocks (or blocks of 4 MiB, float32's 2,048 × 512) are read one request each; more, smaller ones in ranges.
  for (const { dims, batch, rows, more } of [
    { dims: 33, batch: 100, rows: 250, more: 30 },
    { dims: 16, batch: 10, rows: 395, more: 27 },
  ]) {
    it(`fills the target, sized before any block is read, with every row in order (${dims}-d, blocks of ${batch}, after growth)`, async () => {
      const store = await VectorStore.open(`store-load-${++n}`);
      const kept: PrecisionId[] = ['float32', 'int8', 'binary'];
      const c = await store.createCollection({ name: 'load', modelId: 'toy', modelDims: dims, precisions: kept });
      const first = vectorsOf(rows, dims, 1); // a short last block
      await commit(store, c.id, first, batch, dims);
      const second = vectorsOf(more, dims, 2); // the collection grows
      await commit(store, c.id, second, batch, dims);
      const all = new Float32Array([...first, ...second]);
      const cal = calibrationFromJson((await store.collection(c.id)).calibration);
      for (const id of kept) {
        const p = precisions[id];
        const asked: [number, number][] = [];
        let out = new Uint8Array(0);
        const got = await store.loadVectorsInto(c.id, id, (bytes, count) => {
          asked.push([bytes, count]);
          return (out = new Uint8Array(bytes));
        });
        expect(got, id).toBe(rows + more);
        expect(asked, id).toEqual([[(rows + more) * p.bytesPerVector(dims), rows + more]]);
        const expected = p.encode(all, dims, cal);
        expect(out, id).toEqual(new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength));
      }
      store.close();
    }, 120_000);
  }

  it('a load that finds fewer rows than its collection counts fails and names the collection', async () => {
    const store = await VectorStore.open(`store-load-${++n}`);
    const c = await store.createCollection({ name: 'damaged', modelId: 'toy', modelDims: 16, precisions: ['float32'] });
    await commit(store, c.id, vectorsOf(300, 16, 3), 100, 16);
    // A block lost from under the collection (as a delete racing the load would leave it).
    await store.db.delete('blocks', [c.id, 'float32', 100]);
    const failed = store.loadVectorsInto(c.id, 'float32', (bytes) => new Uint8Array(bytes));
    await expect(failed).rejects.toThrow(StoreError);
    await expect(store.loadVectorsInto(c.id, 'float32', (bytes) => new Uint8Array(bytes))).rejects.toThrow('collection "damaged" has 200 of its 300 float32 vectors');
    store.close();
  });
});
