/**
 * Post-training weight quantization of any fp32 ONNX model, in Node or in a browser worker:
 * - int8: weights of MatMul / Gemm / Conv and Gather embedding tables become int8 with one
 *   symmetric scale per output channel (per row for tables). Two formats:
 *   'qdq'     — DequantizeLinear(int8 weight) feeding the original op (weight-only; runs on every
 *               execution provider, WebGPU included);
 *   'dynamic' — MatMuls become DynamicQuantizeLinear + MatMulInteger (int8 arithmetic on CPU; no
 *               WebGPU kernel in onnxruntime-web 1.30). Gather tables are gathered as int8 rows and
 *               scaled after (Gather → Cast → Mul); other weights use QDQ.
 * - fp16: float weights stored as float16 and cast back to float32 in the graph (half the file;
 *   arithmetic stays fp32).
 * The model is rewritten field by field (proto-read.ts): everything else survives unchanged.
 */
import { DataType, encodeNode, encodeTensor, rawOf, type NodeSpec, type TensorValue } from './proto.ts';
import { ints, readFields, text, writeFields, type Field } from './proto-read.ts';

export class QuantizeError extends Error {
  override name = 'QuantizeError';
}

export type Int8Format = 'qdq' | 'dynamic';

export interface QuantizeReport {
  weights: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Float weights left as they were, with why. */
  skipped: string[];
}

export interface Initializer {
  index: number;
  name: string;
  dataType: number;
  dims: number[];
  values: Float32Array | null;
}

export interface Node {
  index: number;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Field[];
}

const ALREADY_QUANTIZED = new Set([
  'DequantizeLinear', 'QuantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv', 'MatMulNBits', 'MatMulIntegerToFloat',
]);
/** Weight range for MatMulInteger: 7 bits, so no CPU kernel's 16-bit pair sums overflow (see quantizePerChannel). */
const MATMUL_INTEGER_LIMIT = 63;
/** Below this many values a weight is not worth its scale vector and extra node. */
export const MIN_ELEMENTS = 1024;

export function parse(model: Uint8Array) {
  let top: Field[];
  try {
    top = readFields(model);
  } catch (err) {
    throw new QuantizeError(`not an ONNX model: ${(err as Error).message}`);
  }
  const graphField = top.find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) throw new QuantizeError('not an ONNX model: it has no graph');
  const graph = readFields(graphField.bytes!);
  const nodes: Node[] = [];
  const inits: Initializer[] = [];
  graph.forEach((f, index) => {
    if (f.field === 1 && f.wire === 2) {
      const n = readFields(f.bytes!);
      nodes.push({
        index,
        op: text(n.find((x) => x.field === 4)?.bytes),
        domain: text(n.find((x) => x.field === 7)?.bytes),
        inputs: n.filter((x) => x.field === 1).map((x) => text(x.bytes)),
        outputs: n.filter((x) => x.field === 2).map((x) => text(x.bytes)),
        attrs: n.filter((x) => x.field === 5),
      });
    } else if (f.field === 5 && f.wire === 2) {
      const t = readFields(f.bytes!);
      const dataType = Number(t.find((x) => x.field === 2)?.value ?? 0);
      const dims = ints(t, 1).map(Number);
      const count = dims.reduce((a, b) => a * b, 1);
      let values: Float32Array | null = null;
      if (dataType === DataType.FLOAT) {
        const raw = t.find((x) => x.field === 9)?.bytes;
        const packed = t.find((x) => x.field === 4)?.bytes;
        const src = raw ?? packed;
        if (src && src.length === count * 4) values = new Float32Array(src.slice().buffer);
      }
      inits.push({ index, name: text(t.find((x) => x.field === 8)?.bytes), dataType, dims, values });
    }
  });
  return { top, graphField, graph, nodes, inits };
}

function attrInt(n: Node, name: string, fallback: number): number {
  for (const a of n.attrs) {
    const f = readFields(a.bytes!);
    if (text(f.find((x) => x.field === 1)?.bytes) === name) return Number(BigInt.asIntN(64, f.find((x) => x.field === 3)?.value ?? 0n));
  }
  return fallback;
}

/**
 * Symmetric int8 per channel along `axis` (0: rows, 1: columns of a 2-D weight; 0 for Conv), to
 * ±`limit`. MatMulInteger weights use ±63 (7 bits, onnxruntime's `reduce_range`): on x86 CPUs
 * without VNNI, onnxruntime's u8×s8 kernel adds pairs of products in 16 bits, and 255·127·2
 * overflows that while 255·63·2 does not. Measured on an AVX2 EPYC with use-lite: mean cosine to
 * fp32 0.988 with ±127 (saturated sums), see the test for ±63; WASM has no such overflow, and
 * loses little from the dropped bit.
 */
export function quantizePerChannel(values: Float32Array, dims: number[], axis: number, limit = 127) {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(values[i]));
  }
  const scales = maxAbs.map((m) => m / limit || 1);
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.round(values[i] / scales[Math.floor(i / inner) % channels]);
  return { q, scales };
}

/**
 * An embedding table read by Gather, as int8 rows with one scale per row, gathered before they are
 * widened: a table dequantized whole (DequantizeLinear before Gather) costs every run the whole
 * table — 2M values for use-lite, ~3 ms a run and more than its int8 matmuls at one sentence — so
 * the cost follows the tokens, not the vocabulary. Adds the initializers, sets each consumer's
 * replacement (Gather → Cast → Gather scales → Mul) and returns the codes and scales for the report.
 * Used by quantizeInt8 ('dynamic') and quantizeQ4 alike.
 */
export function gatherInt8Rows(w: Initializer & { values: Float32Array }, consumers: Node[], addInits: TensorValue[], replace: Map<number, NodeSpec[]>) {
  const { q, scales } = quantizePerChannel(w.values, w.dims, 0);
  addInits.push(
    { name: `${w.name}_quantized`, dataType: DataType.INT8, dims: w.dims, raw: rawOf(q) },
    // [rows, 1]: a gathered scale broadcasts over its row without a reshape.
    { name: `${w.name}_row_scale`, dataType: DataType.FLOAT, dims: [scales.length, 1], raw: rawOf(scales) },
  );
  for (const n of consumers) {
    const [, ids] = n.inputs;
    const [y] = n.outputs;
    const base = `${y}_gathered`;
    replace.set(n.index, [
      { op: 'Gather', inputs: [`${w.name}_quantized`, ids], outputs: [`${base}/int8`], name: `${base}/rows`, attributes: { axis: 0 } },
      { op: 'Cast', inputs: [`${base}/int8`], outputs: [`${base}/float`], name: `${base}/cast`, attributes: { to: DataType.FLOAT } },
      { op: 'Gather', inputs: [`${w.name}_row_scale`, ids], outputs: [`${base}/scale`], name: `${base}/scales`, attributes: { axis: 0 } },
      { op: 'Mul', inputs: [`${base}/float`, `${base}/scale`], outputs: [y], name: `${base}/rescale` },
    ]);
  }
  return { q, scales };
}

export function refuseIfQuantized(nodes: Node[], inits: Initializer[]) {
  const done = nodes.find((n) => ALREADY_QUANTIZED.has(n.op));
  if (done) throw new QuantizeError(`the model is already quantized (it has a ${done.op} node); quantize its fp32 original instead`);
  if (!inits.some((i) => i.dataType === DataType.FLOAT)) {
    throw new QuantizeError('the model has no float32 weights to quantize (is it already int8 or fp16?)');
  }
}

export function rebuild(p: ReturnType<typeof parse>, drop: Set<number>, addInits: TensorValue[], addNodesFirst: NodeSpec[], replace: Map<number, NodeSpec[]>): Uint8Array {
  const graph: Field[] = [];
  let insertedFirst = false;
  p.graph.forEach((f, index) => {
    if (drop.has(index)) return;
    if (f.field === 1 && !insertedFirst) {
      for (const n of addNodesFirst) graph.push({ field: 1, wire: 2, bytes: encodeNode(n) });
      insertedFirst = true;
    }
    const replacement = replace.get(index);
    if (replacement) for (const n of replacement) graph.push({ field: 1, wire: 2, bytes: encodeNode(n) });
    else graph.push(f);
  });
  for (const t of addInits) graph.push({ field: 5, wire: 2, bytes: encodeTensor(t) });
  const top = p.top.map((f) => (f === p.graphField ? { ...f, bytes: writeFields(graph) } : f));
  return writeFields(top);
}

export function quantizeInt8(model: Uint8Array, format: Int8Format = 'qdq'): { model: Uint8Array; report: QuantizeReport } {
  const p = parse(model);
  refuseIfQuantized(p.nodes, p.inits);
  const byName = new Map(p.inits.map((i) => [i.name, i]));
  const drop = new Set<number>();
  const addInits: TensorValue[] = [];
  const dqNodes: NodeSpec[] = [];
  const replace = new Map<number, NodeSpec[]>();
  const dequantized = new Set<string>();
  const skipped: string[] = [];
  let weights = 0;
  let bytesBefore = 0;
  let bytesAfter = 0;

  const weightAxis = (n: Node, w: Initializer): number | null => {
    if (n.op === 'MatMul' && n.inputs[1] === w.name && w.dims.length === 2) return 1;
    if (n.op === 'Gemm' && n.inputs[1] === w.name && w.dims.length === 2) return attrInt(n, 'transB', 0) ? 0 : 1;
    if (n.op === 'Conv' && n.inputs[1] === w.name && w.dims.length >= 3) return 0;
    if (n.op === 'Gather' && n.inputs[0] === w.name && w.dims.length === 2 && attrInt(n, 'axis', 0) === 0) return 0;
    return null;
  };

  const qdq = (w: Initializer, axis: number) => {
    if (dequantized.has(w.name)) return;
    const { q, scales } = quantizePerChannel(w.values!, w.dims, axis);
    addInits.push(
      { name: `${w.name}_quantized`, dataType: DataType.INT8, dims: w.dims, raw: rawOf(q) },
      { name: `${w.name}_scale`, dataType: DataType.FLOAT, dims: [scales.length], raw: rawOf(scales) },
      { name: `${w.name}_zero_point`, dataType: DataType.INT8, dims: [scales.length], raw: new Uint8Array(scales.length) },
    );
    // The DequantizeLinear output takes the weight's name, so its consumers need no change.
    dqNodes.push({ op: 'DequantizeLinear', inputs: [`${w.name}_quantized`, `${w.name}_scale`, `${w.name}_zero_point`], outputs: [w.name], name: `${w.name}_DequantizeLinear`, attributes: { axis } });
    drop.add(w.index);
    dequantized.add(w.name);
    weights++;
    bytesBefore += w.values!.byteLength;
    bytesAfter += q.byteLength + scales.byteLength * 1.25;
  };

  for (const w of p.inits) {
    if (w.dataType !== DataType.FLOAT || !w.values) continue;
    const consumers = p.nodes.filter((n) => n.inputs.includes(w.name));
    const axes = consumers.map((n) => weightAxis(n, w));
    if (consumers.length === 0 || axes.some((a) => a === null)) continue; // not (only) a weight
    if (w.values.length < MIN_ELEMENTS) {
      skipped.push(`${w.name}: ${w.values.length} values, too small to gain`);
      continue;
    }
    if (new Set(axes).size > 1) {
      skipped.push(`${w.name}: used along different axes`);
      continue;
    }
    const onlyMatMul = consumers.every((n) => n.op === 'MatMul');
    const onlyGather = consumers.every((n) => n.op === 'Gather');
    if (format === 'dynamic' && onlyGather) {
      const { q, scales } = gatherInt8Rows(w as typeof w & { values: Float32Array }, consumers, addInits, replace);
      drop.add(w.index);
      weights++;
      bytesBefore += w.values.byteLength;
      bytesAfter += q.byteLength + scales.byteLength;
    } else if (format === 'dynamic' && onlyMatMul) {
      const { q, scales } = quantizePerChannel(w.values, w.dims, 1, MATMUL_INTEGER_LIMIT);
      addInits.push(
        { name: `${w.name}_quantized`, dataType: DataType.INT8, dims: w.dims, raw: rawOf(q) },
        { name: `${w.name}_scale`, dataType: DataType.FLOAT, dims: [scales.length], raw: rawOf(scales) },
        { name: `${w.name}_zero_point`, dataType: DataType.INT8, dims: [scales.length], raw: new Uint8Array(scales.length) },
      );
      for (const n of consumers) {
        const [a] = n.inputs;
        const [y] = n.outputs;
        const base = `${y}_dynamic`;
        replace.set(n.index, [
          { op: 'DynamicQuantizeLinear', inputs: [a], outputs: [`${base}/a_q`, `${base}/a_scale`, `${base}/a_zero_point`], name: `${base}/quantize` },
          { op: 'MatMulInteger', inputs: [`${base}/a_q`, `${w.name}_quantized`, `${base}/a_zero_point`, `${w.name}_zero_point`], outputs: [`${base}/int32`], name: `${base}/matmul` },
          { op: 'Cast', inputs: [`${base}/int32`], outputs: [`${base}/float`], name: `${base}/cast`, attributes: { to: DataType.FLOAT } },
          { op: 'Mul', inputs: [`${base}/a_scale`, `${w.name}_scale`], outputs: [`${base}/scale`], name: `${base}/scale` },
          { op: 'Mul', inputs: [`${base}/float`, `${base}/scale`], outputs: [y], name: `${base}/rescale` },
        ]);
      }
      drop.add(w.index);
      weights++;
      bytesBefore += w.values.byteLength;
      bytesAfter += q.byteLength + scales.byteLength * 1.25;
    } else {
      qdq(w, axes[0]!);
    }
  }
  if (weights === 0) throw new QuantizeError('found no MatMul, Gemm, Conv or Gather weights to quantize');
  return { model: rebuild(p, drop, addInits, dqNodes, replace), report: { weights, bytesBefore, bytesAfter, skipped } };
}

export function float32ToFloat16(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // round to nearest even (may carry into the exponent: fine)
  return sign | half;
}

export function convertFp16(model: Uint8Array): { model: Uint8Array; report: QuantizeReport } {
  const p = parse(model);
  refuseIfQuantized(p.nodes, p.inits);
  const drop = new Set<number>();
  const addInits: TensorValue[] = [];
  const casts: NodeSpec[] = [];
  let weights = 0;
  let bytesBefore = 0;
  let bytesAfter = 0;
  for (const w of p.inits) {
    if (w.dataType !== DataType.FLOAT || !w.values || w.values.length < 16) continue;
    const half = Uint16Array.from(w.values, float32ToFloat16);
    addInits.push({ name: `${w.name}_fp16`, dataType: DataType.FLOAT16, dims: w.dims, raw: rawOf(half) });
    casts.push({ op: 'Cast', inputs: [`${w.name}_fp16`], outputs: [w.name], name: `${w.name}_to_fp32`, attributes: { to: DataType.FLOAT } });
    drop.add(w.index);
    weights++;
    bytesBefore += w.values.byteLength;
    bytesAfter += half.byteLength;
  }
  if (weights === 0) throw new QuantizeError('the model has no float32 weights to convert');
  return { model: rebuild(p, drop, addInits, casts, new Map()), report: { weights, bytesBefore, bytesAfter, skipped: [] } };
}
