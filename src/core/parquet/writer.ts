/**
 * A Parquet writer for our one schema (format.ts): rows of ChunkColumns → the bytes of a file
 * that every reader opens as it opened parquet-wasm's. The Parquet schema elements are the ones
 * parquet-wasm writes for the same Arrow table, byte for byte (so parts from either writer join
 * in concat.ts), and the ARROW:schema key — which tells arrow-rs readers such as LanceDB that
 * `embedding` is a FixedSizeList — is apache-arrow's IPC schema of that table, made once a schema.
 *
 * The column chunks are written directly, data page v1, no compression, no statistics (none of
 * DuckDB, LanceDB, parquet-wasm or direct.ts needs them; parquet-wasm wrote none either):
 * - utf8 columns (id, text, source, content_hash) and fixed_size_binary: PLAIN;
 *   `source` (a few values repeated row after row) as a dictionary with RLE runs of its ids
 *   when it has few distinct values, PLAIN otherwise;
 * - embedding: PLAIN floats, copied as they are; its list levels are one repeating pattern a row
 *   (rep 0 then dims − 1 ones, def all 2), RLE runs made once and repeated;
 * - int8 / uint8 codes: a 256-entry dictionary (every code) and the codes themselves as its
 *   indices, bit-packed at 8 bits — which is the code bytes unchanged: 1 byte a code on disk,
 *   where PLAIN INT32 (Parquet has no 8-bit type) takes 4 and parquet-wasm's Snappy got 2.1.
 * Snappy is dropped: it saved 1 % on the floats and nothing on binary (text and hashes were
 * already stored plain), and the int8 column is now smaller without it; ids grow (Snappy made them
 * ~7× smaller). Files: glove float32 only +6 % (1,021,100 chunks: 497.6 → 529.0 MB), with int8
 * and binary −9 % (86,094 chunks: 69.2 → 63.2 MB).
 *
 * Why our own writer (the house prefers the library): parquet-wasm was ~20 % of a CLI worker's
 * CPU, the largest single cost under the CLI's 200k chunks/s target. Measured on the same glove
 * parts (scripts/embed/writer-bench.ts: 2 parts of 32,768 Moby-Dick rows, CPU ms per 100,000
 * rows, median of 5 alternated runs (min–max), AMD EPYC 2 cores, load ~5): float32 only,
 * parquet-wasm 228 (212–258), ours 78 (76–102) as the CLI runs it (one writer, rows added a task
 * at a time), 2.9×; with int8 + binary 383 (338–411) vs 78 (64–152), 4.9×. In one call with fresh
 * buffers (a page export) ours takes 183 / 138: the first touch of new memory is most of it. In
 * the whole CLI run the writer, with the worker's rows encoded as they come (ParquetWriter), took
 * glove float32 from 82.5k to 126.8k chunks per CPU-second (with hash-set.ts; medians of 3).
 * parquet-wasm stays for files not of our shape (mergeParquet of another version's files,
 * reading foreign files) and as the reference the writer's tests compare to.
 */
import * as arrow from 'apache-arrow';
import { bytesPerRow } from '../precision/binary.ts';
import {
  Writer, T_BINARY, T_BYTE, T_I16, T_I32, T_I64, T_LIST, T_STRUCT, T_TRUE, T_FALSE, type Field,
  BYTE_ARRAY, DATA_PAGE, DICTIONARY_PAGE, FILE_MAGIC, FIXED_LEN_BYTE_ARRAY, FLOAT, INT_8, INT32, LIST, OPTIONAL, PLAIN, REPEATED, REQUIRED, RLE, RLE_DICTIONARY, UINT_8, UTF8,
} from './thrift.ts';
import { COLUMNS, META_KEY, checkChunkColumns, codeColumn, codePrecisions, type ChunkColumns, type CodePrecision, type ParquetMeta } from './format.ts';


/** Bytes of values a data page holds at most (parquet-rs's default page size). */
const PAGE_BYTES = 1 << 20;
/** `source` is written as a dictionary while it has at most this many distinct values. */
const MAX_DICTIONARY = 4096;

/**
 * Row groups of ~64 MB of vectors, at most 65,536 rows. parquet-wasm's default (1,048,576 rows)
 * made writing 1M × 100-d rows take 63 s against 5–11 s with 16k–128k-row groups (load ~15, so
 * rough); engines read a row group at a time, so tens of MB each also suits DuckDB and LanceDB.
 */
export function rowGroupRows(dims: number): number {
  return Math.max(1024, Math.min(65_536, Math.floor((64 * 1024 * 1024) / (dims * 4 + 100))));
}

/** Small pieces of a file (page headers, level runs), written then cut off as views. */
class Bytes {
  buf: Uint8Array;
  at = 0;
  constructor(size = 64) {
    this.buf = new Uint8Array(size);
  }
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }
  byte(x: number): void {
    this.room(1);
    this.buf[this.at++] = x;
  }
  u32(x: number): void {
    this.room(4);
    const b = this.buf;
    b[this.at] = x;
    b[this.at + 1] = x >>> 8;
    b[this.at + 2] = x >>> 16;
    b[this.at + 3] = x >>> 24;
    this.at += 4;
  }
  varint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.at++] = n;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

/** The file as a list of views (headers, levels, slices of the column buffers), copied once into one buffer at the end. */
class Assembly {
  readonly pieces: Uint8Array[] = [];
  pos = 0;
  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.pieces.push(b);
    this.pos += b.length;
  }
  result(): Uint8Array {
    const out = new Uint8Array(this.pos);
    let at = 0;
    for (const p of this.pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * A page header (compact protocol, fields in id order): 1 type, 2 uncompressed size, 3 compressed
 * size, then 5 data_page_header {1 values, 2 encoding, 3 def-level encoding, 4 rep-level encoding}
 * or 7 dictionary_page_header {1 values, 2 encoding}.
 */
function pageHeader(type: number, size: number, values: number, encoding: number): Uint8Array {
  const i32 = (id: number, value: number): Field => ({ id, type: T_I32, value });
  const body = [i32(1, values), i32(2, encoding), ...(type === DATA_PAGE ? [i32(3, RLE), i32(4, RLE)] : [])];
  const out = new Writer(48);
  out.struct([i32(1, type), i32(2, size), i32(3, size), { id: type === DATA_PAGE ? 5 : 7, type: T_STRUCT, value: body }]);
  return out.result();
}

/** A page: its header, then its body's pieces. */
function page(asm: Assembly, type: number, values: number, encoding: number, body: Uint8Array[]): void {
  let size = 0;
  for (const b of body) size += b.length;
  asm.push(pageHeader(type, size, values, encoding));
  for (const b of body) asm.push(b);
}

/** Definition levels of `n` values all present: one RLE run (the hybrid encoding), after its 4-byte length. */
function allDefined(n: number, level: number): Uint8Array {
  const o = new Bytes(16);
  o.u32(0);
  o.varint(n * 2);
  o.byte(level);
  const v = o.view();
  v[0] = v.length - 4;
  return v;
}

/**
 * The repetition levels of `rows` fixed-size lists of `dims` items, after their 4-byte length:
 * a row is a run of one 0 and a run of dims − 1 ones, the same bytes every row — made once a
 * shape and cut to length.
 */
const repCache = new Map<number, Uint8Array>();
function repLevels(dims: number, rows: number): Uint8Array[] {
  const length = new Bytes(4);
  if (dims === 1) {
    const o = new Bytes(16);
    o.varint(rows * 2);
    o.byte(0);
    length.u32(o.at);
    return [length.view(), o.view()];
  }
  const row = new Bytes(16);
  row.varint(2);
  row.byte(0);
  row.varint((dims - 1) * 2);
  row.byte(1);
  const one = row.at;
  let pattern = repCache.get(dims);
  if (!pattern || pattern.length < rows * one) {
    pattern = new Uint8Array(Math.max(rows, 4096) * one);
    pattern.set(row.view());
    for (let filled = one; filled < pattern.length; filled *= 2) pattern.copyWithin(filled, 0, Math.min(filled, pattern.length - filled));
    repCache.set(dims, pattern);
  }
  length.u32(rows * one);
  return [length.view(), pattern.subarray(0, rows * one)];
}

interface ChunkMeta {
  type: number;
  path: string[];
  encodings: number[];
  values: number;
  start: number;
  size: number;
  dataPage: number;
  dictionaryPage: number | null;
  pages: [number, number, number][]; // [page type, encoding, count]
}

function chunkMeta(asm: Assembly, start: number, dataPage: number, dictionaryPage: number | null, type: number, path: string[], values: number, pages: ChunkMeta['pages']): ChunkMeta {
  const encodings = [PLAIN, RLE, ...(pages.some(([, e]) => e === RLE_DICTIONARY) ? [RLE_DICTIONARY] : [])];
  return { type, path, encodings, values, start, size: asm.pos - start, dataPage, dictionaryPage, pages };
}

/** Bytes appended as they come (a column's values, kept between parts so its memory is reused). */
class Buffer8 {
  bytes = new Uint8Array(1 << 16);
  at = 0;
  room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }
  add(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
}

const encoder = new TextEncoder();

/**
 * A utf8 column as PLAIN values (4-byte length, UTF-8 bytes), encoded as rows come so that their
 * strings can be collected young; a page ends after PAGE_BYTES or at a row group's end.
 */
class StringColumn extends Buffer8 {
  rows = 0;
  /** Where each page starts: row, byte, row, byte, … */
  cuts: number[] = [0, 0];

  reset(): void {
    this.at = 0;
    this.rows = 0;
    this.cuts = [0, 0];
  }

  add8(strings: string[], groupRows: number): void {
    const cuts = this.cuts;
    let pageRow = cuts[cuts.length - 2];
    let pageByte = cuts[cuts.length - 1];
    let rows = this.rows;
    for (let i = 0; i < strings.length; i++, rows++) {
      if (rows > pageRow && (rows % groupRows === 0 || this.at - pageByte >= PAGE_BYTES)) {
        cuts.push(rows, this.at);
        pageRow = rows;
        pageByte = this.at;
      }
      const s = strings[i];
      const len = s.length;
      this.room(4 + len * 3);
      const b = this.bytes;
      const base = this.at + 4;
      let n: number;
      if (len > 40) {
        // Long strings (texts): TextEncoder, ~2× the loop below on sentence-long text.
        n = encoder.encodeInto(s, b.subarray(base)).written!;
      } else {
        // Short ones (ids, hashes): by hand, ~4× TextEncoder on ids built by concatenation.
        let k = 0;
        for (; k < len; k++) {
          const c = s.charCodeAt(k);
          if (c >= 0x80) break;
          b[base + k] = c;
        }
        n = k === len ? len : k + encoder.encodeInto(s.slice(k), b.subarray(base + k)).written!;
      }
      b[base - 4] = n;
      b[base - 3] = n >>> 8;
      b[base - 2] = n >>> 16;
      b[base - 1] = n >>> 24;
      this.at = base + n;
    }
    this.rows = rows;
  }

  /** The column chunk of rows [from, to): PLAIN pages. */
  write(asm: Assembly, name: string, from: number, to: number): ChunkMeta {
    const start = asm.pos;
    const cuts = [...this.cuts, this.rows, this.at];
    let count = 0;
    for (let i = 0; i + 2 < cuts.length; i += 2) {
      const [r0, b0, r1, b1] = [cuts[i], cuts[i + 1], cuts[i + 2], cuts[i + 3]];
      if (r0 < from || r1 > to || r1 === r0) continue;
      page(asm, DATA_PAGE, r1 - r0, PLAIN, [allDefined(r1 - r0, 1), this.bytes.subarray(b0, b1)]);
      count++;
    }
    return chunkMeta(asm, start, start, null, BYTE_ARRAY, [name], to - from, [[DATA_PAGE, PLAIN, count]]);
  }
}

/**
 * A utf8 column of few distinct values (`source`: one a file or section, repeated row after
 * row): a dictionary page and RLE runs of ids. Past MAX_DICTIONARY values it is written PLAIN.
 */
class DictionaryColumn {
  private map = new Map<string, number>();
  values: string[] = [];
  ids = new Uint32Array(1 << 16);
  rows = 0;
  private last: string | null = null;
  private lastId = -1;

  reset(): void {
    this.map.clear();
    this.values = [];
    this.rows = 0;
    this.last = null;
  }

  add(strings: string[]): void {
    if (this.ids.length < this.rows + strings.length) {
      const grown = new Uint32Array(Math.max(this.ids.length * 2, this.rows + strings.length));
      grown.set(this.ids.subarray(0, this.rows));
      this.ids = grown;
    }
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i];
      if (s !== this.last) {
        let id = this.map.get(s);
        if (id === undefined) {
          id = this.values.length;
          this.map.set(s, id);
          this.values.push(s);
        }
        this.last = s;
        this.lastId = id;
      }
      this.ids[this.rows++] = this.lastId;
    }
  }

  get fits(): boolean {
    return this.values.length <= MAX_DICTIONARY;
  }

  /** Every row's string again (for a PLAIN column when the dictionary grew too big). */
  strings(): string[] {
    return Array.from(this.ids.subarray(0, this.rows), (id) => this.values[id]);
  }

  write(asm: Assembly, name: string, from: number, to: number, dictionary: Uint8Array): ChunkMeta {
    const start = asm.pos;
    page(asm, DICTIONARY_PAGE, this.values.length, PLAIN, [dictionary]);
    const dataPage = asm.pos;
    const n = to - from;
    const width = Math.max(1, 32 - Math.clz32(Math.max(0, this.values.length - 1)));
    const idBytes = (width + 7) >> 3;
    const body = new Bytes(64);
    body.byte(width);
    const ids = this.ids;
    for (let i = from; i < to; ) {
      let j = i + 1;
      while (j < to && ids[j] === ids[i]) j++;
      body.varint((j - i) * 2);
      for (let k = 0; k < idBytes; k++) body.byte((ids[i] >>> (8 * k)) & 0xff);
      i = j;
    }
    page(asm, DATA_PAGE, n, RLE_DICTIONARY, [allDefined(n, 1), body.view()]);
    return chunkMeta(asm, start, dataPage, start, BYTE_ARRAY, [name], n, [
      [DICTIONARY_PAGE, PLAIN, 1],
      [DATA_PAGE, RLE_DICTIONARY, 1],
    ]);
  }
}

/** The 256 values of an 8-bit code column's dictionary, PLAIN INT32: index i is the code whose byte is i. */
function codeDictionary(signed: boolean): Uint8Array {
  const o = new Bytes(1024);
  for (let i = 0; i < 256; i++) o.u32(signed ? (i << 24) >> 24 : i);
  return o.view();
}
const codeDictionaries = { int8: codeDictionary(true), uint8: codeDictionary(false) };

/**
 * A fixed-size list column (`dims` values a row, `valueBytes` each) of rows [from, to) from its
 * bytes: PLAIN values, or (codes) RLE_DICTIONARY indices bit-packed at 8 bits, which are the code
 * bytes as they are.
 */
function listChunk(asm: Assembly, path: string[], type: number, bytes: Uint8Array, from: number, to: number, dims: number, valueBytes: number, codes: 'int8' | 'uint8' | null): ChunkMeta {
  const start = asm.pos;
  let dictionaryPage: number | null = null;
  const pages: ChunkMeta['pages'] = [];
  if (codes) {
    dictionaryPage = asm.pos;
    page(asm, DICTIONARY_PAGE, 256, PLAIN, [codeDictionaries[codes]]);
    pages.push([DICTIONARY_PAGE, PLAIN, 1]);
  }
  const dataPage = asm.pos;
  const perPage = Math.max(1, Math.floor(PAGE_BYTES / (dims * valueBytes)));
  let count = 0;
  for (let a = from; a < to; a += perPage) {
    const b = Math.min(to, a + perPage);
    const n = (b - a) * dims;
    const values = bytes.subarray(a * dims * valueBytes, b * dims * valueBytes);
    const body = [...repLevels(dims, b - a), allDefined(n, 2)];
    if (codes) {
      const groups = Math.ceil(n / 8);
      const head = new Bytes(8);
      head.byte(8); // bit width
      head.varint((groups << 1) | 1); // one bit-packed run
      body.push(head.view(), values, new Uint8Array(groups * 8 - n));
    } else body.push(values);
    page(asm, DATA_PAGE, n, codes ? RLE_DICTIONARY : PLAIN, body);
    count++;
  }
  pages.push([DATA_PAGE, codes ? RLE_DICTIONARY : PLAIN, count]);
  return chunkMeta(asm, start, dataPage, dictionaryPage, type, path, (to - from) * dims, pages);
}

/** fixed_size_binary rows [from, to): PLAIN, the bytes as they are. */
function binaryChunk(asm: Assembly, name: string, bytes: Uint8Array, width: number, from: number, to: number): ChunkMeta {
  const start = asm.pos;
  const perPage = Math.max(1, Math.floor(PAGE_BYTES / width));
  let count = 0;
  for (let a = from; a < to; a += perPage) {
    const b = Math.min(to, a + perPage);
    page(asm, DATA_PAGE, b - a, PLAIN, [allDefined(b - a, 1), bytes.subarray(a * width, b * width)]);
    count++;
  }
  return chunkMeta(asm, start, start, null, FIXED_LEN_BYTE_ARRAY, [name], to - from, [[DATA_PAGE, PLAIN, count]]);
}

// ---- the schema ----

const f = (id: number, type: number, value: Field['value']): Field => ({ id, type, value });
const str = (s: string) => encoder.encode(s);
const emptyStruct: Field[] = [];

function utf8Element(name: string): Field[] {
  return [f(1, T_I32, BYTE_ARRAY), f(3, T_I32, OPTIONAL), f(4, T_BINARY, str(name)), f(6, T_I32, UTF8), f(10, T_STRUCT, [f(1, T_STRUCT, emptyStruct)])];
}
function listElements(name: string, item: Field[]): Field[][] {
  return [
    [f(3, T_I32, OPTIONAL), f(4, T_BINARY, str(name)), f(5, T_I32, 1), f(6, T_I32, LIST), f(10, T_STRUCT, [f(3, T_STRUCT, emptyStruct)])],
    [f(3, T_I32, REPEATED), f(4, T_BINARY, str('list')), f(5, T_I32, 1)],
    item,
  ];
}
function int8Item(signed: boolean): Field[] {
  return [
    f(1, T_I32, INT32),
    f(3, T_I32, REQUIRED),
    f(4, T_BINARY, str('item')),
    f(6, T_I32, signed ? INT_8 : UINT_8),
    f(10, T_STRUCT, [f(10, T_STRUCT, [f(1, T_BYTE, 8), f(2, signed ? T_TRUE : T_FALSE, signed)])]),
  ];
}

/** The columns a file of `meta` has, in order: [name, Parquet schema elements]. */
function schemaOf(meta: ParquetMeta): Field[][] {
  const elements: Field[][] = [];
  let top = 0;
  for (const name of [COLUMNS.id, COLUMNS.text, COLUMNS.source, COLUMNS.hash]) {
    elements.push(utf8Element(name));
    top++;
  }
  elements.push(...listElements(COLUMNS.embedding, [f(1, T_I32, FLOAT), f(3, T_I32, REQUIRED), f(4, T_BINARY, str('item'))]));
  top++;
  for (const p of codePrecisions(meta)) {
    if (p === 'int8' || p === 'uint8') elements.push(...listElements(codeColumn(p), int8Item(p === 'int8')));
    else elements.push([f(1, T_I32, FIXED_LEN_BYTE_ARRAY), f(2, T_I32, bytesPerRow(meta.dims)), f(3, T_I32, OPTIONAL), f(4, T_BINARY, str(codeColumn(p)))]);
    top++;
  }
  return [[f(4, T_BINARY, str('arrow_schema')), f(5, T_I32, top)], ...elements];
}


/**
 * The ARROW:schema value for a file of `meta`'s shape: the IPC schema message of the Arrow table
 * codec.ts's toArrowTable builds (parquet-wasm wrote this table's schema), base64. Once a shape.
 */
const arrowSchemaCache = new Map<string, string>();
function arrowSchema(meta: ParquetMeta): string {
  const key = `${meta.dims}|${codePrecisions(meta).join()}`;
  let value = arrowSchemaCache.get(key);
  if (value) return value;
  const fields: arrow.Field[] = [COLUMNS.id, COLUMNS.text, COLUMNS.source, COLUMNS.hash].map((n) => new arrow.Field(n, new arrow.Utf8(), true));
  const list = (t: arrow.DataType) => new arrow.FixedSizeList(meta.dims, new arrow.Field('item', t, false));
  fields.push(new arrow.Field(COLUMNS.embedding, list(new arrow.Float32()), true));
  for (const p of codePrecisions(meta)) {
    const t = p === 'int8' ? list(new arrow.Int8()) : p === 'uint8' ? list(new arrow.Uint8()) : new arrow.FixedSizeBinary(bytesPerRow(meta.dims));
    fields.push(new arrow.Field(codeColumn(p), t, true));
  }
  const ipc = arrow.tableToIPC(new arrow.Table(new arrow.Schema(fields)), 'stream');
  // The stream's first message is the schema: 0xFFFFFFFF, its length, the flatbuffer.
  const length = new DataView(ipc.buffer, ipc.byteOffset + 4, 4).getInt32(0, true);
  const message = ipc.subarray(0, 8 + length);
  let binary = '';
  for (const b of message) binary += String.fromCharCode(b);
  value = btoa(binary);
  arrowSchemaCache.set(key, value);
  return value;
}

const bytesOf = (a: Float32Array | Int8Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * A Parquet file of our schema built as rows come (add), written whole by finish — which starts
 * the next one, reusing this one's buffers. Strings are encoded when added, so the caller's
 * strings die young; the vectors are copied into buffers kept from file to file.
 */
export class ParquetWriter {
  private readonly dims: number;
  private readonly codes: CodePrecision[];
  private readonly groupRows: number;
  private readonly strings = { id: new StringColumn(), text: new StringColumn(), hash: new StringColumn() };
  private readonly source = new DictionaryColumn();
  private readonly embedding = new Buffer8();
  private readonly codeBytes: Partial<Record<CodePrecision, Buffer8>> = {};
  rows = 0;

  constructor(private readonly meta: ParquetMeta) {
    this.dims = meta.dims;
    this.codes = codePrecisions(meta);
    this.groupRows = rowGroupRows(meta.dims);
    for (const p of this.codes) this.codeBytes[p] = new Buffer8();
  }

  add(c: ChunkColumns): void {
    const rows = checkChunkColumns(c, this.meta);
    this.strings.id.add8(c.ids, this.groupRows);
    this.strings.text.add8(c.texts, this.groupRows);
    this.strings.hash.add8(c.hashes, this.groupRows);
    this.source.add(c.sources);
    this.embedding.add(bytesOf(c.embedding));
    for (const p of this.codes) {
      const buf = this.codeBytes[p]!;
      const bytes = bytesOf(c.codes[p]!);
      if (p === 'binary') {
        // The page keeps binary as bits − 128 (int8); the file keeps the raw bits.
        buf.room(bytes.length);
        const out = buf.bytes;
        for (let i = 0, at = buf.at; i < bytes.length; i++) out[at + i] = bytes[i] ^ 0x80;
        buf.at += bytes.length;
      } else buf.add(bytes);
    }
    this.rows += rows;
  }

  /** The whole file of the rows added since the last finish. */
  finish(): Uint8Array {
    const { dims, meta, rows } = this;
    const asm = new Assembly();
    asm.push(FILE_MAGIC);
    // `source` as a dictionary (its values once, PLAIN), or PLAIN when it has too many values.
    let plainSource: StringColumn | null = null;
    let dictionary: Uint8Array | null = null;
    if (this.source.fits) {
      const d = new StringColumn();
      d.add8(this.source.values, Number.MAX_SAFE_INTEGER);
      dictionary = d.bytes.subarray(0, d.at);
    } else {
      plainSource = new StringColumn();
      plainSource.add8(this.source.strings(), this.groupRows);
    }
    const groups: Field[][] = [];
    for (let from = 0; from < rows; from += this.groupRows) {
      const to = Math.min(rows, from + this.groupRows);
      const chunks: ChunkMeta[] = [
        this.strings.id.write(asm, COLUMNS.id, from, to),
        this.strings.text.write(asm, COLUMNS.text, from, to),
        plainSource ? plainSource.write(asm, COLUMNS.source, from, to) : this.source.write(asm, COLUMNS.source, from, to, dictionary!),
        this.strings.hash.write(asm, COLUMNS.hash, from, to),
        listChunk(asm, [COLUMNS.embedding, 'list', 'item'], FLOAT, this.embedding.bytes, from, to, dims, 4, null),
      ];
      for (const p of this.codes) {
        const bytes = this.codeBytes[p]!.bytes;
        if (p === 'int8' || p === 'uint8') chunks.push(listChunk(asm, [codeColumn(p), 'list', 'item'], INT32, bytes, from, to, dims, 1, p));
        else chunks.push(binaryChunk(asm, codeColumn(p), bytes, bytesPerRow(dims), from, to));
      }
      groups.push(rowGroup(chunks, to - from, groups.length));
    }
    const footer = new Writer();
    footer.struct([
      f(1, T_I32, 1),
      f(2, T_LIST, { elem: T_STRUCT, items: schemaOf(meta) }),
      f(3, T_I64, rows),
      f(4, T_LIST, { elem: T_STRUCT, items: groups }),
      f(5, T_LIST, {
        elem: T_STRUCT,
        items: [
          [f(1, T_BINARY, str(META_KEY)), f(2, T_BINARY, str(JSON.stringify(meta)))],
          [f(1, T_BINARY, str('ARROW:schema')), f(2, T_BINARY, str(arrowSchema(meta)))],
        ],
      }),
      f(6, T_BINARY, str('embedscope')),
      f(7, T_LIST, { elem: T_STRUCT, items: columnOrders(5 + this.codes.length) }),
    ]);
    const tail = footer.result();
    asm.push(tail);
    const end = new Bytes(8);
    end.u32(tail.length);
    asm.push(end.view());
    asm.push(FILE_MAGIC);
    const file = asm.result();
    // The next file starts empty, in this one's buffers.
    for (const s of Object.values(this.strings)) s.reset();
    this.source.reset();
    this.embedding.at = 0;
    for (const p of this.codes) this.codeBytes[p]!.at = 0;
    this.rows = 0;
    return file;
  }
}

/** Rows of our schema → a whole Parquet file (see the top of this file). */
export function encodeParquet(c: ChunkColumns, meta: ParquetMeta): Uint8Array {
  const w = new ParquetWriter(meta);
  w.add(c);
  return w.finish();
}

const columnOrders = (n: number) => Array.from({ length: n }, () => [f(1, T_STRUCT, emptyStruct)]);

function rowGroup(chunks: ChunkMeta[], rows: number, ordinal: number): Field[] {
  const total = chunks.reduce((s, c) => s + c.size, 0);
  const columns = chunks.map((c) => {
    const cm: Field[] = [
      f(1, T_I32, c.type),
      f(2, T_LIST, { elem: T_I32, items: c.encodings }),
      f(3, T_LIST, { elem: T_BINARY, items: c.path.map(str) }),
      f(4, T_I32, 0), // UNCOMPRESSED
      f(5, T_I64, c.values),
      f(6, T_I64, c.size),
      f(7, T_I64, c.size),
      f(9, T_I64, c.dataPage),
    ];
    if (c.dictionaryPage !== null) cm.push(f(11, T_I64, c.dictionaryPage));
    cm.push(f(13, T_LIST, { elem: T_STRUCT, items: c.pages.map(([type, enc, count]) => [f(1, T_I32, type), f(2, T_I32, enc), f(3, T_I32, count)]) }));
    return [f(2, T_I64, 0), f(3, T_STRUCT, cm)];
  });
  return [
    f(1, T_LIST, { elem: T_STRUCT, items: columns }),
    f(2, T_I64, total),
    f(3, T_I64, rows),
    f(5, T_I64, chunks[0].start),
    f(6, T_I64, total),
    f(7, T_I16, ordinal),
  ];
}
