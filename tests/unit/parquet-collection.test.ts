/**
 * A page collection ⇄ Parquet over a real VectorStore (fake-indexeddb in Node): what the export
 * records comes from the collection itself, and an import is written in blocks, not row by row.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { VectorStore } from '../../src/core/store/store.ts';
import { runIngestJob } from '../../src/core/store/ingest.ts';
import { queueCorpus } from '../../src/core/corpus/collection.ts';
import { collectionToParquet, decodeBlobForImport, decodeForImport, parquetBlobToImport, decodeParquet, encodeParquet, makeMeta, ParquetFileError, parquetToImport, readMeta } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { contentHash } from '../../src/core/store/hash.ts';
import { calibrate, calibrationToJson, precisionById } from '../../src/core/precision/index.ts';
import { toyEmbed } from '../helpers/toy-embed.ts';

const pq = parquetNode();
let n = 0;
const openFresh = () => VectorStore.open(`parquet-collection-test-${++n}`);

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
    const bytes = await collectionToParquet(store, c.id);
    expect(readMeta(pq, bytes, 'toy.parquet').meta).toMatchObject({ model: 'toy', dtype: 'int8', dims: 4, precisions: ['float32', 'int8'] });
    // An import keeps the file's dtype, so exporting it again says the same.
    const other = await openFresh();
    const imported = await other.importCollection(parquetToImport(pq, bytes, 'toy.parquet').rows, { precisions: ['float32'] });
    expect(imported.dtype).toBe('int8');
    expect(readMeta(pq, await collectionToParquet(other, imported.id), 'again.parquet').meta.dtype).toBe('int8');
  });
});

describe('importing rows into the store', () => {
  const dims = 4;
  /** n rows, every 10th repeating the text (and vector) of the row before it. */
  function rowsOf(n: number, hashes?: (t: string, i: number) => string) {
    const texts = Array.from({ length: n }, (_, i) => ({ text: `text ${i % 10 === 9 ? i - 1 : i}`, source: `s${i % 3}` }));
    const float32 = new Float32Array(n * dims);
    for (let i = 0; i < n; i++) {
      const k = i % 10 === 9 ? i - 1 : i;
      const v = [Math.cos(k), Math.sin(k), ((k % 13) - 6) / 6, 1 / (k + 1)];
      const norm = Math.hypot(...v);
      float32.set(v.map((x) => x / norm), i * dims);
    }
    return { name: 'big', model: 'toy', dtype: 'fp32', modelDims: dims, dims, texts, float32, calibration: null, skipped: 0, problems: [], hashes: hashes && texts.map((t, i) => hashes(t.text, i)) };
  }

  it('writes every distinct row once, in file order, across text and vector blocks and transactions, with the page’s hashes and a calibration from the first 1,024', async () => {
    const n = 20_000;
    const rows = rowsOf(n);
    const store = await openFresh();
    const progress: number[] = [];
    // 5,000 rows a transaction: four commits, each built while the one before is written.
    const c = await store.importCollection(rows, { precisions: ['float32', 'int8'], onProgress: (done) => progress.push(done), groupRows: 5000 });
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 !== 9);
    expect(c.count).toBe(keep.length);
    expect(progress).toEqual([0, 5000, 10000, 15000, keep.length]); // 0 first: the view shows the total before the first commit
    const chunks = await store.chunks(c.id);
    expect(chunks.map((ch) => ch.text)).toEqual(keep.map((i) => `text ${i}`));
    expect(chunks.map((ch) => ch.source)).toEqual(keep.map((i) => `s${i % 3}`));
    expect(chunks.map((ch) => ch.row)).toEqual(keep.map((_, r) => r));
    for (const r of [0, 1023, 1024, 9000, keep.length - 1]) expect(chunks[r].hash).toBe(await contentHash(chunks[r].text));
    const f32 = (await store.loadVectors(c.id, 'float32')) as Float32Array;
    expect(f32).toHaveLength(keep.length * dims);
    for (const r of [0, 4999, 5000, 8191, 8192, keep.length - 1]) {
      expect(Array.from(f32.subarray(r * dims, (r + 1) * dims))).toEqual(Array.from(rows.float32.subarray(keep[r] * dims, (keep[r] + 1) * dims)).map((x) => expect.closeTo(x, 6)));
    }
    const cal = calibrate(f32.subarray(0, 1024 * dims), dims);
    expect(c.calibration).toEqual(calibrationToJson(cal));
    expect(await store.loadVectors(c.id, 'int8')).toEqual(precisionById('int8').encode(f32, dims, cal));
    // The search path reads a hit's text and hash block: row 1,500 is in the second.
    expect((await store.chunks(c.id, [1500]))[0]).toMatchObject({ row: 1500, text: `text ${keep[1500]}`, hash: await contentHash(`text ${keep[1500]}`) });
    // A later job on the collection knows every imported text (the embedding cache).
    const job = await store.enqueue(c.id, [{ text: 'text 5', source: 'x' }, { text: 'new text', source: 'x' }]);
    expect(job).toMatchObject({ total: 1, cached: 1 });
  });

  it('uses the file’s hashes when they are the page’s, and hashes the texts itself when they are not', async () => {
    const good = rowsOf(300);
    const page = await Promise.all(good.texts.map((t) => contentHash(t.text)));
    const fromFile = await (await openFresh()).importCollection({ ...good, hashes: page }, { precisions: ['float32'] });
    expect(fromFile.count).toBe(270);
    // Hashes made some other way (here: all the same) would make every row a repeat of the first.
    const store = await openFresh();
    const c = await store.importCollection({ ...good, hashes: good.texts.map(() => 'f'.repeat(32)) }, { precisions: ['float32'] });
    expect(c.count).toBe(270);
    expect((await store.chunks(c.id)).map((ch) => ch.hash)).toEqual(page.filter((_, i) => i % 10 !== 9));
  });

  it('refuses rows whose vectors do not match their texts, leaving nothing behind', async () => {
    const rows = rowsOf(10);
    const store = await openFresh();
    await expect(store.importCollection({ ...rows, float32: rows.float32.subarray(0, 9 * dims) }, { precisions: ['float32'] })).rejects.toThrow('9 vectors for 10 texts');
    expect(await store.listCollections()).toEqual([]);
  });
});

describe('reading an import: only the columns it needs, a row group at a time', () => {
  function file(n: number, dims: number, opts: { hashes?: boolean } = {}) {
    const texts = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `naïve — whale ${i} 🐋` : i % 3 === 1 ? `plain ${i}` : ''));
    const embedding = Float32Array.from({ length: n * dims }, (_, k) => Math.sin(k));
    const cols = { ids: texts.map((_, i) => `d#${i}`), texts, sources: texts.map((_, i) => `src ${i % 5} · ü`), hashes: texts.map((_, i) => i.toString(16).padStart(32, '0')), embedding, codes: {} };
    const meta = makeMeta({ model: 'toy', dtype: 'fp32', dims, modelDims: dims, precisions: ['float32'] });
    const bytes = encodeParquet(cols, meta);
    return { bytes, cols, meta, withoutHashes: opts.hashes === false };
  }

  it('gives the same columns as decoding the bytes whole, across record batches and non-ASCII text', async () => {
    const { bytes, cols } = file(66_000, 2); // more than one 65,536-row batch
    const whole = decodeParquet(pq, bytes, 'a.parquet').columns;
    const got = decodeForImport(pq, bytes, 'a.parquet');
    expect(got.texts).toEqual(cols.texts);
    expect(got.sources).toEqual(cols.sources);
    expect(got.hashes).toEqual(cols.hashes);
    expect(got.embedding).toEqual(whole.embedding);
    // From a Blob (a picked File), a row group at a time: the same columns.
    const fromBlob = await decodeBlobForImport(pq, new Blob([bytes as Uint8Array<ArrayBuffer>]), 'a.parquet');
    expect(fromBlob.texts).toEqual(cols.texts);
    expect(fromBlob.sources).toEqual(cols.sources);
    expect(fromBlob.hashes).toEqual(cols.hashes);
    expect(fromBlob.embedding).toEqual(whole.embedding);
    const imported = parquetToImport(pq, bytes, 'a.parquet');
    expect(imported.rows).toMatchObject({ name: 'a', model: 'toy', dtype: 'fp32', dims: 2 });
    expect(imported.rows.texts[3]).toEqual({ text: 'naïve — whale 3 🐋', source: 'src 3 · ü' });
  });

  it('refuses a bad file, each with its reason, damage inside the data included', async () => {
    const { bytes } = file(50, 4);
    const kinds = async (b: Uint8Array, opts?: { modelDims?: Record<string, number> }) => {
      const out: string[] = [];
      for (const read of [async () => parquetToImport(pq, b, 'x.parquet', opts), () => parquetBlobToImport(pq, new Blob([b as Uint8Array<ArrayBuffer>]), 'x.parquet', opts)]) {
        try {
          await read();
          out.push('no error');
        } catch (err) {
          out.push(err instanceof ParquetFileError ? err.problem : `other: ${err}`);
        }
      }
      return out;
    };
    // Both readers (the bytes whole, and a Blob a row group at a time) give the same reason.
    const kind = async (b: Uint8Array, opts?: { modelDims?: Record<string, number> }) => {
      const [whole, blob] = await kinds(b, opts);
      expect(blob).toBe(whole);
      return whole;
    };
    expect(await kind(bytes.subarray(0, bytes.length - 100))).toBe('truncated');
    expect(await kind(new TextEncoder().encode('{"text": "hello"}\n'))).toBe('not-parquet');
    expect(await kind(bytes, { modelDims: { toy: 9 } })).toBe('model');
    // Damage inside the data, framing intact: a decode failure, not a crash or a short import.
    const damaged = bytes.slice();
    damaged.fill(0x55, 200, 1200);
    expect(['corrupt', 'dims']).toContain(await kind(damaged));
    expect(await kind(bytes)).toBe('no error');
  });
});
