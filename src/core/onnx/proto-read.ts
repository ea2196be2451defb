/**
 * Reading ONNX models for rewriting (the quantizer): a protobuf message is kept as its list of
 * fields, each with its raw bytes, so whatever we do not touch (value_info, metadata, subgraphs,
 * fields newer than this code) is written back byte for byte.
 */
export interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  value?: bigint;
  /** payload (wire 1, 2, 5) */
  bytes?: Uint8Array;
}

export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buf.length) throw new Error('truncated protobuf (inside a varint)');
      const byte = buf[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('malformed protobuf varint');
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new Error('malformed protobuf: field number 0');
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (at + n > buf.length) throw new Error('truncated protobuf (inside a fixed-width field)');
      fields.push({ field, wire, bytes: buf.subarray(at, at + n) });
      at += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (at + n > buf.length) throw new Error(`truncated protobuf: a field needs ${n} bytes, ${buf.length - at} remain`);
      fields.push({ field, wire, bytes: buf.subarray(at, at + n) });
      at += n;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return fields;
}

function varintBytes(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function writeFields(fields: Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let length = 0;
  const push = (p: Uint8Array) => {
    parts.push(p);
    length += p.length;
  };
  for (const f of fields) {
    push(Uint8Array.from(varintBytes(BigInt((f.field << 3) | f.wire))));
    if (f.wire === 0) push(Uint8Array.from(varintBytes(f.value!)));
    else {
      if (f.wire === 2) push(Uint8Array.from(varintBytes(BigInt(f.bytes!.length))));
      push(f.bytes!);
    }
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : '');

/** Packed or unpacked repeated int64 (dims, ints attributes). */
export function ints(fields: Field[], field: number): bigint[] {
  const out: bigint[] = [];
  for (const f of fields.filter((x) => x.field === field)) {
    if (f.wire === 0) out.push(f.value!);
    else for (const g of readPackedVarints(f.bytes!)) out.push(g);
  }
  return out;
}

function readPackedVarints(buf: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let at = 0;
  while (at < buf.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
      shift += 7n;
    }
    out.push(result);
  }
  return out;
}
