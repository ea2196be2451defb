/**
 * A minimal protobuf writer for ONNX models (onnx.proto, IR version 8, opset 17): the messages
 * a converter emits — ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto. Hand-written: the alternative is protobufjs plus a 900-line schema for
 * the six messages and ~15 fields we use.
 */

/** onnx.TensorProto.DataType */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

class Writer {
  private chunks: number[] = [];
  private parts: Uint8Array[] = [];
  private length = 0;

  private flush() {
    if (this.chunks.length) {
      this.parts.push(Uint8Array.from(this.chunks));
      this.length += this.chunks.length;
      this.chunks = [];
    }
  }

  varint(value: number | bigint) {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  tag(field: number, wire: 0 | 2 | 5) {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint) {
    this.tag(field, 0);
    this.varint(value);
  }

  bytes(field: number, data: Uint8Array) {
    this.tag(field, 2);
    this.varint(data.length);
    this.flush();
    this.parts.push(data);
    this.length += data.length;
  }

  string(field: number, s: string) {
    this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: Writer) => void) {
    const inner = new Writer();
    build(inner);
    this.bytes(field, inner.finish());
  }

  float(field: number, value: number) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.chunks.push(...b);
  }

  packedInts(field: number, values: (number | bigint)[]) {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export type AttributeValue = number | string | number[] | { floats: number[] } | { float: number } | { tensor: TensorValue };

export interface TensorValue {
  name?: string;
  dataType: DataTypeId;
  dims: number[];
  /** Little-endian raw bytes of the values. */
  raw: Uint8Array;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  elemType: DataTypeId;
  /** Numbers for fixed sizes, strings for symbolic ones ("batch"). */
  shape: (number | string)[];
}

export interface ModelSpec {
  graphName: string;
  nodes: NodeSpec[];
  initializers: TensorValue[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  opsets: { domain: string; version: number }[];
  producer: string;
  docString?: string;
  metadata?: Record<string, string>;
}

function writeTensor(w: Writer, t: TensorValue) {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.name) w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttribute(w: Writer, name: string, value: AttributeValue) {
  w.string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    w.int(3, value);
    w.int(20, 2); // INT
  } else if (typeof value === 'string') {
    w.string(4, value);
    w.int(20, 3); // STRING
  } else if (Array.isArray(value)) {
    w.packedInts(8, value);
    w.int(20, 7); // INTS
  } else if ('float' in value) {
    w.float(2, value.float);
    w.int(20, 1); // FLOAT
  } else if ('floats' in value) {
    for (const f of value.floats) w.float(7, f);
    w.int(20, 6); // FLOATS
  } else {
    w.message(5, (t) => writeTensor(t, value.tensor));
    w.int(20, 4); // TENSOR
  }
}

function writeValueInfo(w: Writer, v: ValueInfo) {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** One NodeProto / TensorProto on its own, for rewriting an existing graph field by field. */
export function encodeNode(n: NodeSpec): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, (a) => writeAttribute(a, k, v));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

export function encodeTensor(t: TensorValue): Uint8Array {
  const w = new Writer();
  writeTensor(w, t);
  return w.finish();
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version 8 (ONNX 1.10+, opset ≤ 17)
  w.string(2, spec.producer);
  if (spec.docString) w.string(6, spec.docString);
  w.message(7, (g) => {
    for (const n of spec.nodes) g.bytes(1, encodeNode(n));
    g.string(2, spec.graphName);
    for (const t of spec.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const i of spec.inputs) g.message(11, (v) => writeValueInfo(v, i));
    for (const o of spec.outputs) g.message(12, (v) => writeValueInfo(v, o));
  });
  for (const o of spec.opsets) {
    w.message(8, (op) => {
      if (o.domain) op.string(1, o.domain);
      op.int(2, o.version);
    });
  }
  for (const [key, value] of Object.entries(spec.metadata ?? {})) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}

export function rawOf(values: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
