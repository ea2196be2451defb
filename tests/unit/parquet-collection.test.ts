/**
 * A page collection ⇄ Parquet over a real VectorStore (fake-indexeddb in Node): what the export
 * records comes from the collection itself, and an import is written in blocks, not row by row.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { VectorStore } from '../../src/core/store/store.ts';
import { runIngestJob } from '../../src/core/store/ingest.ts';
import { queueCorpus } from '../../src/core/corpus/collection.ts';
import { collectionToParquet, parquetToImport, readMeta } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';

const pq = parquetNode();
let n = 0;
const openFresh = () => VectorStore.open(`parquet-collection-test-${++n}`);
const toyEmbed = async (texts: string[]) => {
  const vectors = new Float32Array(texts.length * 4);
  texts.forEach((t, r) => {
    const i = Number(t.split(' ')[1]);
    vectors.set([Math.cos(i), Math.sin(i), (i % 7) / 7 - 0.5, 1 / (i + 1)], r * 4);
  });
  return { vectors, dims: 4 };
};

async function embedded(store: VectorStore, dtype: string) {
  const items = Array.from({ length: 6 }, (_, i) => ({ text: `sentence ${i}`, source: 'f.txt' }));
  const r = await queueCorpus(store, { name: 'Toy', model: { id: 'toy', dims: 4, dtype }, precisions: ['float32', 'int8'], items });
  if (!r.job) throw new Error(r.error);
  await runIngestJob({ store, jobId: r.job.id, embed: toyEmbed, batchSize: 4 });
  return r.collection;
}

describe('Parquet export of a page collection', () => {
  it('records the dtype the collection was embedded with, kept in its record, not whichever model is loaded now', async () => {
    const store = await openFresh();
    const c = await embedded(store, 'int8');
    expect((await store.collection(c.id)).dtype).toBe('int8');
    // The export takes nothing but the collection: a same-id model loaded later at fp32 changes nothing.
    const bytes = await collectionToParquet(pq, store, c.id);
    expect(readMeta(pq, bytes, 'toy.parquet').meta).toMatchObject({ model: 'toy', dtype: 'int8', dims: 4, precisions: ['float32', 'int8'] });
    // An import keeps the file's dtype, so exporting it again says the same.
    const other = await openFresh();
    const imported = await other.importCollection(parquetToImport(pq, bytes, 'toy.parquet').rows, { precisions: ['float32'] });
    expect(imported.dtype).toBe('int8');
    expect(readMeta(pq, await collectionToParquet(pq, other, imported.id), 'again.parquet').meta.dtype).toBe('int8');
  });
});
