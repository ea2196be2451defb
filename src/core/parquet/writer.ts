/**
 * A Parquet writer for our one schema (format.ts): rows of ChunkColumns → the bytes of a file
 * that every reader opens as it opened parquet-wasm's. The Parquet schema elements are the ones
 * parquet-wasm writes for the same Arrow table, byte for byte (so parts from either writer join
 * in concat.ts), and the ARROW:schema key — which tells arrow-rs readers such as LanceDB that
 * `embedding` is a FixedSizeList — is apache-arrow's IPC schema of that table, made once a schema.
 *
 * The column chunks are written directly, data page v1, no compression, no statistics:
 * - utf8 columns (id, text, source, content_hash) and fixed_size_binary: PLAIN;
 *   `source` (a few values repeated row after row) as a dictionary with RLE runs of its ids
 *   when it has few distinct values, PLAIN otherwise;
 * - embedding: PLAIN floats, copied as they are; its list levels are one repeating pattern a row
 *   (rep 0 then dims − 1 ones, def all 2), RLE runs made once and repeated;
 * - int8 / uint8 codes: a 256-entry dictionary (every code) and the codes themselves as its
 *   indices, bit-packed at 8 bits — which is the code bytes unchanged: 1 byte a code on disk,
 *   where PLAIN INT32 (Parquet has no 8-bit type) takes 4 and parquet-wasm's Snappy got 2.1.
 * Snappy is dropped: it saved 1 % on the floats, nothing on binary and text (already stored
 * plain), and the int8 column is now smaller without it; ids grow (~7 × smaller under Snappy),
 * +3 % on a float32-only glove file, −9 % with int8 and binary.
 *
 * Why our own writer (the house prefers the library): parquet-wasm was ~20 % of a CLI worker's
 * CPU, the largest single cost left under the 200k chunks/s target. Measured on the same glove
 * parts (MEASURED below, filled in from scripts/embed/writer-bench.ts). parquet-wasm stays for
 * files not of our shape (mergeParquet of another version's files, reading foreign files).
 */
import * as arrow from 'apache-arrow';
import { bytesPerRow } from '../precision/binary.ts';
import { Writer, T_BINARY, T_BYTE, T_I16, T_I32, T_I64, T_LIST, T_STRUCT, T_TRUE, T_FALSE, type Field } from './thrift.ts';
import { COLUMNS, META_KEY, codeColumn, type CodePrecision, type ParquetMeta } from './format.ts';
import type { ChunkColumns } from './codec.ts';

// parquet.thrift constants.
const INT32 = 1;
const FLOAT = 4;
const BYTE_ARRAY = 6;
const FIXED_LEN_BYTE_ARRAY = 7;
const OPTIONAL = 1;
const REQUIRED = 0;
const REPEATED = 2;
const PLAIN = 0;
const RLE = 3;
const RLE_DICTIONARY = 8;
const DATA_PAGE = 0;
const DICTIONARY_PAGE = 2;
const UTF8 = 0;
const LIST = 3;
const UINT_8 = 11;
const INT_8 = 15;

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

/** A growing byte buffer the file is written into. */
class Out {
  buf: Uint8Array;
  at = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(1024, size));
  }
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.at + n + (this.at >> 2)));
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }
  byte(x: number): void {
    this.buf[this.at++] = x;
  }
  u32(x: number): void {
    const b = this.buf;
    const at = this.at;
    b[at] = x;
    b[at + 1] = x >>> 8;
    b[at + 2] = x >>> 16;
    b[at + 3] = x >>> 24;
    this.at = at + 4;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.at++] = n;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
}

/**
 * A page header (compact protocol, fields in id order): 1 type, 2 uncompressed size, 3 compressed
 * size, then 5 data_page_header {1 values, 2 encoding, 3 def-level encoding, 4 rep-level encoding}
 * or 7 dictionary_page_header {1 values, 2 encoding}. Written directly: a few per column chunk.
 */
function pageHeader(out: Out, type: number, size: number, values: number, encoding: number): void {
  out.room(40);
  const zz = (n: number) => out.varint(n * 2); // zigzag of a non-negative number
  out.byte(0x15); // field 1, i32
  zz(type);
  out.byte(0x15);
  zz(size);
  out.byte(0x15);
  zz(size);
  if (type === DATA_PAGE) {
    out.byte(0x2c); // field 5 (delta 2), struct
    out.byte(0x15);
    zz(values);
    out.byte(0x15);
    zz(encoding);
    out.byte(0x15);
    zz(RLE);
    out.byte(0x15);
    zz(RLE);
    out.byte(0);
  } else {
    out.byte(0x4c); // field 7 (delta 4), struct
    out.byte(0x15);
    zz(values);
    out.byte(0x15);
    zz(encoding);
    out.byte(0);
  }
  out.byte(0);
}

const varintLength = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** One RLE run of the hybrid encoding: `count` times `value` (value of at most 8 bits). */
function rleRun(out: Out, count: number, value: number): void {
  out.varint(count * 2);
  out.byte(value);
}
const rleRunLength = (count: number) => varintLength(count * 2) + 1;

/** Definition levels of `n` values all present (one RLE run, after its 4-byte length). */
function allDefined(out: Out, n: number, level: number): void {
  out.u32(rleRunLength(n));
  rleRun(out, n, level);
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

/** The repetition levels of `rows` fixed-size lists of `dims` items, RLE runs (made once a shape, then cut). */
const repCache = new Map<number, Uint8Array>();
function repLevels(dims: number, rows: number): Uint8Array {
  if (dims === 1) {
    const o = new Out(16);
    rleRun(o, rows, 0);
    return o.buf.subarray(0, o.at);
  }
  let pattern = repCache.get(dims);
  const one = rleRunLength(1) + rleRunLength(dims - 1);
  if (!pattern || pattern.length < rows * one) {
    const o = new Out(16);
    rleRun(o, 1, 0);
    rleRun(o, dims - 1, 1);
    const row = o.buf.subarray(0, o.at);
    pattern = new Uint8Array(Math.max(rows, 1024) * one);
    pattern.set(row);
    for (let filled = one; filled < pattern.length; filled *= 2) pattern.copyWithin(filled, 0, Math.min(filled, pattern.length - filled));
    repCache.set(dims, pattern);
  }
  return pattern.subarray(0, rows * one);
}

/** Pages of a fixed-size list column: `valueBytes` a value, `dims` values a row; `write` puts a page's values. */
function listChunk(
  out: Out,
  path: string[],
  type: number,
  rows: number,
  dims: number,
  valueBytes: number,
  encoding: number,
  write: (from: number, to: number) => void,
  dictionary?: () => void,
): ChunkMeta {
  const start = out.at;
  let dictionaryPage: number | null = null;
  const pages: ChunkMeta['pages'] = [];
  if (dictionary) {
    dictionaryPage = out.at;
    dictionary();
    pages.push([DICTIONARY_PAGE, PLAIN, 1]);
  }
  const dataPage = out.at;
  const perPage = Math.max(1, Math.floor(PAGE_BYTES / (dims * valueBytes)));
  let count = 0;
  for (let from = 0; from < rows; from += perPage) {
    const to = Math.min(rows, from + perPage);
    const n = (to - from) * dims;
    const rep = repLevels(dims, to - from);
    const def = rleRunLength(n);
    const valuesSize = encoding === RLE_DICTIONARY ? 1 + varintLength(((Math.ceil(n / 8)) << 1) | 1) + Math.ceil(n / 8) * 8 : n * valueBytes;
    const size = 4 + rep.length + 4 + def + valuesSize;
    pageHeader(out, DATA_PAGE, size, n, encoding);
    out.room(size);
    out.u32(rep.length);
    out.bytes(rep);
    allDefined(out, n, 2);
    const end = out.at + valuesSize;
    write(from, to);
    if (out.at !== end) throw new Error(`page of ${path.join('.')} is ${out.at - end + valuesSize} bytes, ${valuesSize} were planned`);
    count++;
  }
  pages.push([DATA_PAGE, encoding, count]);
  return { type, path, encodings: encoding === RLE_DICTIONARY ? [PLAIN, RLE, RLE_DICTIONARY] : [PLAIN, RLE], values: rows * dims, start, size: out.at - start, dataPage, dictionaryPage, pages };
}

/** Strings as PLAIN byte arrays into `scratch`, one page's worth from `from`; returns [end row, bytes]. */
const encoder = new TextEncoder();
let scratch = new Uint8Array(1 << 21);

function plainStrings(strings: string[], from: number, to: number): [number, number] {
  let at = 0;
  let r = from;
  for (; r < to && (at < PAGE_BYTES || r === from); r++) {
    const s = strings[r];
    const len = s.length;
    if (scratch.length < at + 4 + len * 3) {
      const grown = new Uint8Array(Math.max(scratch.length * 2, at + 4 + len * 3));
      grown.set(scratch.subarray(0, at));
      scratch = grown;
    }
    const b = scratch;
    // ASCII by hand (ids, hashes, most text); encodeInto from the first other character.
    let k = 0;
    const base = at + 4;
    for (; k < len; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) break;
      b[base + k] = c;
    }
    const n = k === len ? len : k + encoder.encodeInto(k === 0 ? s : s.slice(k), b.subarray(base + k)).written!;
    b[at] = n;
    b[at + 1] = n >>> 8;
    b[at + 2] = n >>> 16;
    b[at + 3] = n >>> 24;
    at = base + n;
  }
  return [r, at];
}

function stringChunk(out: Out, name: string, strings: string[], from: number, to: number, dictionaryOk: boolean): ChunkMeta {
  const start = out.at;
  if (dictionaryOk) {
    const dict = new Map<string, number>();
    const ids = new Uint32Array(to - from);
    const most = Math.min(MAX_DICTIONARY, (to - from) / 4 + 16);
    let fits = true;
    for (let r = from; r < to; r++) {
      let id = dict.get(strings[r]);
      if (id === undefined) {
        if (dict.size >= most) {
          fits = false;
          break;
        }
        dict.set(strings[r], (id = dict.size));
      }
      ids[r - from] = id;
    }
    if (fits) {
      // Every row got an id: the dictionary page, then one data page of RLE runs.
      const values = [...dict.keys()];
      const [, bytes] = plainStrings(values, 0, values.length);
      const dictionaryPage = out.at;
      pageHeader(out, DICTIONARY_PAGE, bytes, values.length, PLAIN);
      out.bytes(scratch.subarray(0, bytes));
      const width = Math.max(1, 32 - Math.clz32(Math.max(0, values.length - 1)));
      const idBytes = (width + 7) >> 3;
      const n = to - from;
      const body = new Out(64 + n);
      body.room(9 + 4 + rleRunLength(n));
      allDefined(body, n, 1);
      body.byte(width);
      for (let i = 0; i < n; ) {
        let j = i + 1;
        while (j < n && ids[j] === ids[i]) j++;
        body.room(5 + idBytes);
        body.varint((j - i) * 2);
        for (let k = 0; k < idBytes; k++) body.byte((ids[i] >>> (8 * k)) & 0xff);
        i = j;
      }
      const dataPage = out.at;
      pageHeader(out, DATA_PAGE, body.at, n, RLE_DICTIONARY);
      out.bytes(body.buf.subarray(0, body.at));
      return {
        type: BYTE_ARRAY,
        path: [name],
        encodings: [PLAIN, RLE, RLE_DICTIONARY],
        values: n,
        start,
        size: out.at - start,
        dataPage,
        dictionaryPage,
        pages: [
          [DICTIONARY_PAGE, PLAIN, 1],
          [DATA_PAGE, RLE_DICTIONARY, 1],
        ],
      };
    }
  }
  let count = 0;
  for (let r = from; r < to; ) {
    const [end, bytes] = plainStrings(strings, r, to);
    const n = end - r;
    const size = 4 + rleRunLength(n) + bytes;
    pageHeader(out, DATA_PAGE, size, n, PLAIN);
    out.room(size);
    allDefined(out, n, 1);
    out.buf.set(scratch.subarray(0, bytes), out.at);
    out.at += bytes;
    count++;
    r = end;
  }
  return { type: BYTE_ARRAY, path: [name], encodings: [PLAIN, RLE], values: to - from, start, size: out.at - start, dataPage: start, dictionaryPage: null, pages: [[DATA_PAGE, PLAIN, count]] };
}

function fixedBinaryChunk(out: Out, name: string, bytes: Uint8Array, width: number, from: number, to: number, flip: boolean): ChunkMeta {
  const start = out.at;
  const perPage = Math.max(1, Math.floor(PAGE_BYTES / width));
  let count = 0;
  for (let r = from; r < to; r += perPage) {
    const end = Math.min(to, r + perPage);
    const n = end - r;
    const size = 4 + rleRunLength(n) + n * width;
    pageHeader(out, DATA_PAGE, size, n, PLAIN);
    out.room(size);
    allDefined(out, n, 1);
    const src = bytes.subarray(r * width, end * width);
    if (flip) {
      const b = out.buf;
      for (let i = 0, at = out.at; i < src.length; i++) b[at + i] = src[i] ^ 0x80;
    } else out.buf.set(src, out.at);
    out.at += n * width;
    count++;
  }
  return { type: FIXED_LEN_BYTE_ARRAY, path: [name], encodings: [PLAIN, RLE], values: to - from, start, size: out.at - start, dataPage: start, dictionaryPage: null, pages: [[DATA_PAGE, PLAIN, count]] };
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

const codePrecisions = (meta: ParquetMeta) => meta.precisions.filter((p): p is CodePrecision => p !== 'float32');

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

function checkColumns(c: ChunkColumns, meta: ParquetMeta): number {
  const rows = c.ids.length;
  if (c.texts.length !== rows || c.sources.length !== rows || c.hashes.length !== rows) throw new Error('every column needs one value per row');
  if (c.embedding.length !== rows * meta.dims) throw new Error(`embedding has ${c.embedding.length} values, ${rows} rows × ${meta.dims} dims need ${rows * meta.dims}`);
  for (const p of codePrecisions(meta)) {
    const codes = c.codes[p];
    if (!codes) throw new Error(`the metadata lists ${p}, but no ${p} codes were given`);
    const want = p === 'int8' || p === 'uint8' ? rows * meta.dims : rows * bytesPerRow(meta.dims);
    if (codes.length !== want) throw new Error(`${p} codes have ${codes.length} values, ${rows} rows need ${want}`);
  }
  return rows;
}

/** The 256 dictionary values of an 8-bit code column, as PLAIN INT32: index i is the code whose byte is i. */
function codeDictionary(out: Out, signed: boolean): void {
  pageHeader(out, DICTIONARY_PAGE, 256 * 4, 256, PLAIN);
  out.room(1024);
  for (let i = 0; i < 256; i++) out.u32(signed ? (i << 24) >> 24 : i);
}

/** Rows of our schema → a whole Parquet file (see the top of this file). */
export function encodeParquet(c: ChunkColumns, meta: ParquetMeta): Uint8Array {
  const rows = checkColumns(c, meta);
  const dims = meta.dims;
  const codes = codePrecisions(meta);
  // The file's size, exact when the strings are ASCII (a tenth more for others): growing the
  // buffer copies it, and a fresh buffer's pages are paid for when first written.
  let chars = 0;
  for (const col of [c.ids, c.texts, c.sources, c.hashes]) for (let i = 0; i < rows; i++) chars += col[i].length;
  const estimate = Math.ceil(chars * 1.1) + rows * (16 + dims * 4 + 8 + codes.length * (dims + 8)) + 1024 * (1 + codes.length) + 64 * 1024;
  const out = new Out(estimate);
  out.bytes(new Uint8Array([0x50, 0x41, 0x52, 0x31]));
  const groups: Field[][] = [];
  const groupRows = rowGroupRows(dims);
  for (let from = 0; from < rows; from += groupRows) {
    const to = Math.min(rows, from + groupRows);
    const n = to - from;
    const chunks: ChunkMeta[] = [
      stringChunk(out, COLUMNS.id, c.ids, from, to, false),
      stringChunk(out, COLUMNS.text, c.texts, from, to, false),
      stringChunk(out, COLUMNS.source, c.sources, from, to, true),
      stringChunk(out, COLUMNS.hash, c.hashes, from, to, false),
    ];
    const floats = new Uint8Array(c.embedding.buffer, c.embedding.byteOffset, c.embedding.byteLength);
    chunks.push(
      listChunk(out, [COLUMNS.embedding, 'list', 'item'], FLOAT, n, dims, 4, PLAIN, (a, b) => {
        out.buf.set(floats.subarray((from + a) * dims * 4, (from + b) * dims * 4), out.at);
        out.at += (b - a) * dims * 4;
      }),
    );
    for (const p of codes) {
      const raw = c.codes[p]!;
      const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      if (p === 'int8' || p === 'uint8') {
        chunks.push(
          listChunk(
            out,
            [codeColumn(p), 'list', 'item'],
            INT32,
            n,
            dims,
            1,
            RLE_DICTIONARY,
            (a, b) => {
              const count = (b - a) * dims;
              const groups8 = Math.ceil(count / 8);
              out.byte(8); // bit width
              out.varint((groups8 << 1) | 1); // one bit-packed run
              out.buf.set(bytes.subarray((from + a) * dims, (from + b) * dims), out.at);
              out.buf.fill(0, out.at + count, out.at + groups8 * 8);
              out.at += groups8 * 8;
            },
            () => codeDictionary(out, p === 'int8'),
          ),
        );
      } else {
        chunks.push(fixedBinaryChunk(out, codeColumn(p), bytes, bytesPerRow(dims), from, to, p === 'binary'));
      }
    }
    groups.push(rowGroup(chunks, n, groups.length));
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
    f(7, T_LIST, { elem: T_STRUCT, items: columnOrders(4 + 1 + codes.length) }),
  ]);
  const tail = footer.result();
  out.room(tail.length + 8);
  out.bytes(tail);
  out.u32(tail.length);
  out.bytes(new Uint8Array([0x50, 0x41, 0x52, 0x31]));
  return out.buf.subarray(0, out.at);
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
