/**
 * Parquet files of one schema → one file, by copying their column chunks as they are and writing
 * one footer that lists every row group — no page is decoded or encoded again.
 *
 * Why not mergeParquet (parquet-wasm decodes every part and encodes it again): the CLI's finalize
 * step spent 0.7–2.8 s merging 171,404 glove rows (90–129 MB) that way, 20–45 % of a whole run,
 * on one core; a copy is bounded by the disk. Parquet allows it: a row group's column chunks
 * are self-contained byte ranges located by offsets in the footer, so moving a chunk means only
 * shifting its offsets. The page indexes and bloom filters (optional, and located by absolute
 * offsets too) are dropped, not moved; no reader needs them and our writer turns statistics off.
 *
 * The footer is Thrift's compact protocol; this reads it into a generic tree of fields (ids and
 * types, no schema needed) and writes the tree back, so fields it does not know pass through.
 * Used only on files whose schemas are byte-identical (parts of one CLI run, all written by
 * encodeParquet); anything else falls back to mergeParquet.
 */

const T_STOP = 0;
const T_TRUE = 1;
const T_FALSE = 2;
const T_BYTE = 3;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_DOUBLE = 7;
const T_BINARY = 8;
const T_LIST = 9;
const T_SET = 10;
const T_MAP = 11;
const T_STRUCT = 12;

type Value = number | boolean | Uint8Array | Field[] | List;
interface Field {
  id: number;
  type: number;
  value: Value;
}
interface List {
  elem: number;
  items: Value[];
}

class Reader {
  at = 0;
  constructor(private readonly b: Uint8Array) {}
  byte(): number {
    if (this.at >= this.b.length) throw new Error('footer ends early');
    return this.b[this.at++];
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const x = this.byte();
      result += (x & 0x7f) * mul;
      if (x < 0x80) return result;
      mul *= 128;
    }
  }
  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  value(type: number): Value {
    switch (type) {
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_BYTE:
        return this.byte();
      case T_I16:
      case T_I32:
      case T_I64:
        return this.zigzag();
      case T_DOUBLE: {
        const v = this.b.subarray(this.at, this.at + 8);
        this.at += 8;
        return v.slice();
      }
      case T_BINARY: {
        const n = this.varint();
        const v = this.b.subarray(this.at, this.at + n);
        this.at += n;
        return v;
      }
      case T_LIST:
      case T_SET: {
        const head = this.byte();
        const elem = head & 0x0f;
        const size = head >> 4 === 15 ? this.varint() : head >> 4;
        const items: Value[] = [];
        // Booleans inside a list are one byte each (1 = true).
        for (let i = 0; i < size; i++) items.push(elem === T_TRUE || elem === T_FALSE ? this.byte() === 1 : this.value(elem));
        return { elem, items };
      }
      case T_STRUCT:
        return this.struct();
      default:
        throw new Error(`Thrift type ${type} is not read here`);
    }
  }
  struct(): Field[] {
    const fields: Field[] = [];
    let last = 0;
    for (;;) {
      const head = this.byte();
      const type = head & 0x0f;
      if (type === T_STOP) return fields;
      const delta = head >> 4;
      const id = delta ? last + delta : this.zigzag();
      if (type === T_MAP) throw new Error('Thrift maps are not read here');
      fields.push({ id, type, value: this.value(type) });
      last = id;
    }
  }
}

class Writer {
  private b = new Uint8Array(1 << 16);
  at = 0;
  private room(n: number) {
    if (this.at + n <= this.b.length) return;
    const grown = new Uint8Array(Math.max(this.b.length * 2, this.at + n));
    grown.set(this.b.subarray(0, this.at));
    this.b = grown;
  }
  byte(x: number) {
    this.room(1);
    this.b[this.at++] = x;
  }
  varint(n: number) {
    while (n >= 0x80) {
      this.byte((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }
  zigzag(n: number) {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  bytes(v: Uint8Array) {
    this.room(v.length);
    this.b.set(v, this.at);
    this.at += v.length;
  }
  value(type: number, v: Value) {
    switch (type) {
      case T_TRUE:
      case T_FALSE:
        return;
      case T_BYTE:
        return this.byte(v as number);
      case T_I16:
      case T_I32:
      case T_I64:
        return this.zigzag(v as number);
      case T_DOUBLE:
        return this.bytes(v as Uint8Array);
      case T_BINARY:
        this.varint((v as Uint8Array).length);
        return this.bytes(v as Uint8Array);
      case T_LIST:
      case T_SET: {
        const { elem, items } = v as List;
        if (items.length < 15) this.byte((items.length << 4) | elem);
        else {
          this.byte(0xf0 | elem);
          this.varint(items.length);
        }
        for (const item of items) {
          if (elem === T_TRUE || elem === T_FALSE) this.byte(item ? 1 : 2);
          else this.value(elem, item);
        }
        return;
      }
      case T_STRUCT:
        return this.struct(v as Field[]);
    }
  }
  struct(fields: Field[]) {
    let last = 0;
    for (const f of [...fields].sort((a, b) => a.id - b.id)) {
      const type = f.type === T_TRUE || f.type === T_FALSE ? (f.value ? T_TRUE : T_FALSE) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(f.id);
      }
      this.value(type, f.value);
      last = f.id;
    }
    this.byte(T_STOP);
  }
  result(): Uint8Array {
    return this.b.subarray(0, this.at);
  }
}

const field = (s: Field[], id: number) => s.find((f) => f.id === id);
const without = (s: Field[], ids: number[]) => s.filter((f) => !ids.includes(f.id));
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// parquet.thrift field ids.
const FILE = { version: 1, schema: 2, numRows: 3, rowGroups: 4, keyValue: 5 };
const ROW_GROUP = { columns: 1, fileOffset: 5, ordinal: 7 };
const COLUMN_CHUNK = { filePath: 1, fileOffset: 2, metaData: 3, offsetIndex: [4, 5, 6, 7] };
const COLUMN_META = { totalCompressed: 7, dataPage: 9, indexPage: 10, dictionaryPage: 11, bloom: [14, 15] };

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** The length of the footer that ends a file, from the file's last 8 bytes. */
export function footerLength(last8: Uint8Array): number {
  if (last8.length !== 8 || !sameBytes(last8.subarray(4), MAGIC)) throw new Error('not a whole Parquet file (no footer)');
  return new DataView(last8.buffer, last8.byteOffset, 4).getUint32(0, true);
}

/**
 * A file's footer — given the whole file, or only its last footerLength + 8 bytes — as the
 * parsed FileMetaData and the bytes of its schema (files are compared by them).
 */
export function readFooter(bytes: Uint8Array): { meta: Field[]; schema: Uint8Array } {
  const n = bytes.length;
  const len = footerLength(bytes.subarray(n - 8));
  if (len + 8 > n) throw new Error('the footer is longer than the file');
  const meta = new Reader(bytes.subarray(n - 8 - len, n - 8)).struct();
  const w = new Writer();
  w.value(T_LIST, field(meta, FILE.schema)!.value);
  return { meta, schema: w.result().slice() };
}

/** The key-value metadata of a footer as a Map (keys and values as strings). */
export function keyValues(meta: Field[]): Map<string, string> {
  const out = new Map<string, string>();
  const kv = field(meta, FILE.keyValue)?.value as List | undefined;
  const dec = new TextDecoder();
  for (const item of kv?.items ?? []) {
    const s = item as Field[];
    out.set(dec.decode(field(s, 1)!.value as Uint8Array), dec.decode((field(s, 2)?.value as Uint8Array) ?? new Uint8Array()));
  }
  return out;
}

/**
 * The files' column chunks, one after another, then a footer listing every row group; the
 * key-value metadata is the first file's with `replace` applied (the run's own metadata). Yields
 * the output's bytes in order (a chunk at a time: memory holds one file, not the output).
 * The caller checks first that the schemas match (readFooter); a mismatch met here still throws.
 */
export async function* concatParquet(files: AsyncIterable<Uint8Array>, replace: Record<string, string>): AsyncGenerator<Uint8Array> {
  let schema: Uint8Array | null = null;
  let first: Field[] | null = null;
  const groups: Field[][] = [];
  let rows = 0;
  let pos = 4;
  yield MAGIC.slice();
  for await (const bytes of files) {
    const { meta, schema: s } = readFooter(bytes);
    if (schema && !sameBytes(schema, s)) throw new Error('the parts have different schemas');
    schema ??= s;
    first ??= meta;
    rows += field(meta, FILE.numRows)!.value as number;
    for (const g of ((field(meta, FILE.rowGroups)?.value as List | undefined)?.items ?? []) as Field[][]) {
      const columns: Field[][] = [];
      let groupStart = -1;
      for (const chunk of (field(g, ROW_GROUP.columns)!.value as List).items as Field[][]) {
        if (field(chunk, COLUMN_CHUNK.filePath)) throw new Error('a column chunk in another file is not copied here');
        const cm = field(chunk, COLUMN_CHUNK.metaData)!.value as Field[];
        const data = field(cm, COLUMN_META.dataPage)!.value as number;
        const dict = field(cm, COLUMN_META.dictionaryPage)?.value as number | undefined;
        const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
        const size = field(cm, COLUMN_META.totalCompressed)!.value as number;
        yield bytes.subarray(start, start + size);
        const shift = pos - start;
        if (groupStart < 0) groupStart = pos;
        pos += size;
        const meta2 = without(cm, COLUMN_META.bloom).map((f) =>
          [COLUMN_META.dataPage, COLUMN_META.indexPage, COLUMN_META.dictionaryPage].includes(f.id) ? { ...f, value: (f.value as number) + shift } : f,
        );
        columns.push(
          without(chunk, COLUMN_CHUNK.offsetIndex).map((f) =>
            f.id === COLUMN_CHUNK.metaData ? { ...f, value: meta2 } : f.id === COLUMN_CHUNK.fileOffset && (f.value as number) > 0 ? { ...f, value: (f.value as number) + shift } : f,
          ),
        );
      }
      const ordinal = groups.length;
      groups.push(
        g.map((f) =>
          f.id === ROW_GROUP.columns
            ? { ...f, value: { elem: T_STRUCT, items: columns } }
            : f.id === ROW_GROUP.fileOffset
              ? { ...f, value: groupStart }
              : f.id === ROW_GROUP.ordinal
                ? { ...f, value: ordinal }
                : f,
        ),
      );
    }
  }
  if (!first) throw new Error('no files to join');
  const enc = new TextEncoder();
  const kv = keyValues(first);
  for (const [k, v] of Object.entries(replace)) kv.set(k, v);
  const footer = first.map((f) =>
    f.id === FILE.numRows
      ? { ...f, value: rows }
      : f.id === FILE.rowGroups
        ? { ...f, value: { elem: T_STRUCT, items: groups } }
        : f.id === FILE.keyValue
          ? { ...f, value: { elem: T_STRUCT, items: [...kv].map(([k, v]) => [{ id: 1, type: T_BINARY, value: enc.encode(k) }, { id: 2, type: T_BINARY, value: enc.encode(v) }]) } }
          : f,
  );
  const w = new Writer();
  w.struct(footer);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, w.at, true);
  tail.set(MAGIC, 4);
  yield w.result();
  yield tail;
}
