/**
 * A job's queued texts in blocks (src/core/store/db.ts, PendingBlockRecord): batches of any size
 * come back in order across block edges and appends, read ahead or not; a block is deleted once a
 * commit has used it up and kept whole until then; an out-of-order or repeated commit is refused;
 * a version-1 database's one-record-per-text queue is moved into blocks on open and resumes where
 * it was. IndexedDB is fake-indexeddb's.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { VectorStore } from '../../src/core/store/store.ts';
import { DB_VERSION, PENDING_BLOCK } from '../../src/core/store/db.ts';
import { contentHash } from '../../src/core/store/hash.ts';

let n = 0;
const DIMS = 4;
const vectorsFor = (rows: number) => Float32Array.from({ length: rows * DIMS }, (_, i) => Math.cos(i * 0.37) + 1.5);
const texts = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ text: `text ${from + i}`, source: `src ${(from + i) % 3}` }));

describe('pending blocks', () => {
  it('stores a queue in blocks, hands out batches in order across block edges, and deletes each block once used up', async () => {
    const store = await VectorStore.open(`pending-${++n}`);
    const c = await store.createCollection({ name: 'p', modelId: 'toy', modelDims: DIMS, precisions: ['float32', 'int8', 'binary'] });
    const queue = await store.openQueue(c.id);
    // Appends of uneven sizes: blocks end where an append ends, or after PENDING_BLOCK texts.
    const sizes = [PENDING_BLOCK + 44, 1, 2 * PENDING_BLOCK + 3, 7];
    let at = 0;
    for (const size of sizes) {
      await queue.append(texts(at, size));
      at += size;
    }
    const job = await queue.finish();
    expect(job.total).toBe(at);
    const records = () => store.db.getAll('pendingBlocks');
    const blocks = await records();
    expect(blocks.map((b) => b.texts.length)).toEqual([PENDING_BLOCK, 44, 1, PENDING_BLOCK, PENDING_BLOCK, 3, 7]);
    expect(await store.pendingCount(job.id)).toBe(at);

    // Batches of 100, two read ahead as the ingest reads them, committed in order.
    const seen: string[] = [];
    let ahead = await store.nextBatch(job.id, 100);
    let next = await store.nextBatch(job.id, 100, ahead[ahead.length - 1].seq);
    while (ahead.length) {
      expect(ahead.map((p) => p.seq)).toEqual(Array.from({ length: ahead.length }, (_, i) => seen.length + i));
      expect(ahead.map((p) => p.hash)).toEqual(await Promise.all(ahead.map((p) => contentHash(p.text))));
      seen.push(...ahead.map((p) => p.text));
      const committed = await store.commitBatch(job.id, ahead, vectorsFor(ahead.length), DIMS);
      expect(await store.pendingCount(job.id)).toBe(at - committed.done);
      // Only blocks with a text still to commit are kept.
      expect((await records()).every((b) => b.last >= committed.done)).toBe(true);
      ahead = next;
      next = ahead.length ? await store.nextBatch(job.id, 100, ahead[ahead.length - 1].seq) : [];
    }
    expect(seen).toEqual(texts(0, at).map((t) => t.text));
    expect(await records()).toEqual([]);
    expect((await store.chunks(c.id, [0, 255, 256, 300, at - 1])).map((ch) => [ch.text, ch.source])).toEqual(
      [0, 255, 256, 300, at - 1].map((r) => [`text ${r}`, `src ${r % 3}`]),
    );
    store.close();
  });

  it('refuses a batch committed twice or one that skips texts, and the store stays as it was', async () => {
    const store = await VectorStore.open(`pending-${++n}`);
    const c = await store.createCollection({ name: 'p', modelId: 'toy', modelDims: DIMS, precisions: ['float32'] });
    const job = await store.enqueue(c.id, texts(0, 600));
    const first = await store.nextBatch(job.id, 300);
    const later = await store.nextBatch(job.id, 100, 399);
    expect(later[0].seq).toBe(400);
    await store.commitBatch(job.id, first, vectorsFor(300), DIMS);
    await expect(store.commitBatch(job.id, first, vectorsFor(300), DIMS)).rejects.toThrow(/already stored/);
    await expect(store.commitBatch(job.id, later, vectorsFor(100), DIMS)).rejects.toThrow(/starts at text 400 but the job has stored 300/);
    expect((await store.collection(c.id)).count).toBe(300);
    // A runner that starts again (after a reload or a crash) resumes at the first text not stored.
    expect((await store.nextBatch(job.id, 1))[0].seq).toBe(300);
    expect(await store.pendingCount()).toBe(300);
    // Cancelling drops what is left; what was committed stays.
    await store.cancelJob(job.id);
    expect(await store.pendingCount()).toBe(0);
    expect(await store.db.count('pendingBlocks')).toBe(0);
    store.close();
  });

  it('a version-1 database’s queue (one record per text) is moved into blocks and its paused job resumes where it was', async () => {
    const name = `pending-v1-${++n}`;
    // The version-1 layout, as the app wrote it before blocks: a job of 600 texts, 3 stored.
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('collections', { keyPath: 'id' });
        db.createObjectStore('chunkBlocks', { keyPath: ['collectionId', 'start'] });
        db.createObjectStore('hashBlocks', { keyPath: ['collectionId', 'start'] });
        db.createObjectStore('blocks', { keyPath: ['collectionId', 'precision', 'start'] });
        db.createObjectStore('pending', { keyPath: ['jobId', 'seq'] });
        db.createObjectStore('jobs', { keyPath: 'id' }).createIndex('byCollection', 'collectionId');
      },
    });
    const now = Date.now();
    await v1.put('collections', { id: 'c1', name: 'old', modelId: 'toy', dims: DIMS, modelDims: DIMS, precisions: ['float32'], calibration: null, count: 0, createdAt: now });
    const all = texts(0, 600);
    await v1.put('jobs', { id: 'j1', collectionId: 'c1', status: 'paused', total: 600, done: 0, cached: 0, error: null, createdAt: now, updatedAt: now });
    await v1.put('jobs', { id: 'j2', collectionId: 'c1', status: 'queuing', total: 2, done: 0, cached: 0, error: null, createdAt: now, updatedAt: now });
    const hashes = await Promise.all([...all.map((t) => contentHash(t.text)), contentHash('other 0'), contentHash('other 1')]);
    const tx = v1.transaction('pending', 'readwrite');
    for (let i = 0; i < 600; i++) void tx.store.add({ jobId: 'j1', seq: i, ...all[i], hash: hashes[i] });
    for (let i = 0; i < 2; i++) void tx.store.add({ jobId: 'j2', seq: i, text: `other ${i}`, source: 'o', hash: hashes[600 + i] });
    await tx.done;
    v1.close();

    const store = await VectorStore.open(name);
    expect(store.db.version).toBe(DB_VERSION);
    expect([...store.db.objectStoreNames]).not.toContain('pending');
    expect((await store.db.getAll('pendingBlocks')).map((b) => [b.jobId, b.first, b.last])).toEqual([
      ['j1', 0, PENDING_BLOCK - 1],
      ['j1', PENDING_BLOCK, 2 * PENDING_BLOCK - 1],
      ['j1', 2 * PENDING_BLOCK, 599],
      ['j2', 0, 1],
    ]);
    expect(await store.pendingCount('j1')).toBe(600);
    const batch = await store.nextBatch('j1', 600);
    expect(batch.map((p) => [p.seq, p.text, p.source])).toEqual(all.map((t, i) => [i, t.text, t.source]));
    await store.commitBatch('j1', batch.slice(0, 300), vectorsFor(300), DIMS);
    expect((await store.nextBatch('j1', 1))[0]).toMatchObject({ seq: 300, text: 'text 300' });
    expect((await store.nextBatch('j2', 10)).map((p) => p.text)).toEqual(['other 0', 'other 1']);
    store.close();
  });
});
