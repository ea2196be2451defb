import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js';
import { convertUseLite, useLiteDir } from '../../models/build/use-lite.ts';
import { convertFp16, float32ToFloat16, quantizeInt8 } from '../../src/core/onnx/quantize.ts';
import { DataType, encodeModel, rawOf } from '../../src/core/onnx/proto.ts';
import { float16ToFloat32 } from '../../src/core/safetensors.ts';

// The use-lite tests convert the real model and run it three times in onnxruntime-node: the fp16 one
// took 48 s in a full unit run on 2 shared cores (AMD EPYC, load ~13), past the 30 s default.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

/** A small model with every weight kind the quantizer handles: Gather table, MatMul, Gemm, Conv. */
function tinyModel(): Uint8Array {
  let seed = 3;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
  const f = (name: string, dims: number[]) => ({ name, dataType: DataType.FLOAT, dims, raw: rawOf(rand(dims.reduce((a, b) => a * b, 1))) });
  return encodeModel({
    graphName: 'tiny', producer: 'test', opsets: [{ domain: '', version: 17 }],
    inputs: [{ name: 'ids', elemType: DataType.INT64, shape: ['n'] }],
    outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n', 64] }],
    initializers: [f('table', [100, 64]), f('w1', [64, 64]), f('w2', [64, 64]), f('kernel', [64, 64, 1]), { name: 'shape', dataType: DataType.INT64, dims: [3], raw: rawOf(new BigInt64Array([1n, 64n, -1n])) }, { name: 'back', dataType: DataType.INT64, dims: [2], raw: rawOf(new BigInt64Array([-1n, 64n])) }],
    nodes: [
      { op: 'Gather', inputs: ['table', 'ids'], outputs: ['e'] },
      { op: 'MatMul', inputs: ['e', 'w1'], outputs: ['h'] },
      { op: 'Gemm', inputs: ['h', 'w2'], outputs: ['g'], attributes: { transB: 1 } },
      { op: 'Transpose', inputs: ['g'], outputs: ['gt'], attributes: { perm: [1, 0] } },
      { op: 'Reshape', inputs: ['gt', 'shape'], outputs: ['c_in'] },
      { op: 'Conv', inputs: ['c_in', 'kernel'], outputs: ['c'] },
      { op: 'Transpose', inputs: ['c'], outputs: ['ct'], attributes: { perm: [0, 2, 1] } },
      { op: 'Reshape', inputs: ['ct', 'back'], outputs: ['y'] },
    ],
  });
}

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const out = await session.run(feeds);
  return out[session.outputNames[0]].data as Float32Array;
}

function meanRowCosine(a: Float32Array, b: Float32Array, dims: number) {
  let sum = 0;
  const rows = a.length / dims;
  for (let r = 0; r < rows; r++) {
    let dot = 0, na = 0, nb = 0;
    for (let d = 0; d < dims; d++) {
      dot += a[r * dims + d] * b[r * dims + d];
      na += a[r * dims + d] ** 2;
      nb += b[r * dims + d] ** 2;
    }
    sum += dot / Math.sqrt(na * nb);
  }
  return sum / rows;
}

describe('quantizer on a model with Gather, MatMul, Gemm and Conv weights', () => {
  const ids = { ids: new ort.Tensor('int64', BigInt64Array.from([3n, 7n, 99n, 0n]), [4]) };
  it.each(['qdq', 'dynamic'] as const)('%s int8 keeps the outputs (cosine ≥ 0.99) at under a third of the weight bytes', async (format) => {
    const fp32 = tinyModel();
    const { model, report } = quantizeInt8(fp32, format);
    expect(report.weights).toBe(4);
    expect(report.bytesAfter / report.bytesBefore).toBeLessThan(0.3);
    expect(meanRowCosine(await run(model, ids), await run(fp32, ids), 64)).toBeGreaterThan(0.99);
  });
  it('fp16 halves the weights and keeps the outputs (cosine ≥ 0.9999)', async () => {
    const fp32 = tinyModel();
    const { model, report } = convertFp16(fp32);
    expect(report.bytesAfter / report.bytesBefore).toBe(0.5);
    expect(meanRowCosine(await run(model, ids), await run(fp32, ids), 64)).toBeGreaterThanOrEqual(0.9999);
  });
  it('float32 → float16 rounds to nearest even and handles the edges', () => {
    for (const x of [0, 1, -2.5, 65504, 1e-5, 6.1e-5, 3.14159, -0.1]) expect(float16ToFloat32(float32ToFloat16(x))).toBeCloseTo(x, Math.abs(x) < 1 ? 3 : 1);
    expect(float32ToFloat16(1e6)).toBe(0x7c00); // overflow → Infinity
    expect(float32ToFloat16(1e-9)).toBe(0); // underflow → 0
  });
});

describe('quantizer refusals', () => {
  it('refuses an already-quantized model, a model without float weights, and bytes that are not ONNX', () => {
    const { model } = quantizeInt8(tinyModel(), 'qdq');
    expect(() => quantizeInt8(model)).toThrow('the model is already quantized (it has a DequantizeLinear node)');
    expect(() => convertFp16(model)).toThrow('already quantized');
    const intOnly = encodeModel({
      graphName: 'ints', producer: 'test', opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'x', elemType: DataType.INT64, shape: [2] }], outputs: [{ name: 'y', elemType: DataType.INT64, shape: [2] }],
      initializers: [{ name: 'k', dataType: DataType.INT64, dims: [2], raw: rawOf(new BigInt64Array([1n, 2n])) }],
      nodes: [{ op: 'Add', inputs: ['x', 'k'], outputs: ['y'] }],
    });
    expect(() => quantizeInt8(intOnly)).toThrow('the model has no float32 weights to quantize');
    expect(() => quantizeInt8(new TextEncoder().encode('definitely not a protobuf model {}'))).toThrow(/not an ONNX model/);
  });
});

describe('use-lite int8 and fp16', () => {
  let fp32: Uint8Array;
  let feeds: Record<string, ort.Tensor>;
  beforeAll(async () => {
    fp32 = await convertUseLite();
    const tok = new Tokenizer(JSON.parse(readFileSync(join(useLiteDir(), 'vocab.json'), 'utf8')));
    const texts = ['A man is eating food.', 'The girl is carrying a baby.', 'Stocks fell sharply on Monday.', 'Call me Ishmael.', 'Whales sing in the deep ocean.'];
    const ids = texts.map((t) => tok.encode(t) as number[]);
    const w = Math.max(...ids.map((r) => r.length));
    const a = new BigInt64Array(texts.length * w);
    const m = new BigInt64Array(texts.length * w);
    ids.forEach((r, i) => r.forEach((id, j) => ((a[i * w + j] = BigInt(id)), (m[i * w + j] = 1n))));
    feeds = { input_ids: new ort.Tensor('int64', a, [texts.length, w]), attention_mask: new ort.Tensor('int64', m, [texts.length, w]) };
  });

  it('int8 (both formats) is ≤ 0.30× the fp32 file and keeps mean cosine ≥ 0.99', async () => {
    const reference = await run(fp32, feeds);
    for (const format of ['dynamic', 'qdq'] as const) {
      const { model } = quantizeInt8(fp32, format);
      expect(model.length / fp32.length).toBeLessThanOrEqual(0.3);
      expect(meanRowCosine(await run(model, feeds), reference, 512)).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('fp16 is about half the file and agrees to cosine ≥ 0.9999', async () => {
    const { model } = convertFp16(fp32);
    expect(model.length / fp32.length).toBeLessThan(0.55);
    expect(meanRowCosine(await run(model, feeds), await run(fp32, feeds), 512)).toBeGreaterThanOrEqual(0.9999);
  });
});
