/**
 * A new collection's queueing and cleanup, export/import detection and the dims-conflict check
 * (src/core/corpus/collection.ts) over a real VectorStore; IndexedDB is fake-indexeddb's in Node.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { VectorStore, type ChunkInput } from '../../src/core/store/store.ts';
import { runIngestJob } from '../../src/core/store/ingest.ts';
import { dimsConflicts, exportCollection, importCollection, modelToGrow, queueCorpus, readImport, storedDimsConflicts, type ImportFile } from '../../src/core/corpus/collection.ts';
import type { FileOutcome } from '../../src/core/corpus/read.ts';
import type { ImportedRows } from '../../src/core/store/transfer.ts';
import { toyEmbed } from '../helpers/toy-embed.ts';

let n = 0;
const openFresh = () => VectorStore.open(`collection-test-${++n}`);
const model = { id: 'toy', dims: 4 };
const chunks = (count: number): ChunkInput[] => Array.from({ length: count }, (_, i) => ({ text: `sentence ${i}`, source: `f.txt · ${i + 1}` }));
const outcome = (error: string | null, bytes = 10): FileOutcome => ({ report: { bytes, bytesRead: bytes } as FileOutcome['report'], chunks: 0, error });
const file = (name: string, content: Uint8Array | string): ImportFile => {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return { name, text: async () => new TextDecoder().decode(bytes), arrayBuffer: async () => bytes.slice().buffer };
};

describe('queueCorpus', () => {
  it('queues a stream in groups and reports progress per group', async () => {
    const store = await openFresh();
    async function* stream() {
      yield* chunks(25);
    }
    const progress: number[] = [];
    const r = await queueCorpus(store, { name: 'c', model, precisions: ['float32'], items: stream(), groupSize: 10, onProgress: (p) => progress.push(p.chunks) });
    expect(r.job).not.toBeNull();
    expect(progress).toEqual([10, 20, 25]);
    expect(r.job!.total).toBe(25);
    expect(r.job!.status).not.toBe('queuing');
    expect((await store.listCollections()).map((c) => c.name)).toEqual(['c']);
  });

  it('removes the new collection and says why when nothing could be queued; others are untouched', async () => {
    const store = await openFresh();
    const kept = await queueCorpus(store, { name: 'kept', model, precisions: ['float32'], items: chunks(3) });
    const r = await queueCorpus(store, { name: 'empty', model, precisions: ['float32'], items: [], outcomes: [outcome('a.bin: not text'), outcome(null)] });
    expect(r).toEqual({ job: null, error: 'Nothing to embed: a.bin: not text' });
    const empty = await queueCorpus(store, { name: 'empty2', model, precisions: ['float32'], items: [] });
    expect(empty.job).toBeNull();
    expect(!empty.job && empty.error).toBe('Nothing to embed: the chosen source has no text.');
    expect((await store.listCollections()).map((c) => c.id)).toEqual([kept.job && kept.collection.id]);
  });

  it('removes the half-made collection when reading fails midway, and rethrows', async () => {
    const store = await openFresh();
    async function* failing() {
      yield* chunks(5);
      throw new Error('the disk went away');
    }
    await expect(queueCorpus(store, { name: 'broken', model, precisions: ['float32'], items: failing(), groupSize: 2 })).rejects.toThrow('the disk went away');
    expect(await store.listCollections()).toEqual([]);
    expect(await store.jobs()).toEqual([]);
  });

  it('refuses Matryoshka dims above the model and stores nothing', async () => {
    const store = await openFresh();
    await expect(queueCorpus(store, { name: 'wide', model, dims: 8, precisions: ['float32'], items: chunks(2) })).rejects.toThrow(/cannot keep 8 dims/);
    expect(await store.listCollections()).toEqual([]);
  });
});

describe('export and import', () => {
  async function embedded(store: VectorStore, precisions: ('float32' | 'int8' | 'binary')[]) {
    const r = await queueCorpus(store, { name: 'Toy corpus', model, precisions, items: chunks(6) });
    if (!r.job) throw new Error(r.error);
    await runIngestJob({ store, jobId: r.job.id, embed: toyEmbed, batchSize: 4 });
    return r.collection;
  }

  it('JSONL round trip: the same texts and float32 vectors come back', async () => {
    const store = await openFresh();
    const c = await embedded(store, ['float32', 'int8']);
    const files = await exportCollection(store, c.id, 'jsonl');
    expect(Object.keys(files)).toEqual(['Toy_corpus.jsonl']);
    const other = await openFresh();
    const { collection, notice } = await importCollection(other, [file('Toy_corpus.jsonl', files['Toy_corpus.jsonl'])], { modelId: 'toy', modelDims: 4, precisions: ['float32'] });
    expect(notice).toBe('Imported 6 vectors into "Toy_corpus".');
    expect(collection.modelId).toBe('toy');
    expect(await other.loadVectors(collection.id, 'float32')).toEqual(await store.loadVectors(c.id, 'float32'));
    expect((await other.chunks(collection.id)).map((ch) => ch.text)).toEqual(chunks(6).map((ch) => ch.text));
  });

  it('NumPy bundle: detected by its manifest whatever the prefix, every kept precision exported', async () => {
    const store = await openFresh();
    const c = await embedded(store, ['float32', 'int8', 'binary']);
    const files = await exportCollection(store, c.id, 'npy');
    expect(Object.keys(files).sort()).toEqual(['Toy_corpus.binary.npy', 'Toy_corpus.float32.npy', 'Toy_corpus.int8.npy', 'Toy_corpus.manifest.json', 'Toy_corpus.texts.jsonl'].sort());
    const picked = Object.entries(files).map(([name, content]) => file(name, content));
    const rows = await readImport(picked);
    expect(rows.model).toBe('toy');
    expect(rows.texts).toHaveLength(6);
    // The manifest names the model, so a loaded model of other dims does not block it.
    const { collection } = await importCollection(await openFresh(), picked, { modelId: 'other', modelDims: 9, precisions: ['float32', 'binary'] });
    expect(collection.modelId).toBe('toy');
  });

  it('NumPy bundle whose calibration does not fit its vectors: refused before anything is stored', async () => {
    const store = await openFresh();
    const c = await embedded(store, ['float32', 'int8']);
    const files = await exportCollection(store, c.id, 'npy');
    const raw = files['Toy_corpus.manifest.json'];
    const manifest = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
    expect(manifest.calibration.max).toHaveLength(4);
    const broken = { ...files, 'Toy_corpus.manifest.json': JSON.stringify({ ...manifest, calibration: { ...manifest.calibration, max: manifest.calibration.max.slice(0, 2) } }) };
    const other = await openFresh();
    await expect(importCollection(other, Object.entries(broken).map(([name, content]) => file(name, content)), { modelId: 'toy', modelDims: 4, precisions: ['float32', 'int8'] })).rejects.toThrow(
      "the calibration's max has 2 dims, the vectors 4",
    );
    expect(await other.listCollections()).toEqual([]);
  });

  it('JSONL export refuses a collection without float32', async () => {
    const store = await openFresh();
    const c = await embedded(store, ['int8']);
    await expect(exportCollection(store, c.id, 'jsonl')).rejects.toThrow(/keeps only int8: use the NumPy export/);
  });

  it('refuses what is not one JSONL or a bundle, and vectors of other dims than the loaded model', async () => {
    await expect(readImport([file('a.jsonl', ''), file('b.jsonl', '')])).rejects.toThrow(/Pick one \.jsonl file/);
    await expect(readImport([file('x.texts.jsonl', '{"text":"a"}')])).rejects.toThrow(/Pick one \.jsonl file/);
    const line = JSON.stringify({ text: 'a', vector: [1, 0, 0] }) + '\n';
    const store = await openFresh();
    await expect(importCollection(store, [file('v.jsonl', line)], { modelId: 'toy', modelDims: 4, precisions: ['float32'] })).rejects.toThrow(
      /these vectors have 3 dims but toy gives 4-dim vectors/,
    );
    expect(await store.listCollections()).toEqual([]);
    // Not loaded: nothing to check the dims against, so it is kept under the chosen id.
    const { collection } = await importCollection(store, [file('v.jsonl', line)], { modelId: 'toy', precisions: ['float32'] });
    expect([collection.modelId, collection.dims]).toEqual(['toy', 3]);
  });
});

describe('import progress and cancel', () => {
  const rows = (count: number): ImportedRows => ({
    name: 'Big',
    model: 'toy',
    dtype: 'fp32',
    modelDims: 4,
    dims: 4,
    texts: chunks(count),
    float32: Float32Array.from({ length: count * 4 }, (_, i) => Math.sin(i)),
    calibration: null,
    skipped: 0,
    problems: [],
  });

  it('reports rows stored of the total at 0 and after each transaction', async () => {
    const store = await openFresh();
    const seen: string[] = [];
    const { collection } = await importCollection(store, [], { precisions: ['float32'], rows: rows(10), groupRows: 4, onProgress: (d, t) => seen.push(`${d}/${t}`) });
    expect(seen).toEqual(['0/10', '4/10', '8/10', '10/10']);
    expect(collection.count).toBe(10);
  });

  it('cancelled after its first transaction: rejects, and nothing of it stays', async () => {
    const store = await openFresh();
    const controller = new AbortController();
    const seen: number[] = [];
    const onProgress = (done: number) => {
      seen.push(done);
      if (done > 0) controller.abort();
    };
    await expect(importCollection(store, [], { precisions: ['float32'], rows: rows(10), groupRows: 4, onProgress, signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(seen).toContain(4);
    expect(seen).not.toContain(10);
    expect(await store.listCollections()).toEqual([]);
  });

  it('cancelled before it starts: nothing is created', async () => {
    const store = await openFresh();
    const controller = new AbortController();
    controller.abort();
    await expect(importCollection(store, [], { precisions: ['float32'], rows: rows(3), signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(await store.listCollections()).toEqual([]);
  });
});

describe('which loaded model may add rows (dtype)', () => {
  const c = (dtype: string | null | undefined) => ({ name: 'Moby', modelId: 'use-lite', dtype });
  const fp32 = { key: 'a', id: 'use-lite', dtype: 'fp32' };
  const int8 = { key: 'b', id: 'use-lite', dtype: 'int8' };

  it('refuses a same-id model of another dtype, naming both and what to load', () => {
    expect(modelToGrow(c('int8'), [fp32])).toEqual({
      error: '"Moby" was embedded by use-lite int8; the loaded use-lite runs fp32, whose vectors differ, so it cannot add rows to it. Load use-lite as int8 to resume; nothing was changed.',
    });
  });

  it("picks the collection's dtype when several of one id are loaded, whatever their order", () => {
    expect(modelToGrow(c('int8'), [fp32, int8])).toEqual({ model: int8 });
    expect(modelToGrow(c('fp32'), [int8, fp32])).toEqual({ model: fp32 });
  });

  it('legacy collections (dtype not kept, or a file that said "unknown") take any dtype of the id', () => {
    for (const dtype of [undefined, null, 'unknown']) expect(modelToGrow(c(dtype), [int8])).toEqual({ model: int8 });
  });

  it('no model of that id: says which to load', () => {
    expect(modelToGrow(c('int8'), [{ key: 'g', id: 'glove-100d', dtype: 'fp32' }])).toEqual({ error: 'Load use-lite to resume embedding "Moby".' });
  });

  it('a collection queued by int8 keeps its dtype, so fp32 is refused for its job, which stays whole', async () => {
    const store = await openFresh();
    const r = await queueCorpus(store, { name: 'Moby', model: { id: 'use-lite', dims: 4, dtype: 'int8' }, precisions: ['float32'], items: chunks(5) });
    if (!r.job) throw new Error(r.error);
    const stored = await store.collection(r.collection.id);
    expect(stored.dtype).toBe('int8');
    expect('error' in modelToGrow(stored, [fp32])).toBe(true);
    expect((await store.collection(r.collection.id)).count).toBe(0);
    expect((await store.job(r.job.id))?.total).toBe(5); // the queue is kept for the right model
  });
});

describe('dims conflicts', () => {
  const stored = [
    { name: 'A', modelId: 'm', modelDims: 384 },
    { name: 'B', modelId: 'm', modelDims: 256 },
    { name: 'C', modelId: 'other', modelDims: 3 },
  ];
  it('names each collection of the same model id at other dims', () => {
    expect(dimsConflicts(stored, { id: 'm', dims: 384 })).toEqual([
      'Collection "B" was embedded by m at 256 dims; this model gives 384, so it cannot search or add to it. Load the model it was made with, or make a new collection.',
    ]);
    expect(dimsConflicts(stored, { id: 'other', dims: 3 })).toEqual([]);
    expect(dimsConflicts(stored, { id: 'new', dims: 7 })).toEqual([]);
  });
  it('reads the stored collections of this browser', async () => {
    const store = await VectorStore.open();
    await queueCorpus(store, { name: 'Stored', model, precisions: ['float32'], items: chunks(1) });
    store.close();
    expect(await storedDimsConflicts({ id: 'toy', dims: 8 })).toHaveLength(1);
    expect(await storedDimsConflicts({ id: 'toy', dims: 4 })).toEqual([]);
  });
});
