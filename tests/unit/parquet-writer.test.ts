/**
 * Our Parquet writer (src/core/parquet/writer.ts) writes the same format parquet-wasm wrote: files
 * read back by parquet-wasm (arrow-rs) and by DuckDB give every column and the metadata exactly,
 * with the same Arrow schema (FixedSizeList vectors) and the same Parquet schema bytes (so parts
 * of either writer join, concat.ts). Odd dims (7; 100 with 13-byte binary; 1), empty strings,
 * 2/3/4-byte UTF-8 in short and long strings, a 1-row file, several pages and row groups, a
 * `source` with too many values for a dictionary, and a writer reused from file to file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { concatParquet, readFooter } from '../../src/core/parquet/concat.ts';
import {
  ParquetWriter,
  decodeBlobForImport,
  decodeParquet,
  encodeParquet,
  encodeParquetWasm,
  makeMeta,
  readMeta,
  rowGroupRows,
  type ChunkColumns,
  type ParquetMeta,
} from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { field, type List } from '../../src/core/parquet/thrift.ts';
import type { PrecisionId } from '../../src/core/precision/types.ts';

const pq = parquetNode();
const dir = mkdtempSync(join(tmpdir(), 'embedscope-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXTS = ['', 'naïve café', 'Ishmael — “Call me”', '鯨', 'whale 🐋', 'a', `${'long sentence of the sea '.repeat(4)}é`, `é${'x'.repeat(60)}`, '🐋🐋'];

function columns(n: number, dims: number, precisions: PrecisionId[], opts: { from?: number; sources?: (i: number) => string } = {}): ChunkColumns {
  const from = opts.from ?? 0;
  const texts = Array.from({ length: n }, (_, i) => (i + from < TEXTS.length ? TEXTS[i + from] : `${TEXTS[(i + from) % TEXTS.length]} row ${i + from}`));
  let seed = 11 + from;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const width = Math.ceil(dims / 8);
  const codes: ChunkColumns['codes'] = {};
  if (precisions.includes('int8')) codes.int8 = Int8Array.from({ length: n * dims }, () => Math.floor(rnd() * 256) - 128);
  if (precisions.includes('uint8')) codes.uint8 = Uint8Array.from({ length: n * dims }, () => Math.floor(rnd() * 256));
  if (precisions.includes('binary')) codes.binary = Int8Array.from({ length: n * width }, () => Math.floor(rnd() * 256) - 128);
  if (precisions.includes('ubinary')) codes.ubinary = Uint8Array.from({ length: n * width }, () => Math.floor(rnd() * 256));
  return {
    ids: texts.map((_, i) => (i + from === 2 ? '' : `book.txt#${i + from}.${i % 3}`)),
    texts,
    sources: texts.map((_, i) => opts.sources?.(i + from) ?? (i + from < 3 ? 'moby · “1”' : `book ${(i + from) % 4}.txt`)),
    hashes: texts.map((_, i) => (i + from).toString(16).padStart(32, '0')),
    embedding: Float32Array.from({ length: n * dims }, () => rnd() * 2 - 1),
    codes,
  };
}

function metaOf(dims: number, precisions: PrecisionId[]): ParquetMeta {
  const calibration = { min: new Array(dims).fill(-1), max: new Array(dims).fill(1) };
  return makeMeta({ model: 'toy', dtype: 'fp32', dims, precisions, calibration, chunking: { mode: 'sentence', maxTokens: 256, overlap: 0 }, createdBy: 'test' });
}

/** Typed arrays compared as bytes (vitest's toEqual walks millions of elements slowly). */
function expectSameBytes(got: ArrayBufferView | undefined, want: ArrayBufferView | undefined) {
  expect(got?.constructor).toBe(want?.constructor);
  if (!got || !want) return;
  expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
}

/** What parquet-wasm (arrow-rs) reads back, and the Arrow schema it reads, are what was written. */
function expectReadBack(bytes: Uint8Array, c: ChunkColumns, meta: ParquetMeta) {
  const got = decodeParquet(pq, bytes, 'w.parquet');
  expect(got.meta).toEqual(meta);
  expect(got.columns.ids).toEqual(c.ids);
  expect(got.columns.texts).toEqual(c.texts);
  expect(got.columns.sources).toEqual(c.sources);
  expect(got.columns.hashes).toEqual(c.hashes);
  expectSameBytes(got.columns.embedding, c.embedding);
  for (const p of ['int8', 'uint8', 'binary', 'ubinary'] as const) expectSameBytes(got.columns.codes[p], c.codes[p]);
}

const schemaOf = (bytes: Uint8Array) =>
  readMeta(pq, bytes, 'x.parquet')
    .schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)
    .join(' ');

describe('our Parquet writer', () => {
  const shapes: [number, PrecisionId[]][] = [
    [7, ['float32', 'int8', 'binary']],
    [100, ['float32', 'uint8', 'ubinary']],
    [1, ['float32', 'int8', 'ubinary']],
    [16, ['float32']],
  ];
  for (const [dims, precisions] of shapes) {
    it(`${dims} dims, ${precisions.join(' + ')}: parquet-wasm reads back every column and the metadata, with parquet-wasm's own schemas`, () => {
      const meta = metaOf(dims, precisions);
      for (const n of [1, TEXTS.length, 1500]) {
        const c = columns(n, dims, precisions);
        const bytes = encodeParquet(c, meta);
        expectReadBack(bytes, c, meta);
        const reference = encodeParquetWasm(pq, c, meta);
        expect(schemaOf(bytes)).toBe(schemaOf(reference));
        expect(readFooter(bytes).schema).toEqual(readFooter(reference).schema);
      }
    });
  }

  it('DuckDB reads every column exactly, and the embedscope metadata (7 dims int8 + binary, 40 rows; 100 dims uint8 + ubinary, 1 row)', async () => {
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const items = (v: unknown) => (v as { items: number[] }).items;
    const blobBytes = (v: unknown) => Array.from((v as { bytes: Uint8Array }).bytes);
    for (const [dims, signed, n] of [
      [7, true, 40],
      [100, false, 1],
    ] as const) {
      const precisions: PrecisionId[] = signed ? ['float32', 'int8', 'binary'] : ['float32', 'uint8', 'ubinary'];
      const [codes, bin] = signed ? (['embedding_int8', 'embedding_binary'] as const) : (['embedding_uint8', 'embedding_ubinary'] as const);
      const meta = metaOf(dims, precisions);
      const c = columns(n, dims, precisions);
      const file = join(dir, `duck-${dims}.parquet`);
      writeFileSync(file, encodeParquet(c, meta));
      const described = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRows().map((r) => `${r[0]}:${r[1]}`);
      expect(described).toEqual(['id:VARCHAR', 'text:VARCHAR', 'source:VARCHAR', 'content_hash:VARCHAR', 'embedding:FLOAT[]', `${codes}:${signed ? 'TINYINT' : 'UTINYINT'}[]`, `${bin}:BLOB`]);
      const rows = (await con.runAndReadAll(`SELECT id, text, source, content_hash, embedding, ${codes}, ${bin} FROM read_parquet('${file}')`)).getRows();
      expect(rows.map((r) => r[0])).toEqual(c.ids);
      expect(rows.map((r) => r[1])).toEqual(c.texts);
      expect(rows.map((r) => r[2])).toEqual(c.sources);
      expect(rows.map((r) => r[3])).toEqual(c.hashes);
      expectSameBytes(Float32Array.from(rows.flatMap((r) => items(r[4]))), c.embedding);
      if (signed) expectSameBytes(Int8Array.from(rows.flatMap((r) => items(r[5]))), c.codes.int8);
      else expectSameBytes(Uint8Array.from(rows.flatMap((r) => items(r[5]))), c.codes.uint8);
      // The file keeps binary as raw bits; the page's binary codes are bits − 128.
      const bits = signed ? Uint8Array.from(c.codes.binary!, (x) => (x & 0xff) ^ 0x80) : c.codes.ubinary!;
      expect(rows.every((r) => blobBytes(r[6]).length === Math.ceil(dims / 8))).toBe(true);
      expectSameBytes(Uint8Array.from(rows.flatMap((r) => blobBytes(r[6]))), bits);
      const kv = (await con.runAndReadAll(`SELECT value FROM parquet_kv_metadata('${file}') WHERE key = 'embedscope'`)).getRows();
      expect(JSON.parse(new TextDecoder().decode((kv[0][0] as { bytes: Uint8Array }).bytes))).toEqual(meta);
    }
    con.closeSync();
  });

  it('several pages and row groups, read alike by parquet-wasm and the direct reader', async () => {
    const dims = 100;
    const meta = metaOf(dims, ['float32', 'int8', 'binary']);
    const n = rowGroupRows(dims) + 3000;
    const c = columns(n, dims, ['float32', 'int8', 'binary']);
    const bytes = encodeParquet(c, meta);
    const groups = (field(readFooter(bytes).meta, 4)!.value as List).items;
    expect(groups.length).toBe(2);
    expectReadBack(bytes, c, meta);
    const direct = await decodeBlobForImport(
      async () => {
        throw new Error('parquet-wasm was asked for');
      },
      new Blob([bytes as Uint8Array<ArrayBuffer>]),
      'w.parquet',
    );
    expect(direct.texts).toEqual(c.texts);
    expect(direct.sources).toEqual(c.sources);
    expectSameBytes(direct.embedding, c.embedding);
  });

  it('a source with more values than a dictionary takes is written PLAIN, and reads back', () => {
    const meta = metaOf(7, ['float32']);
    const c = columns(5000, 7, ['float32'], { sources: (i) => `moby.txt · line ${i}` });
    expectReadBack(encodeParquet(c, meta), c, meta);
  });

  it('rows added in batches give the bytes one call gives; a writer reused for the next file starts empty', () => {
    const meta = metaOf(7, ['float32', 'int8', 'binary']);
    const w = new ParquetWriter(meta);
    for (const round of [0, 1]) {
      const batches = [columns(3, 7, meta.precisions, { from: round * 1000 }), columns(1, 7, meta.precisions, { from: round * 1000 + 3 }), columns(700, 7, meta.precisions, { from: round * 1000 + 4 })];
      for (const b of batches) w.add(b);
      const whole: ChunkColumns = {
        ids: batches.flatMap((b) => b.ids),
        texts: batches.flatMap((b) => b.texts),
        sources: batches.flatMap((b) => b.sources),
        hashes: batches.flatMap((b) => b.hashes),
        embedding: Float32Array.from(batches.flatMap((b) => Array.from(b.embedding))),
        codes: { int8: Int8Array.from(batches.flatMap((b) => Array.from(b.codes.int8!))), binary: Int8Array.from(batches.flatMap((b) => Array.from(b.codes.binary!))) },
      };
      expect(w.rows).toBe(704);
      const bytes = w.finish();
      expect(w.rows).toBe(0);
      expect(bytes).toEqual(encodeParquet(whole, meta));
      expectReadBack(bytes, whole, meta);
    }
  });

  it('its parts and parquet-wasm’s join into one file (a run resumed across versions)', async () => {
    const meta = metaOf(7, ['float32', 'int8', 'binary']);
    const a = columns(300, 7, meta.precisions);
    const b = columns(200, 7, meta.precisions, { from: 300 });
    async function* files() {
      yield encodeParquetWasm(pq, a, meta);
      yield encodeParquet(b, meta);
    }
    const pieces: Uint8Array[] = [];
    for await (const p of concatParquet(files(), {})) pieces.push(p.slice());
    const joined = new Uint8Array(await new Blob(pieces as Uint8Array<ArrayBuffer>[]).arrayBuffer());
    const got = decodeParquet(pq, joined, 'j.parquet');
    expect(got.columns.ids).toEqual([...a.ids, ...b.ids]);
    expect(got.columns.texts).toEqual([...a.texts, ...b.texts]);
    expect(got.columns.embedding).toEqual(Float32Array.from([...a.embedding, ...b.embedding]));
    expect(got.columns.codes.int8).toEqual(Int8Array.from([...a.codes.int8!, ...b.codes.int8!]));
  });

  it('refuses columns that do not match the metadata', () => {
    const meta = metaOf(7, ['float32', 'int8']);
    const c = columns(3, 7, ['float32', 'int8']);
    expect(() => encodeParquet({ ...c, codes: {} }, meta)).toThrow('no int8 codes');
    expect(() => encodeParquet({ ...c, embedding: c.embedding.subarray(1) }, meta)).toThrow('3 rows × 7 dims');
    expect(() => encodeParquet({ ...c, texts: c.texts.slice(1) }, meta)).toThrow('one value per row');
  });
});
