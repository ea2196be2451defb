/**
 * 4-bit weights for any fp32 ONNX model (transformers.js's `q4`): every MatMul whose second input
 * is a 2-D weight [K, N] becomes MatMulNBits (com.microsoft, bits 4, blocks of 32 along K), which
 * onnxruntime-web runs on WASM and on WebGPU — unlike MatMulInteger (our int8), which has no
 * WebGPU kernel. Gather embedding tables keep int8 rows with one scale per row, gathered before
 * they are widened (as quantizeInt8's 'dynamic' does): 4 bits per table value would cost an
 * unpacking subgraph per lookup for the last ~0.05× of the file.
 *
 * Two flavours, measured on use-lite (see README, "4-bit"):
 * - 'symmetric': q = round(w / s) + 8 with s = (the block's value of largest magnitude) / −8, so
 *   that value maps to −8 exactly and the rest fit [−8, 7]; no zero points stored (MatMulNBits
 *   then assumes 8);
 * - 'asymmetric': s = (max − min) / 15 over [min(0, lo), max(0, hi)] and a 4-bit zero point per
 *   block, packed two to a byte — the range follows skewed blocks, for 1/64 byte per weight more.
 *
 * MatMulNBits's B is [N, K/32, 16] uint8: for output column n, block b, the 32 weights
 * W[b·32 + j, n], two per byte, the even j in the low nibble. K not a multiple of 32 is padded with
 * zeros (they meet no input: A has K columns).
 */
import { DataType, rawOf, type NodeSpec, type TensorValue } from './proto.ts';
import { readFields, text, writeFields, type Field } from './proto-read.ts';
import { MIN_ELEMENTS, QuantizeError, gatherInt8Rows, parse, rebuild, refuseIfQuantized, type QuantizeReport } from './quantize.ts';

export type Q4Format = 'symmetric' | 'asymmetric';
export const Q4_BLOCK = 32;

/** One weight [K, N] → MatMulNBits inputs. Exported for tests (dequantize and compare). */
export function quantizeBlocks4(values: Float32Array, K: number, N: number, format: Q4Format, block = Q4_BLOCK) {
  const blocks = Math.ceil(K / block);
  const blob = block / 2;
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  const zeroBytes = Math.ceil(blocks / 2);
  const zeros = format === 'asymmetric' ? new Uint8Array(N * zeroBytes) : null;
  const q = new Uint8Array(block);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * block;
      const k1 = Math.min(K, k0 + block);
      let scale: number;
      let zp: number;
      if (format === 'symmetric') {
        let big = 0;
        for (let k = k0; k < k1; k++) {
          const v = values[k * N + n];
          if (Math.abs(v) > Math.abs(big)) big = v;
        }
        scale = big / -8 || 1;
        zp = 8;
      } else {
        let lo = 0;
        let hi = 0;
        for (let k = k0; k < k1; k++) {
          const v = values[k * N + n];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        scale = (hi - lo) / 15 || 1;
        zp = Math.min(15, Math.max(0, Math.round(-lo / scale)));
      }
      q.fill(zp); // padding dequantizes to exactly 0
      for (let k = k0; k < k1; k++) q[k - k0] = Math.min(15, Math.max(0, Math.round(values[k * N + n] / scale) + zp));
      const at = (n * blocks + b) * blob;
      for (let j = 0; j < blob; j++) packed[at + j] = q[2 * j] | (q[2 * j + 1] << 4);
      scales[n * blocks + b] = scale;
      if (zeros) zeros[n * zeroBytes + (b >> 1)] |= zp << ((b & 1) * 4);
    }
  }
  return { packed, scales, zeros, blocks, blob };
}

/** Adds `domain` at `version` to the model's opset imports unless it is there. */
function withOpset(model: Uint8Array, domain: string, version: number): Uint8Array {
  const top = readFields(model);
  const has = top.some((f) => f.field === 8 && f.wire === 2 && text(readFields(f.bytes!).find((x) => x.field === 1)?.bytes) === domain);
  if (has) return model;
  const opset: Field[] = [
    { field: 1, wire: 2, bytes: new TextEncoder().encode(domain) },
    { field: 2, wire: 0, value: BigInt(version) },
  ];
  return writeFields([...top, { field: 8, wire: 2, bytes: writeFields(opset) }]);
}

export function quantizeQ4(model: Uint8Array, format: Q4Format = 'symmetric'): { model: Uint8Array; report: QuantizeReport } {
  const p = parse(model);
  refuseIfQuantized(p.nodes, p.inits);
  const drop = new Set<number>();
  const addInits: TensorValue[] = [];
  const replace = new Map<number, NodeSpec[]>();
  const skipped: string[] = [];
  let weights = 0;
  let bytesBefore = 0;
  let bytesAfter = 0;
  for (const w of p.inits) {
    if (w.dataType !== DataType.FLOAT || !w.values) continue;
    const consumers = p.nodes.filter((n) => n.inputs.includes(w.name));
    if (consumers.length === 0) continue;
    const asMatMulB = consumers.every((n) => n.op === 'MatMul' && n.inputs[1] === w.name && n.inputs[0] !== w.name) && w.dims.length === 2;
    const asTable = consumers.every((n) => n.op === 'Gather' && n.inputs[0] === w.name) && w.dims.length === 2;
    if (!asMatMulB && !asTable) continue;
    if (w.values.length < MIN_ELEMENTS) {
      skipped.push(`${w.name}: ${w.values.length} values, too small to gain`);
      continue;
    }
    if (asMatMulB) {
      const [K, N] = w.dims;
      const { packed, scales, zeros, blocks, blob } = quantizeBlocks4(w.values, K, N, format);
      addInits.push(
        { name: `${w.name}_q4`, dataType: DataType.UINT8, dims: [N, blocks, blob], raw: packed },
        { name: `${w.name}_q4_scales`, dataType: DataType.FLOAT, dims: [N * blocks], raw: rawOf(scales) },
      );
      if (zeros) addInits.push({ name: `${w.name}_q4_zero_points`, dataType: DataType.UINT8, dims: [zeros.length], raw: zeros });
      for (const n of consumers) {
        replace.set(n.index, [
          {
            op: 'MatMulNBits',
            domain: 'com.microsoft',
            inputs: [n.inputs[0], `${w.name}_q4`, `${w.name}_q4_scales`, ...(zeros ? [`${w.name}_q4_zero_points`] : [])],
            outputs: n.outputs,
            name: `${n.outputs[0]}_MatMulNBits`,
            attributes: { K, N, bits: 4, block_size: Q4_BLOCK },
          },
        ]);
      }
      bytesAfter += packed.byteLength + scales.byteLength + (zeros?.byteLength ?? 0);
    } else {
      const { q, scales } = gatherInt8Rows(w as typeof w & { values: Float32Array }, consumers, addInits, replace);
      bytesAfter += q.byteLength + scales.byteLength;
    }
    drop.add(w.index);
    weights++;
    bytesBefore += w.values.byteLength;
  }
  if (weights === 0) throw new QuantizeError('found no MatMul weights or Gather tables to quantize to 4 bits');
  return { model: withOpset(rebuild(p, drop, addInits, [], replace), 'com.microsoft', 1), report: { weights, bytesBefore, bytesAfter, skipped } };
}
