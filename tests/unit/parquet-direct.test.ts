/**
 * Reading our own files from their pages (src/core/parquet/direct.ts, snappy.ts) and joining
 * parts by copying column chunks (concat.ts): each against parquet-wasm, the library they stand
 * in for. The direct path is proven taken by handing it a parquet-wasm loader that throws.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { concatParquet, readFooter } from '../../src/core/parquet/concat.ts';
import { field, type Field, type List } from '../../src/core/parquet/thrift.ts';
import { decodeBlobForImport, decodeForImport, decodeParquet, encodeParquet, encodeVectors, makeMeta, toArrowTable, type ChunkColumns, type ParquetMeta } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { snappyDecompress } from '../../src/core/parquet/snappy.ts';

const pq = parquetNode();
const dims = 12;
const noWasm = async (): Promise<never> => {
  throw new Error('parquet-wasm was asked for');
};

function columns(n: number, from = 0): ChunkColumns {
  // Texts with 2-, 3- and 4-byte UTF-8 (the UTF-16 counting), repeats (Snappy copies), sources
  // from a few values (the dictionary page).
  const texts = Array.from({ length: n }, (_, i) => `${['naïve', 'Ishmael —', '鯨', 'whale 🐋'][(i + from) % 4]} row ${i + from} ${'sea '.repeat((i + from) % 7)}`);
  let seed = 7 + from;
  const raw = Float32Array.from({ length: n * dims }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  return {
    ids: texts.map((_, i) => `f#${i + from}`),
    texts,
    sources: texts.map((_, i) => `book ${(i + from) % 3}.txt`),
    hashes: texts.map((_, i) => (i + from).toString(16).padStart(32, '0')),
    ...encodeVectors(raw, dims, { dims, precisions: ['float32', 'binary'] }),
  };
}

const meta: ParquetMeta = makeMeta({ model: 'toy', dtype: 'fp32', dims, modelDims: dims, precisions: ['float32', 'binary'], calibration: undefined, createdBy: 'test' });
const blob = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]);

async function joined(parts: Uint8Array[], replace: Record<string, string>): Promise<Uint8Array> {
  async function* files() {
    yield* parts;
  }
  const pieces: Uint8Array[] = [];
  for await (const p of concatParquet(files(), replace)) pieces.push(p.slice());
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('direct import of our own files', () => {
  it('gives exactly the columns parquet-wasm gives, without loading it', async () => {
    const bytes = encodeParquet(columns(5000), meta);
    const direct = await decodeBlobForImport(noWasm, blob(bytes), 'a.parquet');
    const wasm = decodeForImport(pq, bytes, 'a.parquet');
    expect(direct.texts).toEqual(wasm.texts);
    expect(direct.sources).toEqual(wasm.sources);
    expect(direct.hashes).toEqual(wasm.hashes);
    expect(direct.embedding).toEqual(wasm.embedding);
    expect(direct.meta).toEqual(wasm.meta);
    expect(direct.texts[3]).toBe('whale 🐋 row 3 sea sea sea ');
  });

  it('Snappy text pages and dictionary-encoded columns (as other writers make them) are read directly too', async () => {
    const c = columns(3000);
    const snappy = pq.writeParquet(
      pq.Table.fromIPCStream(arrow.tableToIPC(toArrowTable(c, meta), 'stream')),
      new pq.WriterPropertiesBuilder()
        .setCompression(pq.Compression.SNAPPY)
        .setDictionaryEnabled(false)
        .setColumnDictionaryEnabled('text', true)
        .setKeyValueMetadata(new Map([['embedscope', JSON.stringify(meta)]]))
        .build(),
    );
    const got = await decodeBlobForImport(noWasm, blob(snappy), 's.parquet');
    expect(got.texts).toEqual(c.texts);
    expect(got.sources).toEqual(c.sources);
    expect(got.hashes).toEqual(c.hashes);
    expect(got.embedding).toEqual(c.embedding);
  });

  it('a file it does not read (zstd pages) goes to parquet-wasm, with the same result', async () => {
    const c = columns(300);
    const zstd = pq.writeParquet(
      pq.Table.fromIPCStream(arrow.tableToIPC(toArrowTable(c, meta), 'stream')),
      new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).setKeyValueMetadata(new Map([['embedscope', JSON.stringify(meta)]])).build(),
    );
    let asked = 0;
    const loader = async () => {
      asked++;
      return pq;
    };
    const got = await decodeBlobForImport(loader, blob(zstd), 'z.parquet');
    expect(asked).toBe(1);
    expect(got.texts).toEqual(c.texts);
    expect(got.embedding).toEqual(c.embedding);
    await expect(decodeBlobForImport(noWasm, blob(zstd), 'z.parquet')).rejects.toThrow('parquet-wasm was asked for');
  });

  it('a damaged page header falls back to parquet-wasm, which says the file is damaged', async () => {
    const bytes = encodeParquet(columns(2000), meta).slice();
    // Overwrite the first page header of the text column, leaving the footer whole.
    const { meta: footer } = readFooter(bytes);
    const rowGroup = (field(footer, 4)!.value as List).items[0] as Field[];
    const text = ((field(rowGroup, 1)!.value as List).items[1] as Field[]).find((f) => f.id === 3)!.value as Field[];
    const at = field(text, 9)!.value as number;
    bytes.fill(0xff, at, at + 16);
    let asked = 0;
    const loader = async () => {
      asked++;
      return pq;
    };
    await expect(decodeBlobForImport(loader, blob(bytes), 'bad.parquet')).rejects.toThrow(/bad\.parquet/);
    expect(asked).toBe(1);
  });
});

describe('joining parts by copying column chunks', () => {
  it('three parts become one file with every row, in order, read alike by parquet-wasm and the direct reader', async () => {
    const parts = [columns(1000, 0), columns(1, 1000), columns(2500, 1001)];
    const joinedMeta = { ...meta, createdBy: 'joined' };
    const bytes = await joined(
      parts.map((c) => encodeParquet(c, meta)),
      { embedscope: JSON.stringify(joinedMeta) },
    );
    const whole = decodeParquet(pq, bytes, 'j.parquet');
    expect(whole.meta.createdBy).toBe('joined');
    expect(whole.columns.ids).toEqual(parts.flatMap((c) => c.ids));
    expect(whole.columns.texts).toEqual(parts.flatMap((c) => c.texts));
    const all = new Float32Array(3501 * dims);
    parts.reduce((at, c) => (all.set(c.embedding, at), at + c.embedding.length), 0);
    expect(whole.columns.embedding).toEqual(all);
    expect(whole.columns.codes.binary).toEqual(Int8Array.from(parts.flatMap((c) => Array.from(c.codes.binary!))));
    const direct = await decodeBlobForImport(noWasm, blob(bytes), 'j.parquet');
    expect(direct.texts).toEqual(whole.columns.texts);
    expect(direct.embedding).toEqual(all);
  });

  it('refuses parts whose schemas differ', async () => {
    const other = { ...meta, precisions: ['float32'] as ParquetMeta['precisions'] };
    const c = columns(10);
    await expect(joined([encodeParquet(c, meta), encodeParquet({ ...c, codes: {} }, other)], {})).rejects.toThrow('different schemas');
  });
});

describe('snappy', () => {
  it('decodes literals, short and overlapping copies and literal lengths in extra bytes; refuses a copy from before the start', () => {
    // [varint 70] literal "abcd" (tag 3<<2), copy-1 len 4 offset 4 (tag 0b000_000_01, offset byte 4),
    // copy-2 len 60 offset 2 (overlapping), literal of 2 bytes.
    const src = new Uint8Array([70, 3 << 2, 97, 98, 99, 100, 0b00000001, 4, (59 << 2) | 2, 2, 0, 1 << 2, 120, 121]);
    const out = new Uint8Array(70);
    snappyDecompress(src, out);
    const expected = 'abcdabcd' + 'cd'.repeat(30) + 'xy';
    expect(new TextDecoder().decode(out)).toBe(expected);
    // A 300-byte literal: its length − 1 in two extra bytes (tag 61).
    const long = new Uint8Array(300).map((_, i) => i & 0xff);
    const src2 = new Uint8Array([0xac, 0x02, 61 << 2, 299 & 0xff, 299 >> 8, ...long]);
    const out2 = new Uint8Array(300);
    snappyDecompress(src2, out2);
    expect(out2).toEqual(long);
    expect(() => snappyDecompress(new Uint8Array([4, 0b00000001, 9]), new Uint8Array(4))).toThrow('snappy');
  });
});
