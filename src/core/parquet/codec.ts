/**
 * Chunks + vectors ⇄ Parquet bytes, through Arrow (apache-arrow builds the columns without
 * copying the vectors; parquet-wasm encodes them). The WASM module is passed in, as the ONNX
 * runtime is for transformer models: the CLI initialises it from disk, the page from its URL.
 */
import * as arrow from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm/esm';
import { bytesPerRow } from '../precision/binary.ts';
import { readDirect, readFooterOf } from './direct.ts';
import { rowGroupRows } from './writer.ts';
import type { PrecisionId } from '../precision/types.ts';
import {
  CODE_PRECISIONS,
  checkChunkColumns,
  COLUMNS,
  META_KEY,
  ParquetFileError,
  checkExpected,
  codeColumn,
  parseMeta,
  type ChunkColumns,
  type CodePrecision,
  type Expect,
  type ParquetMeta,
} from './format.ts';

export type ParquetModule = Pick<
  typeof ParquetWasm,
  'readParquet' | 'readSchema' | 'writeParquet' | 'transformParquetStream' | 'Table' | 'WriterPropertiesBuilder' | 'Compression' | 'EnabledStatistics' | 'ParquetFile'
>;

/** apache-arrow's makeData overloads do not type a generic primitive child; the props are checked by it at run time. */
const makeData = arrow.makeData as unknown as (props: Record<string, unknown>) => arrow.Data;

function listOf(values: Float32Array | Int8Array | Uint8Array, dims: number, rows: number, type: arrow.Float32 | arrow.Int8 | arrow.Uint8): arrow.Vector {
  const child = makeData({ type, length: rows * dims, nullCount: 0, data: values });
  const list = new arrow.FixedSizeList(dims, new arrow.Field('item', type, false));
  return arrow.makeVector(makeData({ type: list, length: rows, nullCount: 0, child }));
}

/**
 * A utf8 column built in one pass (TextEncoder.encodeInto into one buffer + offsets): apache-arrow's
 * vectorFromArray goes through its builders, 625 ms for 4 text columns of 43k rows, measured,
 * which made the CLI's main thread the bottleneck while the workers waited.
 */
function utf8Vector(strings: string[]): arrow.Vector {
  const encoder = new TextEncoder();
  const offsets = new Int32Array(strings.length + 1);
  let bytes = new Uint8Array(Math.max(64, strings.reduce((n, s) => n + s.length, 0) * 1.2) | 0);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    if (bytes.length - at < s.length * 3) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, at + s.length * 3));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    at += encoder.encodeInto(s, bytes.subarray(at)).written!;
    offsets[i + 1] = at;
  }
  return arrow.makeVector(makeData({ type: new arrow.Utf8(), length: strings.length, nullCount: 0, valueOffsets: offsets, data: bytes.subarray(0, at) }));
}

/** The page keeps `binary` as bits − 128 in int8; the file keeps raw bits (what pgvector's bit(n) and numpy.packbits use). */
function rawBits(codes: Int8Array | Uint8Array, signed: boolean): Uint8Array {
  const bytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength);
  if (!signed) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] ^ 0x80;
  return out;
}

export function toArrowTable(c: ChunkColumns, meta: ParquetMeta): arrow.Table {
  const rows = checkChunkColumns(c, meta);
  const dims = meta.dims;
  const columns: Record<string, arrow.Vector> = {
    [COLUMNS.id]: utf8Vector(c.ids),
    [COLUMNS.text]: utf8Vector(c.texts),
    [COLUMNS.source]: utf8Vector(c.sources),
    [COLUMNS.hash]: utf8Vector(c.hashes),
    [COLUMNS.embedding]: listOf(c.embedding, dims, rows, new arrow.Float32()),
  };
  for (const p of meta.precisions) {
    if (p === 'float32') continue;
    const codes = c.codes[p as CodePrecision]!;
    if (p === 'int8' || p === 'uint8') {
      columns[codeColumn(p)] = listOf(codes, dims, rows, p === 'int8' ? new arrow.Int8() : new arrow.Uint8());
    } else {
      const width = bytesPerRow(dims);
      columns[codeColumn(p)] = arrow.makeVector(
        arrow.makeData({ type: new arrow.FixedSizeBinary(width), length: rows, nullCount: 0, data: rawBits(codes, p === 'binary') }),
      );
    }
  }
  return new arrow.Table(columns);
}

/**
 * Snappy: what every Parquet reader decodes, and cheap to write (float vectors barely compress).
 * Dictionary encoding only for `source` (a few values repeated on every row); on vectors, texts
 * and hashes it is all cost, and so are min/max statistics no engine prunes vectors by.
 * Measured on 43,439 glove rows with int8 and binary (median of 3): defaults 1,017 ms / 28.6 MB;
 * these 490 ms / 32.6 MB plus the dictionary on `source` (uncompressed 390 ms / 45.3 MB, zstd
 * 1,651 ms / 26.0 MB).
 * `text` and `content_hash` are stored uncompressed: Snappy in JavaScript was a third of the
 * page's direct import (1.3 of 3.8 busy seconds for 1M rows, Chromium profile) and the text
 * shrinks only ~1.6× (hashes ~1.1×); the price is ~10 % on a float32 file (32,768 glove rows:
 * 16.7 → 18.3 MB), ~7 % with int8 and binary. (The embedding column cannot be set apart:
 * parquet-wasm names a column by one path part, and a list's values are `embedding.list.item`.)
 */
function writerProps(pq: ParquetModule, meta: ParquetMeta) {
  return new pq.WriterPropertiesBuilder()
    .setMaxRowGroupSize(rowGroupRows(meta.dims))
    .setCompression(pq.Compression.SNAPPY)
    .setColumnCompression(COLUMNS.text, pq.Compression.UNCOMPRESSED)
    .setColumnCompression(COLUMNS.hash, pq.Compression.UNCOMPRESSED)
    .setDictionaryEnabled(false)
    .setColumnDictionaryEnabled(COLUMNS.source, true)
    .setStatisticsEnabled(pq.EnabledStatistics.None)
    .setKeyValueMetadata(new Map([[META_KEY, JSON.stringify(meta)]]))
    .build();
}

/**
 * Our rows through parquet-wasm: what files were written with before writer.ts, kept to measure
 * writer.ts against (scripts/embed/writer-bench.ts) and as the reference its tests compare to.
 */
export function encodeParquetWasm(pq: ParquetModule, c: ChunkColumns, meta: ParquetMeta): Uint8Array {
  const table = pq.Table.fromIPCStream(arrow.tableToIPC(toArrowTable(c, meta), 'stream'));
  return pq.writeParquet(table, writerProps(pq, meta));
}

/**
 * Several Parquet files with the same metadata → one, as a stream of bytes: one input file is
 * decoded at a time, so memory holds one part, not the whole output.
 */
export async function mergeParquet(
  pq: ParquetModule,
  parts: AsyncIterable<{ name: string; bytes: Uint8Array }>,
  meta: ParquetMeta,
): Promise<ReadableStream<Uint8Array>> {
  const it = parts[Symbol.asyncIterator]();
  // parquet-wasm ends its output quietly when the input stream errors (measured: a part from
  // another model gave a valid, shorter file), so the failure is kept and raised at the end.
  let failure: unknown = null;
  const batches = new ReadableStream({
    async pull(controller) {
      try {
        const next = await it.next();
        if (next.done) return controller.close();
        const { name, bytes } = next.value;
        assertSameVectors(name, readMeta(pq, bytes, name).meta, meta);
        for (const b of readTable(pq, bytes, name).recordBatches()) controller.enqueue(b);
      } catch (err) {
        failure = err;
        controller.close();
      }
    },
  });
  const out = (await pq.transformParquetStream(batches, writerProps(pq, meta))) as ReadableStream<Uint8Array>;
  return out.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      flush(controller) {
        if (failure) controller.error(failure);
      },
    }),
  );
}

/** Parts that can share one file: same model, dtype, dims, precisions and calibration. */
export function assertSameVectors(file: string, a: ParquetMeta, b: ParquetMeta): void {
  checkExpected(file, a, { model: b.model, dtype: b.dtype, dims: b.dims });
  if (a.precisions.join() !== b.precisions.join()) {
    throw new ParquetFileError(file, 'columns', `keeps ${a.precisions.join(', ')}, the others keep ${b.precisions.join(', ')}`);
  }
  if (JSON.stringify(a.calibration) !== JSON.stringify(b.calibration)) {
    throw new ParquetFileError(file, 'columns', 'its int8 calibration differs from the other parts (their codes would not be comparable)');
  }
}

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

/** Tells a file that is not Parquet from one that was cut off, before the decoder says "corrupt footer". */
export function checkFraming(bytes: Uint8Array, file: string): void {
  checkEnds(bytes.subarray(0, 4), bytes.length >= 12 ? bytes.subarray(bytes.length - 4) : new Uint8Array(0), bytes.length, file);
}

function checkEnds(head: Uint8Array, tail: Uint8Array, size: number, file: string): void {
  if (!MAGIC.every((b, i) => head[i] === b)) throw new ParquetFileError(file, 'not-parquet', 'is not a Parquet file (it does not start with "PAR1")');
  if (size < 12 || !MAGIC.every((b, i) => tail[i] === b)) {
    throw new ParquetFileError(
      file,
      'truncated',
      `is cut off: it starts as Parquet but its ${size.toLocaleString('en')} bytes end before the footer (an interrupted download, copy or write?)`,
    );
  }
}

function decodeFailure(file: string, err: unknown): ParquetFileError {
  return new ParquetFileError(file, 'corrupt', `could not be decoded as Parquet (${String((err as Error)?.message ?? err).replace(/^Error: /, '')})`);
}

function readTable(pq: ParquetModule, bytes: Uint8Array, file: string, columns?: string[]) {
  try {
    return pq.readParquet(bytes, columns ? { columns } : undefined);
  } catch (err) {
    throw decodeFailure(file, err);
  }
}

/** The file's metadata and Arrow schema, without decoding any row. */
export function readMeta(pq: ParquetModule, bytes: Uint8Array, file: string, expect: Expect = {}): { meta: ParquetMeta; schema: arrow.Schema } {
  checkFraming(bytes, file);
  let schema: arrow.Schema;
  try {
    schema = arrow.tableFromIPC(pq.readSchema(bytes).intoIPCStream()).schema;
  } catch (err) {
    throw decodeFailure(file, err);
  }
  return { meta: checkSchema(schema, file, expect), schema };
}

/** The metadata of a file's Arrow schema, once its embedding and code columns are checked against it. */
function checkSchema(schema: arrow.Schema, file: string, expect: Expect): ParquetMeta {
  const embedding = schema.fields.find((f) => f.name === COLUMNS.embedding);
  if (!embedding) {
    throw new ParquetFileError(
      file,
      'no-embedding',
      `has no "${COLUMNS.embedding}" column (its columns: ${schema.fields.map((f) => f.name).join(', ') || 'none'})`,
    );
  }
  const meta = parseMeta(file, schema.metadata.get(META_KEY));
  const t = embedding.type;
  const listLike = arrow.DataType.isFixedSizeList(t) || arrow.DataType.isList(t);
  const child = listLike ? (t as arrow.FixedSizeList | arrow.List).children[0].type : null;
  if (!child || !arrow.DataType.isFloat(child) || (child as arrow.Float).precision !== arrow.Precision.SINGLE) {
    throw new ParquetFileError(file, 'dtype', `its "${COLUMNS.embedding}" column is ${String(t)}, not a list of float32`);
  }
  if (arrow.DataType.isFixedSizeList(t) && (t as arrow.FixedSizeList).listSize !== meta.dims) {
    throw new ParquetFileError(file, 'dims', `its "${COLUMNS.embedding}" column has ${(t as arrow.FixedSizeList).listSize} dims, its metadata says ${meta.dims}`);
  }
  for (const p of meta.precisions) {
    if (p !== 'float32' && !schema.fields.some((f) => f.name === codeColumn(p))) {
      throw new ParquetFileError(file, 'columns', `its metadata lists ${p}, but it has no "${codeColumn(p)}" column`);
    }
  }
  checkExpected(file, meta, expect);
  return meta;
}

function concat<T extends Float32Array | Int8Array | Uint8Array>(Ctor: { new (n: number): T }, parts: T[], total: number): T {
  if (parts.length === 1 && parts[0].length === total) return parts[0];
  const out = new Ctor(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The flat values of a list column, checked to hold exactly `width` values a row. */
function flatList<T extends Float32Array | Int8Array | Uint8Array>(
  Ctor: { new (n: number): T },
  vector: arrow.Vector,
  width: number,
  file: string,
  name: string,
): T {
  const parts: T[] = [];
  for (const data of vector.data) {
    const child = data.children[0];
    const values = child.values as T;
    if (data.nullCount > 0) throw new ParquetFileError(file, 'dims', `its "${name}" column has empty (null) rows`);
    if (arrow.DataType.isList(data.type)) {
      const offsets = data.valueOffsets as Int32Array;
      for (let r = 0; r < data.length; r++) {
        const n = offsets[data.offset + r + 1] - offsets[data.offset + r];
        if (n !== width) throw new ParquetFileError(file, 'dims', `row ${r} of its "${name}" column has ${n} values, the file's dims are ${width}`);
      }
      const start = offsets[data.offset] + child.offset;
      parts.push(values.subarray(start, start + data.length * width) as T);
    } else {
      const start = data.offset * width + child.offset;
      parts.push(values.subarray(start, start + data.length * width) as T);
    }
  }
  return concat(Ctor, parts, vector.length * width);
}

function strings(table: arrow.Table, name: string, file: string): string[] {
  const v = table.getChild(name);
  if (!v) throw new ParquetFileError(file, 'columns', `has no "${name}" column`);
  return v.toArray() as string[];
}

export interface DecodedParquet {
  meta: ParquetMeta;
  columns: ChunkColumns;
}

/** The whole file, checked: framing, metadata, the embedding column's type and dims, what the reader expects. */
export function decodeParquet(pq: ParquetModule, bytes: Uint8Array, file: string, expect: Expect = {}): DecodedParquet {
  const { meta } = readMeta(pq, bytes, file, expect);
  const table = arrow.tableFromIPC(readTable(pq, bytes, file).intoIPCStream());
  const embedding = flatList(Float32Array, table.getChild(COLUMNS.embedding)!, meta.dims, file, COLUMNS.embedding);
  const codes: ChunkColumns['codes'] = {};
  for (const p of meta.precisions as PrecisionId[]) {
    if (p === 'float32') continue;
    const v = table.getChild(codeColumn(p))!;
    if (p === 'int8') codes.int8 = flatList(Int8Array, v, meta.dims, file, codeColumn(p));
    else if (p === 'uint8') codes.uint8 = flatList(Uint8Array, v, meta.dims, file, codeColumn(p));
    else if (CODE_PRECISIONS.includes(p as CodePrecision)) {
      const width = bytesPerRow(meta.dims);
      const bytesOut = new Uint8Array(v.length * width);
      let at = 0;
      for (const data of v.data) {
        if (!arrow.DataType.isFixedSizeBinary(data.type) || (data.type as arrow.FixedSizeBinary).byteWidth !== width) {
          throw new ParquetFileError(file, 'dims', `its "${codeColumn(p)}" column is ${String(data.type)}, ${width} bytes a row were expected for ${meta.dims} dims`);
        }
        bytesOut.set((data.values as Uint8Array).subarray(data.offset * width, (data.offset + data.length) * width), at);
        at += data.length * width;
      }
      codes[p as 'binary' | 'ubinary'] = p === 'binary' ? new Int8Array(rawBits(bytesOut, true).buffer) : bytesOut;
    }
  }
  const columns: ChunkColumns = {
    ids: strings(table, COLUMNS.id, file),
    texts: strings(table, COLUMNS.text, file),
    sources: strings(table, COLUMNS.source, file),
    hashes: strings(table, COLUMNS.hash, file),
    embedding,
    codes,
  };
  return { meta, columns };
}

/** Only the content hashes (what a resumed run needs to know what is done). */
export function readHashes(pq: ParquetModule, bytes: Uint8Array, file: string): { meta: ParquetMeta; hashes: string[] } {
  const { meta } = readMeta(pq, bytes, file);
  const table = arrow.tableFromIPC(readTable(pq, bytes, file, [COLUMNS.hash]).intoIPCStream());
  return { meta, hashes: strings(table, COLUMNS.hash, file) };
}

/** What an import takes of a file: the float32 vectors, texts, sources and (when kept) content hashes. */
export interface ImportColumns {
  meta: ParquetMeta;
  texts: string[];
  sources: string[];
  hashes: string[] | null;
  embedding: Float32Array;
}

/** Rows a record batch when reading an import: one row group's worth (rowGroupRows), not parquet's default 1,024. */
const IMPORT_BATCH_ROWS = 65_536;

/**
 * The columns an import needs, and only those: the int8/binary codes and ids are not decoded
 * (an import re-encodes every precision from float32), record batches are a row group's size,
 * and each is copied out of WebAssembly memory and freed before the next. Measured on a 460 MB
 * file of 873,560 glove rows (Node, load ~21, so rough): the old path (every column, 1,024-row
 * batches, one IPC copy of the whole table, Arrow's row-by-row string decoding) spent 21.5 s in
 * readParquet alone on its first call; these columns in 65,536-row batches read in 4.9 s.
 *
 * For bytes already in memory (Node, tests); the page reads a picked File with
 * decodeBlobForImport, below, which never holds the file whole.
 */
export function decodeForImport(pq: ParquetModule, bytes: Uint8Array, file: string, expect: Expect = {}): ImportColumns {
  const { meta, schema } = readMeta(pq, bytes, file, expect);
  const columns = importColumns(schema, file);
  let table: ReturnType<ParquetModule['readParquet']>;
  try {
    table = pq.readParquet(bytes, { columns, batchSize: IMPORT_BATCH_ROWS });
  } catch (err) {
    throw decodeFailure(file, err);
  }
  const out = new ImportBuilder(meta, file, columns.includes(COLUMNS.hash));
  try {
    out.add(table);
  } finally {
    table.free();
  }
  return out.finish();
}

/**
 * decodeForImport for a Blob (a picked File), one row group at a time through ParquetFile:
 * the file is read as slices and never held whole, in JS or in WebAssembly memory. Measured on
 * 873,560 glove rows (460 MB, Node, load ~11): 5.0–6.0 s and 0.6 GB RSS against 8.8 s and 2.7 GB
 * reading the bytes whole. Its reads run as WebAssembly futures; a panic in one (seen with
 * `stream()` on a damaged file, not with `read()`) is an uncaught error that never settles the
 * promise, so while it reads, such an error ends the import with the damage reported.
 */
export async function decodeBlobForImport(
  parquet: ParquetModule | (() => Promise<ParquetModule>),
  blob: Blob,
  file: string,
  expect: Expect = {},
): Promise<ImportColumns> {
  const size = blob.size;
  const [head, tail] = await Promise.all([blob.slice(0, 4).arrayBuffer(), blob.slice(Math.max(0, size - 4)).arrayBuffer()]);
  checkEnds(new Uint8Array(head), new Uint8Array(tail), size, file);
  const direct = await importDirect(blob, file, expect);
  if (direct) return direct;
  // Any other file: parquet-wasm (loaded only now, where `parquet` is a loader).
  const pq = typeof parquet === 'function' ? await parquet() : parquet;
  let panicked: (err: unknown) => void = () => {};
  const panic = new Promise<never>((_, reject) => (panicked = reject));
  panic.catch(() => {});
  const onError = (e: Event | Error) => {
    const err = (e as ErrorEvent).error ?? e;
    if (err instanceof WebAssembly.RuntimeError) {
      (e as Event).preventDefault?.();
      panicked(err);
    }
  };
  const g = globalThis as unknown as { addEventListener?: (t: string, f: (e: Event) => void) => void; removeEventListener?: (t: string, f: (e: Event) => void) => void };
  const proc = (globalThis as unknown as { process?: { on(t: string, f: (e: Error) => void): void; off(t: string, f: (e: Error) => void): void } }).process;
  g.addEventListener?.('error', onError);
  proc?.on('uncaughtException', onError);
  const guarded = <T>(p: Promise<T>) => Promise.race([p, panic]).catch((err) => {
    throw err instanceof ParquetFileError ? err : decodeFailure(file, err);
  });
  let pf: Awaited<ReturnType<ParquetModule['ParquetFile']['fromFile']>> | null = null;
  try {
    pf = await guarded(pq.ParquetFile.fromFile(blob));
    let schema: arrow.Schema;
    let groups: number;
    try {
      schema = arrow.tableFromIPC(pf.schema().intoIPCStream()).schema;
      groups = pf.metadata().numRowGroups();
    } catch (err) {
      throw decodeFailure(file, err);
    }
    const meta = checkSchema(schema, file, expect);
    const columns = importColumns(schema, file);
    const out = new ImportBuilder(meta, file, columns.includes(COLUMNS.hash));
    for (let i = 0; i < groups; i++) {
      const table = await guarded(pf.read({ rowGroups: [i], columns, batchSize: IMPORT_BATCH_ROWS }));
      try {
        out.add(table);
      } finally {
        table.free();
      }
    }
    return out.finish();
  } finally {
    try {
      pf?.free();
    } catch {
      // After a failed read the file's handle is still borrowed by it: left to the GC.
    }
    g.removeEventListener?.('error', onError);
    proc?.off('uncaughtException', onError);
  }
}

/**
 * A file shaped as ours, read from its pages without parquet-wasm (direct.ts): its Arrow schema
 * from the footer's ARROW:schema, checked as any other (checkSchema: the same messages), then
 * the columns. Null when it is not ours or not readable here; the caller reads it with
 * parquet-wasm, which also reports any damage. 1,024,504 glove rows in Node: parquet-wasm
 * 14–22 s (load ~12), direct 2.9 s (load ~6).
 */
async function importDirect(blob: Blob, file: string, expect: Expect): Promise<ImportColumns | null> {
  const footer = await readFooterOf(blob);
  const ipc = footer?.keyValues.get('ARROW:schema');
  if (!footer || !ipc) return null;
  let schema: arrow.Schema;
  try {
    const bytes = Uint8Array.from(atob(ipc), (c) => c.charCodeAt(0));
    const read = arrow.RecordBatchReader.from(bytes).open().schema;
    const kv = new Map([...read.metadata, ...[...footer.keyValues].filter(([k]) => k !== 'ARROW:schema')]);
    schema = new arrow.Schema(read.fields, kv);
  } catch {
    return null;
  }
  const meta = checkSchema(schema, file, expect);
  const columns = importColumns(schema, file);
  if (!arrow.DataType.isFixedSizeList(schema.fields.find((f) => f.name === COLUMNS.embedding)!.type)) return null;
  const withHashes = columns.includes(COLUMNS.hash);
  const direct = await readDirect(blob, footer, meta.dims, { text: COLUMNS.text, source: COLUMNS.source, hash: withHashes ? COLUMNS.hash : null, embedding: COLUMNS.embedding });
  return direct && { meta, ...direct };
}

/** The columns an import reads: the vectors, texts, sources and, when the file keeps them, hashes. */
function importColumns(schema: arrow.Schema, file: string): string[] {
  for (const name of [COLUMNS.text, COLUMNS.source]) {
    if (!schema.fields.some((f) => f.name === name)) throw new ParquetFileError(file, 'columns', `has no "${name}" column`);
  }
  return [COLUMNS.embedding, COLUMNS.text, COLUMNS.source, ...(schema.fields.some((f) => f.name === COLUMNS.hash) ? [COLUMNS.hash] : [])];
}

/** Record batches → ImportColumns, each batch copied out of WebAssembly memory (and freed) in turn. */
class ImportBuilder {
  private readonly parts: Float32Array[] = [];
  private readonly texts: string[] = [];
  private readonly sources: string[] = [];
  private readonly hashes: string[] = [];
  private rows = 0;

  constructor(
    private readonly meta: ParquetMeta,
    private readonly file: string,
    private readonly withHashes: boolean,
  ) {}

  add(table: ReturnType<ParquetModule['readParquet']>): void {
    for (const batch of table.recordBatches()) {
      const t = arrow.tableFromIPC(batch.intoIPCStream()); // takes the batch: its memory is freed
      this.parts.push(flatList(Float32Array, t.getChild(COLUMNS.embedding)!, this.meta.dims, this.file, COLUMNS.embedding).slice());
      utf8Strings(t.getChild(COLUMNS.text)!, this.texts);
      utf8Strings(t.getChild(COLUMNS.source)!, this.sources);
      if (this.withHashes) utf8Strings(t.getChild(COLUMNS.hash)!, this.hashes);
      this.rows += t.numRows;
    }
  }

  finish(): ImportColumns {
    const embedding = concat(Float32Array, this.parts, this.rows * this.meta.dims);
    this.parts.length = 0;
    return { meta: this.meta, texts: this.texts, sources: this.sources, hashes: this.withHashes ? this.hashes : null, embedding };
  }
}

/**
 * A utf8 column's strings appended to `out`: each chunk's bytes decoded in one TextDecoder call,
 * then cut at the offsets (UTF-16 positions counted from the UTF-8 lead bytes). Arrow's own
 * toArray decodes row by row: 1.1–1.7 s a column of 873,560 rows (Node, load ~21).
 */
function utf8Strings(vector: arrow.Vector, out: string[]): void {
  const decoder = new TextDecoder();
  for (const data of vector.data) {
    if (data.nullCount > 0) {
      for (const s of arrow.makeVector(data)) out.push(s ?? '');
      continue;
    }
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const first = offsets[data.offset];
    const last = offsets[data.offset + data.length];
    const text = decoder.decode(bytes.subarray(first, last));
    const start = out.length;
    let pos = 0;
    let b = first;
    for (let r = 0; r < data.length; r++) {
      const end = offsets[data.offset + r + 1];
      let units = 0;
      for (; b < end; b++) {
        const c = bytes[b];
        if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1;
      }
      out.push(text.slice(pos, pos + units));
      pos += units;
    }
    // Invalid UTF-8 decodes to U+FFFD, which the count above does not follow: decode row by row then.
    if (pos !== text.length) {
      out.length = start;
      for (let r = 0; r < data.length; r++) out.push(decoder.decode(bytes.subarray(offsets[data.offset + r], offsets[data.offset + r + 1])));
    }
  }
}
