/**
 * 4-bit weights from our own quantizer: a model written by our ONNX writer, quantized to q4
 * (MatMulNBits, blocks of 32) in Node, loads in the page on WASM and on WebGPU (SwiftShader here:
 * parity only) and stays within cosine 0.99 of its fp32 source.
 */
import { expect, test } from '@playwright/test';
import { DataType, encodeModel, rawOf } from '../../src/core/onnx/proto.ts';
import { quantizeQ4 } from '../../src/core/onnx/quantize-q4.ts';
import { wordPieceTokenizer } from '../helpers/tiny-model.ts';

function tinyEncoder(): Uint8Array {
  let seed = 11;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
  const f = (name: string, dims: number[]) => ({ name, dataType: DataType.FLOAT, dims, raw: rawOf(rand(dims.reduce((a, b) => a * b, 1))) });
  return encodeModel({
    graphName: 'tiny-encoder', producer: 'test', opsets: [{ domain: '', version: 17 }],
    inputs: [
      { name: 'input_ids', elemType: DataType.INT64, shape: ['b', 'l'] },
      { name: 'attention_mask', elemType: DataType.INT64, shape: ['b', 'l'] },
    ],
    outputs: [{ name: 'last_hidden_state', elemType: DataType.FLOAT, shape: ['b', 'l', 96] }],
    // K = 80 is not a multiple of 32: the last block is padded.
    initializers: [f('table', [5, 80]), f('w1', [80, 64]), f('w2', [64, 96])],
    nodes: [
      { op: 'Gather', inputs: ['table', 'input_ids'], outputs: ['e'], attributes: { axis: 0 } },
      { op: 'MatMul', inputs: ['e', 'w1'], outputs: ['h'] },
      { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'w2'], outputs: ['last_hidden_state'] },
    ],
  });
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`a q4 model from our quantizer runs on ${backend} within cosine 0.99 of its fp32 source`, async ({ page }) => {
    test.setTimeout(120_000);
    const fp32 = tinyEncoder();
    const { model: q4, report } = quantizeQ4(fp32, 'symmetric');
    expect(report.weights).toBe(2); // the two MatMuls; the 400-value table is too small to gain
    await page.goto('/');
    const out = await page.evaluate(
      async ({ fp32, q4, tokenizer, backend }) => {
        const { ModelClient } = (await import('/src/model-client.ts' as string)) as typeof import('../../src/model-client.ts');
        const files = {
          'config.json': new Blob([JSON.stringify({ model_type: 'bert' })]),
          'tokenizer.json': new Blob([tokenizer]),
          'onnx/model.onnx': new Blob([new Uint8Array(fp32)]),
          'onnx/model_q4.onnx': new Blob([new Uint8Array(q4)]),
        };
        const texts = ['apple banana', 'cherry dog apple', 'dog', 'banana banana cherry'];
        const run = async (dtype: 'fp32' | 'q4') => {
          const client = new ModelClient({ id: `tiny-${dtype}`, kind: 'transformer', dtype, backend, source: { type: 'blobs', files } });
          const info = await client.load();
          const r = await client.embed(texts);
          client.unload();
          return { info, vectors: Array.from(r.vectors), dims: r.dims };
        };
        const a = await run('fp32');
        const b = await run('q4');
        const cos = texts.map((_, i) => {
          let d = 0;
          for (let k = 0; k < a.dims; k++) d += a.vectors[i * a.dims + k] * b.vectors[i * b.dims + k];
          return d;
        });
        return { cos, backend: b.info.backend, dtype: b.info.dtype, warnings: b.info.warnings };
      },
      { fp32: Array.from(fp32), q4: Array.from(q4), tokenizer: JSON.stringify(wordPieceTokenizer()), backend },
    );
    expect(out.dtype).toBe('q4');
    expect(out.backend).toBe(backend);
    for (const c of out.cos) expect(c).toBeGreaterThanOrEqual(0.99);
  });
}
