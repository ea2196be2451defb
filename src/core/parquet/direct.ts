/**
 * The import's columns read straight from the pages of a file shaped as ours (writer.ts writes
 * it; earlier versions wrote it through parquet-wasm, with Snappy): the footer and page headers
 * parsed here (thrift.ts), Snappy or no compression, PLAIN
 * values (and a dictionary for `source`), no null row — the float vectors are then one copy a
 * page, and each page of texts one TextDecoder call.
 *
 * Why: parquet-wasm decoded 1,024,504 glove rows (770 MB, float32 + int8 + binary) in 14–22 s
 * in Node (load ~12), most of the page's 20.5 s import of 1M rows; it decodes every value through
 * arrow-rs's generic readers into Arrow buffers, copies them out as IPC and apache-arrow parses
 * that again. This reads only the bytes of the columns an import takes, once.
 *
 * Anything else — another codec or encoding, a null, nested lists, data page v2 with odd levels, a
 * row count that does not add up — returns null before any row is kept, and the caller reads the
 * file with parquet-wasm as before (which also reports any damage in the file, with its words).
 */
import {
  Reader, field, type Field, type List,
  BYTE_ARRAY, DATA_PAGE, DATA_PAGE_V2, DICTIONARY_PAGE, FLOAT, OPTIONAL, PLAIN, PLAIN_DICTIONARY, REPEATED, RLE, RLE_DICTIONARY, SNAPPY, UNCOMPRESSED,
} from './thrift.ts';
import { snappyDecompress } from './snappy.ts';
import { footerLength, keyValues } from './concat.ts';

export interface DirectColumns {
  texts: string[];
  sources: string[];
  hashes: string[] | null;
  embedding: Float32Array;
}

/** Not ours after all: the caller falls back to parquet-wasm. */
class NotDirect extends Error {}

const need = (ok: unknown, why: string) => {
  if (!ok) throw new NotDirect(why);
};


interface Leaf {
  top: string;
  type: number;
  maxDef: number;
  maxRep: number;
}

function leavesOf(schema: Field[][]): Leaf[] {
  const out: Leaf[] = [];
  let at = 1;
  const walk = (top: string | null, def: number, rep: number) => {
    const el = schema[at++];
    need(el, 'schema ends early');
    const name = new TextDecoder().decode(field(el, 4)!.value as Uint8Array);
    const repetition = (field(el, 3)?.value as number | undefined) ?? 0;
    const d = def + (repetition === OPTIONAL || repetition === REPEATED ? 1 : 0);
    const r = rep + (repetition === REPEATED ? 1 : 0);
    const children = (field(el, 5)?.value as number | undefined) ?? 0;
    if (children === 0) out.push({ top: top ?? name, type: field(el, 1)?.value as number, maxDef: d, maxRep: r });
    for (let i = 0; i < children; i++) walk(top ?? name, d, r);
  };
  const roots = (field(schema[0], 5)?.value as number) ?? 0;
  for (let i = 0; i < roots; i++) walk(null, 0, 0);
  return out;
}

const bitWidth = (max: number) => (max === 0 ? 0 : 32 - Math.clz32(max));

/**
 * The RLE/bit-packed hybrid: `count` values of `width` bits from buf[at, end), into `out` (or, with
 * out null, checked to all equal `all`). Returns false when `all` is given and some value differs.
 */
function hybrid(buf: Uint8Array, at: number, end: number, width: number, count: number, out: Uint32Array | null, all = 0): boolean {
  const bytes = (width + 7) >> 3;
  let done = 0;
  while (done < count) {
    need(at < end, 'levels end early');
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[at++];
      header += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if ((header & 1) === 0) {
      const n = Math.min(header >>> 1, count - done);
      let v = 0;
      for (let i = 0; i < bytes; i++) v |= buf[at + i] << (8 * i);
      at += bytes;
      if (out) out.fill(v >>> 0, done, done + n);
      else if (v !== all && n > 0) return false;
      done += n;
    } else {
      const n = (header >>> 1) * 8;
      let bit = 0;
      for (let i = 0; i < n && done < count; i++, done++) {
        let v = 0;
        for (let b = 0; b < width; b++, bit++) v |= ((buf[at + (bit >> 3)] >> (bit & 7)) & 1) << b;
        if (out) out[done] = v >>> 0;
        else if (v !== all) return false;
      }
      at += (header >>> 1) * width;
    }
  }
  return true;
}

const decoder = new TextDecoder();

/**
 * Scratch buffers reused from page to page (decompressed pages, a page's text bytes, its lengths):
 * fresh ones a page made the garbage collector 27 % of a 1M-row read (node --cpu-prof).
 */
const scratch = { page: new Uint8Array(1 << 20), text: new Uint8Array(1 << 20), units: new Int32Array(1 << 14) };
function room(name: 'page' | 'text', n: number): Uint8Array {
  if (scratch[name].length < n) scratch[name] = new Uint8Array(Math.max(n, scratch[name].length * 2));
  return scratch[name].subarray(0, n);
}

/** `count` PLAIN byte arrays from buf[at, end) as strings appended to `out`: one decode for the page. */
function plainStrings(buf: Uint8Array, at: number, end: number, count: number, out: string[]): void {
  const bytes = room('text', end - at);
  if (scratch.units.length < count) scratch.units = new Int32Array(Math.max(count, scratch.units.length * 2));
  const units = scratch.units;
  let w = 0;
  for (let r = 0; r < count; r++) {
    need(at + 4 <= end, 'values end early');
    const n = (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
    at += 4;
    need(at + n <= end, 'a value runs past its page');
    let u = 0;
    for (let k = 0; k < n; k++) {
      const c = buf[at + k];
      bytes[w + k] = c;
      if ((c & 0xc0) !== 0x80) u += c >= 0xf0 ? 2 : 1;
    }
    at += n;
    w += n;
    units[r] = u;
  }
  const text = decoder.decode(bytes.subarray(0, w));
  let pos = 0;
  for (let r = 0; r < count; r++) {
    out.push(text.slice(pos, pos + units[r]));
    pos += units[r];
  }
  // Invalid UTF-8 decodes to U+FFFD, which the count does not follow: leave such a file to parquet-wasm.
  need(pos === text.length, 'a text is not valid UTF-8');
}

interface Column {
  leaf: Leaf;
  codec: number;
  start: number;
  size: number;
  values: number;
}

/** One column chunk's pages → strings appended to `out`, or floats copied to `floats` from `floatAt`. */
function readChunk(buf: Uint8Array, c: Column, rows: number, out: string[] | null, floats: Float32Array | null, floatAt: number): void {
  const r = new Reader(buf);
  let dictionary: string[] | null = null;
  let values = 0;
  const floatBytes = floats ? new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength) : null;
  while (values < c.values) {
    need(r.at < buf.length, 'pages end early');
    const header = r.struct();
    const type = field(header, 1)!.value as number;
    const uncompressed = field(header, 2)!.value as number;
    const compressed = field(header, 3)!.value as number;
    const body = buf.subarray(r.at, r.at + compressed);
    need(body.length === compressed, 'a page runs past its chunk');
    r.at += compressed;
    let page: Uint8Array;
    let levelsEnd = 0;
    let v2: Field[] | undefined;
    if (type === DATA_PAGE_V2) {
      v2 = field(header, 8)!.value as Field[];
      const defLen = field(v2, 5)!.value as number;
      const repLen = field(v2, 6)!.value as number;
      const isCompressed = (field(v2, 7)?.value as boolean | undefined) ?? true;
      levelsEnd = defLen + repLen;
      page = room('page', uncompressed);
      page.set(body.subarray(0, levelsEnd));
      if (c.codec === SNAPPY && isCompressed) snappyDecompress(body.subarray(levelsEnd), page.subarray(levelsEnd));
      else page.set(body.subarray(levelsEnd), levelsEnd);
    } else if (c.codec === SNAPPY) {
      page = room('page', uncompressed);
      snappyDecompress(body, page);
    } else page = body;
    if (type === DICTIONARY_PAGE) {
      const h = field(header, 7)!.value as Field[];
      need([PLAIN, PLAIN_DICTIONARY].includes(field(h, 2)!.value as number), 'dictionary encoding');
      dictionary = [];
      plainStrings(page, 0, page.length, field(h, 1)!.value as number, dictionary);
      continue;
    }
    need(type === DATA_PAGE || type === DATA_PAGE_V2, `page type ${type}`);
    const h = (v2 ?? (field(header, 5)!.value as Field[])) as Field[];
    const n = field(h, 1)!.value as number;
    const encoding = field(h, v2 ? 4 : 2)!.value as number;
    let at = 0;
    const { maxDef, maxRep } = c.leaf;
    if (v2) {
      need((field(v2, 2)?.value as number) === 0, 'nulls');
      const repLen = field(v2, 6)!.value as number;
      const defLen = field(v2, 5)!.value as number;
      if (maxDef > 0) need(hybrid(page, repLen, repLen + defLen, bitWidth(maxDef), n, null, maxDef), 'nulls');
      at = levelsEnd;
    } else {
      // Version 1: each level run prefixed by its byte length (rep levels first).
      for (const [max, check] of [[maxRep, false], [maxDef, true]] as const) {
        if (max === 0) continue;
        need((field(h, check ? 3 : 4)!.value as number) === RLE, 'level encoding');
        const len = (page[at] | (page[at + 1] << 8) | (page[at + 2] << 16) | (page[at + 3] << 24)) >>> 0;
        at += 4;
        if (check) need(hybrid(page, at, at + len, bitWidth(max), n, null, max), 'nulls');
        at += len;
      }
    }
    if (floatBytes) {
      need(encoding === PLAIN, 'float encoding');
      need(page.length - at >= n * 4, 'floats end early');
      floatBytes.set(page.subarray(at, at + n * 4), (floatAt + values) * 4);
    } else if (encoding === PLAIN) {
      plainStrings(page, at, page.length, n, out!);
    } else {
      need((encoding === RLE_DICTIONARY || encoding === PLAIN_DICTIONARY) && dictionary, 'text encoding');
      const width = page[at++];
      const ids = new Uint32Array(n);
      hybrid(page, at, page.length, width, n, ids);
      for (let i = 0; i < n; i++) {
        const s = dictionary![ids[i]];
        need(s !== undefined, 'dictionary index');
        out!.push(s);
      }
    }
    values += n;
  }
  need(values === c.values && (floats ? true : values === rows), 'value count');
}

export interface Footer {
  meta: Field[];
  /** The key-value metadata (ARROW:schema, embedscope). */
  keyValues: Map<string, string>;
  length: number;
}

/** A file's footer, read from its end; null when it cannot be parsed here (parquet-wasm then says why). */
export async function readFooterOf(blob: Blob): Promise<Footer | null> {
  try {
    const size = blob.size;
    const length = footerLength(new Uint8Array(await blob.slice(size - 8).arrayBuffer()));
    need(length + 12 <= size, 'footer');
    const meta = new Reader(new Uint8Array(await blob.slice(size - 8 - length, size - 8).arrayBuffer())).struct();
    return { meta, keyValues: keyValues(meta), length };
  } catch {
    return null;
  }
}

/**
 * The import's columns, read directly, or null when the file is not shaped as ours. `dims` and
 * the column names come from the schema the caller already checked (codec.ts checkSchema).
 */
export async function readDirect(blob: Blob, footer: Footer, dims: number, names: { text: string; source: string; hash: string | null; embedding: string }): Promise<DirectColumns | null> {
  try {
    const size = blob.size;
    const { meta, length: len } = footer;
    const leaves = leavesOf((field(meta, 2)!.value as List).items as Field[][]);
    const rows = field(meta, 3)!.value as number;
    const want = [names.embedding, names.text, names.source, ...(names.hash ? [names.hash] : [])];
    for (const name of want) need(leaves.filter((l) => l.top === name).length === 1, `column ${name}`);
    const embedding = new Float32Array(rows * dims);
    const texts: string[] = [];
    const sources: string[] = [];
    const hashes: string[] | null = names.hash ? [] : null;
    // Each row group's columns and the byte range holding them (they lie next to each other).
    const groups = (((field(meta, 4)?.value as List | undefined)?.items ?? []) as Field[][]).map((g) => {
      const groupRows = field(g, 3)!.value as number;
      const chunks = (field(g, 1)!.value as List).items as Field[][];
      need(chunks.length === leaves.length, 'columns');
      const columns = new Map<string, Column>();
      chunks.forEach((chunk, i) => {
        const leaf = leaves[i];
        if (!want.includes(leaf.top)) return;
        need(!field(chunk, 1), 'a column in another file');
        const cm = field(chunk, 3)!.value as Field[];
        const codec = field(cm, 4)!.value as number;
        need(codec === UNCOMPRESSED || codec === SNAPPY, `codec ${codec}`);
        const data = field(cm, 9)!.value as number;
        const dict = field(cm, 11)?.value as number | undefined;
        columns.set(leaf.top, { leaf, codec, start: dict !== undefined && dict > 0 && dict < data ? dict : data, size: field(cm, 7)!.value as number, values: field(cm, 5)!.value as number });
      });
      const vec = columns.get(names.embedding)!;
      need(vec.leaf.type === FLOAT && vec.leaf.maxRep === 1 && vec.values === groupRows * dims, 'embedding layout');
      for (const name of want.slice(1)) need(columns.get(name)!.leaf.type === BYTE_ARRAY && columns.get(name)!.leaf.maxRep === 0, `${name} layout`);
      const from = Math.min(...[...columns.values()].map((c) => c.start));
      const to = Math.max(...[...columns.values()].map((c) => c.start + c.size));
      need(from >= 4 && to <= size - 8 - len, 'a column outside the data');
      return { groupRows, columns, from, to };
    });
    need(groups.reduce((n, g) => n + g.groupRows, 0) === rows, 'row count');
    const read = (i: number) => {
      if (i >= groups.length) return null;
      const p = blob.slice(groups[i].from, groups[i].to).arrayBuffer();
      p.catch(() => {}); // a read failing while an earlier group throws is not left unhandled
      return p;
    };
    // The next two row groups are read from the file while one is decoded (one ahead left the
    // page's thread idle 1.45 of 5.2 s on 1M rows: a File's reads come in bursts).
    const ahead = [read(0), read(1)];
    let row = 0;
    for (let i = 0; i < groups.length; i++) {
      const { groupRows, columns, from } = groups[i];
      const bytes = new Uint8Array((await ahead.shift())!);
      ahead.push(read(i + 2));
      const slice = (c: Column) => bytes.subarray(c.start - from, c.start - from + c.size);
      const vec = columns.get(names.embedding)!;
      readChunk(slice(vec), vec, groupRows, null, embedding, row * dims);
      readChunk(slice(columns.get(names.text)!), columns.get(names.text)!, groupRows, texts, null, 0);
      readChunk(slice(columns.get(names.source)!), columns.get(names.source)!, groupRows, sources, null, 0);
      if (names.hash) readChunk(slice(columns.get(names.hash)!), columns.get(names.hash)!, groupRows, hashes!, null, 0);
      row += groupRows;
    }
    await Promise.all(ahead.map((p) => p?.catch(() => {})));
    need(row === rows && texts.length === rows && sources.length === rows && (!hashes || hashes.length === rows), 'row count');
    return { texts, sources, hashes, embedding };
  } catch {
    // Not shaped as ours (NotDirect), or damaged: parquet-wasm reads it, or says what is wrong.
    return null;
  }
}
