/**
 * Thrift's compact protocol, read into and written from a generic tree of fields (ids and types,
 * no schema needed): enough for Parquet's footer and page headers (parquet.thrift), so that
 * concat.ts can rewrite a footer and direct.ts can read one. Fields it does not know pass through.
 */
export const T_STOP = 0;
export const T_TRUE = 1;
export const T_FALSE = 2;
export const T_BYTE = 3;
export const T_I16 = 4;
export const T_I32 = 5;
export const T_I64 = 6;
export const T_DOUBLE = 7;
export const T_BINARY = 8;
export const T_LIST = 9;
export const T_SET = 10;
export const T_MAP = 11;
export const T_STRUCT = 12;

export type Value = number | boolean | Uint8Array | Field[] | List;
export interface Field {
  id: number;
  type: number;
  value: Value;
}
export interface List {
  elem: number;
  items: Value[];
}

export class Reader {
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

export class Writer {
  private b: Uint8Array;
  at = 0;
  constructor(size = 1 << 16) {
    this.b = new Uint8Array(size);
  }
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

export const field = (s: Field[], id: number) => s.find((f) => f.id === id);

/** parquet.thrift's enums and the file's magic bytes, for the reader (direct.ts), the writer and concat.ts. */
export const FILE_MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"
// Physical types
export const INT32 = 1;
export const FLOAT = 4;
export const BYTE_ARRAY = 6;
export const FIXED_LEN_BYTE_ARRAY = 7;
// Repetition
export const REQUIRED = 0;
export const OPTIONAL = 1;
export const REPEATED = 2;
// Codecs
export const UNCOMPRESSED = 0;
export const SNAPPY = 1;
// Page types
export const DATA_PAGE = 0;
export const DICTIONARY_PAGE = 2;
export const DATA_PAGE_V2 = 3;
// Encodings
export const PLAIN = 0;
export const PLAIN_DICTIONARY = 2;
export const RLE = 3;
export const RLE_DICTIONARY = 8;
// Converted types
export const UTF8 = 0;
export const LIST = 3;
export const UINT_8 = 11;
export const INT_8 = 15;
