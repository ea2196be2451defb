/**
 * The q4 writer (MatMulNBits, blocks of 32): its blocks dequantize to the weights within half a
 * step, onnxruntime-node runs the result close to the fp32 source, use-lite shrinks to ≤ 0.20×,
 * and a runtime with no kernel for the op gets a message that says so.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { quantizeBlocks4, quantizeQ4 } from '../../src/core/onnx/quantize-q4.ts';
import { DataType, encodeModel, rawOf } from '../../src/core/onnx/proto.ts';
import { loadTransformerModel, type OrtModule } from '../../src/core/models/transformer.ts';
import { memoryFiles, wordPieceTokenizer } from '../helpers/tiny-model.ts';

let seed = 5;
const rand = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);

function dequantize(b: ReturnType<typeof quantizeBlocks4>, K: number, N: number) {
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const blk = k >> 5;
      const byte = b.packed[(n * b.blocks + blk) * b.blob + ((k & 31) >> 1)];
      const q = k & 1 ? byte >> 4 : byte & 15;
      const zp = b.zeros ? (b.zeros[n * Math.ceil(b.blocks / 2) + (blk >> 1)] >> ((blk & 1) * 4)) & 15 : 8;
      out[k * N + n] = (q - zp) * b.scales[n * b.blocks + blk];
    }
  }
  return out;
}

describe('q4 (MatMulNBits) writer', () => {
  for (const format of ['symmetric', 'asymmetric'] as const) {
    it(`${format} blocks dequantize to each weight within half a step (K = 70, not a multiple of 32)`, () => {
      const [K, N] = [70, 5];
      const w = rand(K * N);
      const b = quantizeBlocks4(w, K, N, format);
      expect(b.packed.length).toBe(N * 3 * 16);
      const back = dequantize(b, K, N);
      for (let i = 0; i < w.length; i++) {
        const n = i % N;
        const step = Math.abs(b.scales[n * b.blocks + (Math.floor(i / N) >> 5)]);
        // Symmetric maps the block's largest magnitude to −8 exactly; the opposite extreme can only
        // reach +7, so it may be one step off (onnxruntime's own 4-bit quantizer does the same).
        expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual((format === 'symmetric' ? step : step / 2) + 1e-6);
      }
    });
  }

  it('runs in onnxruntime-node close to the fp32 graph, and refuses a model already quantized', async () => {
    const model = encodeModel({
      graphName: 'mm', producer: 'test', opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['n', 96] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['n', 40] }],
      initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [96, 40], raw: rawOf(rand(96 * 40)) }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    const { model: q4, report } = quantizeQ4(model);
    expect(report).toMatchObject({ weights: 1, bytesBefore: 96 * 40 * 4 });
    expect(report.bytesAfter).toBe(40 * 3 * 16 + 40 * 3 * 4);
    const x = new ort.Tensor('float32', rand(4 * 96), [4, 96]);
    const run = async (m: Uint8Array) => (await (await ort.InferenceSession.create(m)).run({ x })).y.data as Float32Array;
    const [a, b] = [await run(model), await run(q4)];
    for (let r = 0; r < 4; r++) {
      let ab = 0, aa = 0, bb = 0;
      for (let d = 0; d < 40; d++) ((ab += a[r * 40 + d] * b[r * 40 + d]), (aa += a[r * 40 + d] ** 2), (bb += b[r * 40 + d] ** 2));
      expect(ab / Math.sqrt(aa * bb)).toBeGreaterThanOrEqual(0.99);
    }
    expect(() => quantizeQ4(q4)).toThrow(/already quantized \(it has a MatMulNBits node\)/);
  });

  it('says so when the runtime has no MatMulNBits kernel for the model', async () => {
    // MatMulNBits's schema admits bfloat16 inputs; onnxruntime's CPU provider has no bfloat16 kernel for it.
    const blocks = 1;
    const BFLOAT16 = 16 as typeof DataType.FLOAT;
    const model = encodeModel({
      graphName: 'nokernel', producer: 'test', opsets: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
      inputs: [
        { name: 'input_ids', elemType: DataType.INT64, shape: ['b', 'l'] },
        { name: 'attention_mask', elemType: DataType.INT64, shape: ['b', 'l'] },
      ],
      outputs: [{ name: 'last_hidden_state', elemType: DataType.FLOAT, shape: ['b', 'l', 4] }],
      initializers: [
        { name: 'table', dataType: BFLOAT16, dims: [5, 32], raw: new Uint8Array(320).fill(0x3f) },
        { name: 'b', dataType: DataType.UINT8, dims: [4, blocks, 16], raw: new Uint8Array(64).fill(0x99) },
        { name: 's', dataType: BFLOAT16, dims: [4], raw: new Uint8Array(8).fill(0x3f) },
      ],
      nodes: [
        { op: 'Gather', inputs: ['table', 'input_ids'], outputs: ['e'], attributes: { axis: 0 } },
        { op: 'MatMulNBits', domain: 'com.microsoft', inputs: ['e', 'b', 's'], outputs: ['h'], attributes: { K: 32, N: 4, bits: 4, block_size: 32 } },
        { op: 'Cast', inputs: ['h'], outputs: ['last_hidden_state'], attributes: { to: DataType.FLOAT } },
      ],
    });
    const files = memoryFiles({ 'tokenizer.json': new TextEncoder().encode(JSON.stringify(wordPieceTokenizer())), 'onnx/model_q4.onnx': model });
    await expect(loadTransformerModel(files, { id: 'x', dtype: 'q4', ort: ort as unknown as OrtModule, backend: 'node' })).rejects.toThrow(
      'onnx/model_q4.onnx: this runtime (node) has no MatMulNBits kernel (com.microsoft) for this model, which q4 and q4f16 files use',
    );
  });

  const useLite = join(process.cwd(), 'public/models/use-lite/onnx/model.onnx');
  it.skipIf(!existsSync(useLite))('shrinks use-lite to at most 0.20× its fp32 bytes', () => {
    const fp32 = new Uint8Array(readFileSync(useLite));
    const { model, report } = quantizeQ4(fp32, 'symmetric');
    expect(model.byteLength / fp32.byteLength).toBeLessThanOrEqual(0.2);
    expect(report.weights).toBe(11); // 10 MatMuls + the embedding table
  });
});
