import { describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { calibrate, precisions } from '../../src/core/precision/index.ts';
import {
  decodeParquet,
  encodeParquet,
  encodeVectors,
  makeMeta,
  mergeParquet,
  META_KEY,
  ParquetFileError,
  checkImportSize,
  parquetToImport,
  readHashes,
  readMeta,
  type ChunkColumns,
  type ParquetProblem,
} from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { pseudoRandomRows } from '../helpers/random.ts';

const pq = parquetNode();

const randomRows = (n: number, dims: number, seed = 1) => pseudoRandomRows(n, dims, seed);

function columns(n: number, dims: number, modelDims = dims) {
  const raw = randomRows(n, modelDims);
  const calibration = calibrate(randomRows(64, dims, 7), dims);
  const enc = encodeVectors(raw, modelDims, { dims, precisions: ['float32', 'int8', 'binary', 'ubinary'], calibration });
  const cols: ChunkColumns = {
    ids: Array.from({ length: n }, (_, i) => `doc.txt#${i}`),
    texts: Array.from({ length: n }, (_, i) => `sentence ${i}`),
    sources: Array.from({ length: n }, () => 'doc.txt'),
    hashes: Array.from({ length: n }, (_, i) => i.toString(16).padStart(32, '0')),
    ...enc,
  };
  const meta = makeMeta({ model: 'glove-100d', dtype: 'int8', dims, modelDims, precisions: ['int8', 'binary', 'ubinary'], calibration });
  return { cols, meta, raw, calibration };
}

/** A Parquet file written straight from an Arrow table (to make files Embedscope would not write). */
function rawParquet(columns: Record<string, arrow.Vector>, metaJson?: string): Uint8Array {
  let props = new pq.WriterPropertiesBuilder();
  if (metaJson !== undefined) props = props.setKeyValueMetadata(new Map([[META_KEY, metaJson]]));
  return pq.writeParquet(pq.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(columns), 'stream')), props.build());
}

function problemOf(f: () => unknown): ParquetProblem | string {
  try {
    f();
  } catch (err) {
    if (err instanceof ParquetFileError) return err.problem;
    return `not a ParquetFileError: ${err}`;
  }
  return 'no error';
}

describe('Parquet exchange format', () => {
  it('round-trips every column and the metadata, vectors bit for bit as the page encodes them', () => {
    const { cols, meta, raw, calibration } = columns(300, 64, 100);
    const bytes = encodeParquet(cols, meta);
    const back = decodeParquet(pq, bytes, 'x.parquet', { model: 'glove-100d', dims: 64 });
    expect(back.meta).toEqual(meta);
    expect(back.meta.calibration!.min).toEqual(Array.from(calibration.min));
    expect(back.columns.ids).toEqual(cols.ids);
    expect(back.columns.texts).toEqual(cols.texts);
    expect(back.columns.hashes).toEqual(cols.hashes);
    // float32 = the page's Matryoshka truncation + L2 normalisation
    const truncated = new Float32Array(300 * 64);
    for (let r = 0; r < 300; r++) truncated.set(raw.subarray(r * 100, r * 100 + 64), r * 64);
    expect(back.columns.embedding).toEqual(precisions.float32.encode(truncated, 64));
    expect(back.columns.codes.int8).toEqual(precisions.int8.encode(back.columns.embedding, 64, calibration));
    expect(back.columns.codes.binary).toEqual(precisions.binary.encode(back.columns.embedding, 64));
    expect(back.columns.codes.ubinary).toEqual(precisions.ubinary.encode(back.columns.embedding, 64));
    // The file keeps raw bits for both binary forms (numpy.packbits), the page's signed form is − 128.
    const { schema } = readMeta(pq, bytes, 'x.parquet');
    expect(schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'id:Utf8',
      'text:Utf8',
      'source:Utf8',
      'content_hash:Utf8',
      'embedding:FixedSizeList[64]<Float32>',
      'embedding_int8:FixedSizeList[64]<Int8>',
      'embedding_binary:FixedSizeBinary[8]',
      'embedding_ubinary:FixedSizeBinary[8]',
    ]);
    expect(readHashes(pq, bytes, 'x.parquet').hashes).toEqual(cols.hashes);
  });

  it('merges parts into one file as a stream, and refuses a part from another model', async () => {
    const a = columns(50, 16);
    const b = columns(20, 16);
    const parts = [encodeParquet(a.cols, a.meta), encodeParquet(b.cols, a.meta)];
    async function* gen(list: Uint8Array[]) {
      for (const [i, bytes] of list.entries()) yield { name: `part-${i}`, bytes };
    }
    const merged = new Uint8Array(await new Response(await mergeParquet(pq, gen(parts), a.meta)).arrayBuffer());
    const back = decodeParquet(pq, merged, 'merged.parquet');
    expect(back.columns.ids.length).toBe(70);
    expect(back.meta).toEqual(a.meta);
    expect(back.columns.embedding.subarray(50 * 16)).toEqual(b.cols.embedding);
    const other = encodeParquet(b.cols, { ...a.meta, model: 'use-lite' });
    await expect(new Response(await mergeParquet(pq, gen([parts[0], other]), a.meta)).arrayBuffer()).rejects.toThrow(/made by use-lite, not glove-100d/);
  });

  it('says what is wrong with a bad file, each with its own kind', () => {
    const { cols, meta } = columns(40, 8);
    const good = encodeParquet(cols, meta);
    const json = JSON.stringify(meta);
    const text = arrow.vectorFromArray(cols.texts, new arrow.Utf8());
    const list = (values: Float32Array | Float64Array, dims: number, type: arrow.Float32 | arrow.Float64) =>
      arrow.makeVector(
        arrow.makeData({
          type: new arrow.FixedSizeList(dims, new arrow.Field('item', type, false)),
          length: values.length / dims,
          nullCount: 0,
          child: arrow.makeData({ type, length: values.length, nullCount: 0, data: values }),
        }),
      );

    expect(problemOf(() => decodeParquet(pq, good.subarray(0, good.length - 200), 'cut.parquet'))).toBe('truncated');
    expect(() => decodeParquet(pq, good.subarray(0, good.length - 200), 'cut.parquet')).toThrow(/cut\.parquet: is cut off: it starts as Parquet but its [\d,]+ bytes end before the footer/);
    expect(problemOf(() => decodeParquet(pq, new TextEncoder().encode('{"text": "not parquet"}'), 'a.jsonl'))).toBe('not-parquet');
    // Right framing, garbage inside.
    const garbled = good.slice();
    garbled.fill(7, garbled.length - 300, garbled.length - 8);
    expect(problemOf(() => decodeParquet(pq, garbled, 'garbled.parquet'))).toBe('corrupt');
    expect(problemOf(() => decodeParquet(pq, rawParquet({ text }, json), 'noemb.parquet'))).toBe('no-embedding');
    expect(() => decodeParquet(pq, rawParquet({ text }, json), 'noemb.parquet')).toThrow('noemb.parquet: has no "embedding" column (its columns: text)');
    expect(problemOf(() => decodeParquet(pq, rawParquet({ text, embedding: list(cols.embedding, 8, new arrow.Float32()) }), 'nometa.parquet'))).toBe('no-metadata');
    // Metadata that names no precisions, or a model smaller than its vectors: refused by name, not a TypeError later.
    const embedding = list(cols.embedding, 8, new arrow.Float32());
    expect(() => decodeParquet(pq, rawParquet({ text, embedding }, JSON.stringify({ ...meta, precisions: undefined })), 'noprec.parquet')).toThrow('noprec.parquet: its "embedscope" metadata names no known precisions');
    expect(() => decodeParquet(pq, rawParquet({ text, embedding }, JSON.stringify({ ...meta, modelDims: 4 })), 'small.parquet')).toThrow('small.parquet: its "embedscope" metadata says the model has 4 dims, fewer than its 8-dim vectors');
    // A well-formed file keeps its modelDims.
    expect(decodeParquet(pq, encodeParquet(cols, meta), 'ok.parquet').meta.modelDims).toBe(8);
    const f64 = Float64Array.from(cols.embedding);
    expect(() => decodeParquet(pq, rawParquet({ text, embedding: list(f64, 8, new arrow.Float64()) }, json), 'f64.parquet')).toThrow(
      'f64.parquet: its "embedding" column is FixedSizeList[8]<Float64>, not a list of float32',
    );
    const meta4 = JSON.stringify({ ...meta, dims: 4, calibration: null, precisions: ['float32'] });
    expect(() => decodeParquet(pq, rawParquet({ text, embedding: list(cols.embedding, 8, new arrow.Float32()) }, meta4), 'dims.parquet')).toThrow(
      'dims.parquet: its "embedding" column has 8 dims, its metadata says 4',
    );
    expect(() => decodeParquet(pq, good, 'good.parquet', { model: 'use-lite' })).toThrow(
      'good.parquet: its vectors were made by glove-100d, not use-lite: vectors of different models are not comparable (load glove-100d to search it)',
    );
    expect(problemOf(() => decodeParquet(pq, good, 'good.parquet', { dtype: 'fp32' }))).toBe('dtype');
    expect(problemOf(() => decodeParquet(pq, good, 'good.parquet', { dims: 100 }))).toBe('dims');
    // A LIST<float> column (what DuckDB's COPY writes) is read when every row has the file's dims.
    const listType = new arrow.List(new arrow.Field('item', new arrow.Float32(), false));
    const offsets = Int32Array.from({ length: 41 }, (_, i) => i * 8);
    offsets[40] = 40 * 8 - 1; // the last row is one value short
    const ragged = arrow.makeVector(
      arrow.makeData({ type: listType, length: 40, nullCount: 0, valueOffsets: offsets, child: arrow.makeData({ type: new arrow.Float32(), length: 319, nullCount: 0, data: cols.embedding.subarray(0, 319) }) }),
    );
    const strs = (xs: string[]) => arrow.vectorFromArray(xs, new arrow.Utf8());
    const base = { id: strs(cols.ids), text, source: strs(cols.sources), content_hash: strs(cols.hashes) };
    const meta8 = JSON.stringify({ ...meta, calibration: null, precisions: ['float32'] });
    expect(() => decodeParquet(pq, rawParquet({ ...base, embedding: ragged }, meta8), 'ragged.parquet')).toThrow(
      'ragged.parquet: row 39 of its "embedding" column has 7 values, the file\'s dims are 8',
    );
    offsets[40] = 320;
    const even = arrow.makeVector(
      arrow.makeData({ type: listType, length: 40, nullCount: 0, valueOffsets: offsets, child: arrow.makeData({ type: new arrow.Float32(), length: 320, nullCount: 0, data: cols.embedding }) }),
    );
    expect(decodeParquet(pq, rawParquet({ ...base, embedding: even }, meta8), 'list.parquet').columns.embedding).toEqual(cols.embedding);
  });

  it('a page import refuses a file too large for a tab, naming the memory it would need, and a file whose model has other dims', () => {
    expect(() => checkImportSize('huge.parquet', 3 * 1024 ** 3)).toThrow(
      /huge\.parquet: is 3\.2 GB: importing it would need about 9\.6 GB of memory in this tab .*; a page imports files up to 1 GB \(about 3\.2 GB of memory\)\. Search it in DuckDB or LanceDB, or split it/,
    );
    expect(() => checkImportSize('fine.parquet', 10 * 1024 ** 2)).not.toThrow();
    const { cols, meta } = columns(10, 8);
    const bytes = encodeParquet(cols, meta);
    expect(() => parquetToImport(pq, bytes, 'g.parquet', { modelDims: { 'glove-100d': 100 } })).toThrow(
      'g.parquet: says glove-100d made its vectors, but glove-100d gives 100-dim vectors and these have 8',
    );
    const ok = parquetToImport(pq, bytes, 'g.parquet', { modelDims: { 'glove-100d': 8 } });
    expect(ok.rows).toMatchObject({ name: 'g', model: 'glove-100d', dims: 8, modelDims: 8, calibration: meta.calibration });
    expect(ok.rows.float32).toEqual(cols.embedding);
    expect(ok.precisions).toEqual(['float32', 'int8', 'binary', 'ubinary']);
  });

  it('refuses int8 columns without their calibration', () => {
    expect(() => makeMeta({ model: 'm', dtype: 'fp32', dims: 4, precisions: ['int8'] })).toThrow(/need their calibration/);
  });
});
