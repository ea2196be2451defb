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
 * encodeParquet — writer.ts, or parquet-wasm in earlier versions: the same schema bytes); anything
 * else falls back to mergeParquet.
 */

import { Reader, Writer, T_BINARY, T_STRUCT, T_LIST, field, FILE_MAGIC as MAGIC, type Field, type List } from './thrift.ts';

const without = (s: Field[], ids: number[]) => s.filter((f) => !ids.includes(f.id));
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// parquet.thrift field ids.
const FILE = { version: 1, schema: 2, numRows: 3, rowGroups: 4, keyValue: 5 };
const ROW_GROUP = { columns: 1, fileOffset: 5, ordinal: 7 };
const COLUMN_CHUNK = { filePath: 1, fileOffset: 2, metaData: 3, offsetIndex: [4, 5, 6, 7] };
const COLUMN_META = { totalCompressed: 7, dataPage: 9, indexPage: 10, dictionaryPage: 11, bloom: [14, 15] };


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
