/** The transformer model kind in Node (onnxruntime-node) on the embedded use-lite, as `npm run models` built it. */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { loadTransformerModel, type OrtModule } from '../../src/core/models/transformer.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { rowCosine } from '../../src/core/eval/metrics.ts';
import { DataType, encodeModel } from '../../src/core/onnx/proto.ts';

const ort = ortNode as unknown as OrtModule;
const dir = resolve(__dirname, '../../public/models/use-lite');
const load = (dtype: 'fp32' | 'fp16' | 'int8') => loadTransformerModel(folderFiles(dir), { id: 'use-lite', dtype, ort, backend: 'node' });

describe('use-lite through the transformer kind', () => {
  it.each(['fp32', 'fp16', 'int8'] as const)('%s: 512-d unit vectors; "eating food" is closer to "bread" than to "baby"', async (dtype) => {
    const model = await load(dtype);
    expect(model.info).toMatchObject({ dims: 512, dtype, kind: 'transformer', maxTokens: 128 });
    const r = await model.embed(['A man is eating food.', 'A man is eating a piece of bread.', 'The girl is carrying a baby.']);
    expect(r.dims).toBe(512);
    expect(rowCosine(r.vectors, r.vectors, 512, 0, 0)).toBeCloseTo(1, 5);
    expect(rowCosine(r.vectors, r.vectors, 512, 0, 1)).toBeGreaterThan(rowCosine(r.vectors, r.vectors, 512, 0, 2) + 0.3);
    await model.dispose();
  });

  it('batches by length without changing results, gives empty texts zero vectors, and counts truncation at 128 tokens', async () => {
    const model = await load('fp32');
    const texts = ['short one', '', 'word '.repeat(300), 'A much longer sentence with quite a few more words in it than the first.'];
    const all = await model.embed(texts);
    const alone = await model.embed([texts[3]]);
    expect(rowCosine(all.vectors, alone.vectors, 512, 3, 0)).toBeCloseTo(1, 5);
    expect(Array.from(all.vectors.subarray(512, 1024)).every((x) => x === 0)).toBe(true);
    expect(all.truncated).toBe(1);
  });

  it('refuses a dtype it does not have and an ONNX file whose inputs the tokenizer cannot feed', async () => {
    const files = folderFiles(dir);
    await expect(loadTransformerModel({ ...files, read: async (n) => (n.endsWith('model_fp16.onnx') ? null : files.read(n)) }, { id: 'x', dtype: 'fp16', ort, backend: 'node' })).rejects.toThrow(
      'onnx/model_fp16.onnx: is missing',
    );
    const wrong = encodeModel({
      graphName: 'w', producer: 'test', opsets: [{ domain: '', version: 17 }],
      inputs: [{ name: 'pixels', elemType: DataType.FLOAT, shape: [1] }], outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [1] }],
      initializers: [], nodes: [{ op: 'Identity', inputs: ['pixels'], outputs: ['y'] }],
    });
    const swapped = { ...files, read: async (n: string) => (n === 'onnx/model.onnx' ? (wrong.slice().buffer as ArrayBuffer) : files.read(n)) };
    await expect(loadTransformerModel(swapped, { id: 'x', ort, backend: 'node' })).rejects.toThrow(
      'onnx/model.onnx: expects inputs pixels; we feed input_ids, attention_mask and token_type_ids (missing: input_ids, attention_mask)',
    );
    const corrupt = { ...files, read: async (n: string) => (n === 'onnx/model.onnx' ? (new Uint8Array([8, 1, 0xff, 0xff]).buffer as ArrayBuffer) : files.read(n)) };
    await expect(loadTransformerModel(corrupt, { id: 'x', ort, backend: 'node' })).rejects.toThrow(/^onnx\/model\.onnx: could not be loaded by onnxruntime/);
  });
});

describe('mean pooling of last_hidden_state (models that do not pool in-graph)', () => {
  it('averages only the unmasked tokens of each row, then normalises', async () => {
    const { wordLevelTokenizer, memoryFiles, lookupEncoderOnnx } = await import('../helpers/tiny-model.ts');
    const model = lookupEncoderOnnx();
    const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
    const raw = { 'config.json': enc({ hidden_size: 3 }), 'tokenizer.json': enc(wordLevelTokenizer()), 'onnx/model.onnx': model };
    const files = memoryFiles(raw);
    const m = await loadTransformerModel(files, { id: 'tiny', ort, backend: 'node' });
    const r = await m.embed(['apple banana', 'cherry', 'dog apple banana']);
    const row = (i: number) => Array.from(r.vectors.subarray(i * 3, i * 3 + 3));
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    expect(row(0)).toEqual(unit([0.5, 1, 0]).map((x) => expect.closeTo(x, 5)));
    expect(row(1)).toEqual([0, 0, 1].map((x) => expect.closeTo(x, 5))); // padded to 3 tokens in its batch
    expect(row(2)).toEqual(unit([0, 3, 2]).map((x) => expect.closeTo(x, 5)));
    expect(m.info.warnings.join(' ')).toContain('Mean pooling');

    // sentence-transformers' 1_Pooling/config.json asking for the CLS token: the first token only.
    const cls = await loadTransformerModel(memoryFiles({ ...raw, '1_Pooling/config.json': enc({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }) }), { id: 'tiny-cls', ort, backend: 'node' });
    const c = await cls.embed(['banana apple', 'dog cherry']);
    expect(Array.from(c.vectors.subarray(0, 3))).toEqual([0, 1, 0].map((x) => expect.closeTo(x, 5)));
    expect(Array.from(c.vectors.subarray(3, 6))).toEqual(unit([-1, 1, 2]).map((x) => expect.closeTo(x, 5)));
    expect(cls.info.warnings.join(' ')).toContain('First-token (CLS) pooling');
  });
});

describe('BERT-style exports that also take token_type_ids', () => {
  it('get one segment (all zeros), so they embed like the same model without the input', async () => {
    const { wordLevelTokenizer, memoryFiles, lookupEncoderOnnx } = await import('../helpers/tiny-model.ts');
    const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
    const base = { 'config.json': enc({ hidden_size: 3 }), 'tokenizer.json': enc(wordLevelTokenizer()) };
    const plain = await loadTransformerModel(memoryFiles({ ...base, 'onnx/model.onnx': lookupEncoderOnnx() }), { id: 'plain', ort, backend: 'node' });
    const typed = await loadTransformerModel(memoryFiles({ ...base, 'onnx/model.onnx': lookupEncoderOnnx({ tokenTypeIds: true }) }), { id: 'typed', ort, backend: 'node' });
    const texts = ['apple banana', 'cherry', 'dog apple banana'];
    const a = await plain.embed(texts);
    const b = await typed.embed(texts);
    // Segment 1's row is 100s: any non-zero type id would swamp the vector.
    expect(Array.from(b.vectors)).toEqual(Array.from(a.vectors).map((x) => expect.closeTo(x, 6)));
  });

  it('an input we cannot feed is named at load', async () => {
    const { wordLevelTokenizer, memoryFiles } = await import('../helpers/tiny-model.ts');
    const extra = encodeModel({
      graphName: 'x', producer: 'test', opsets: [{ domain: '', version: 17 }],
      inputs: ['input_ids', 'attention_mask', 'position_ids'].map((name) => ({ name, elemType: DataType.INT64, shape: ['b', 'l'] })),
      outputs: [{ name: 'last_hidden_state', elemType: DataType.INT64, shape: ['b', 'l'] }],
      initializers: [], nodes: [{ op: 'Add', inputs: ['input_ids', 'position_ids'], outputs: ['last_hidden_state'] }],
    });
    const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
    const files = memoryFiles({ 'config.json': enc({}), 'tokenizer.json': enc(wordLevelTokenizer()), 'onnx/model.onnx': extra });
    await expect(loadTransformerModel(files, { id: 'x', ort, backend: 'node' })).rejects.toThrow('(not known: position_ids)');
  });
});

describe('the one ONNX runtime picker', () => {
  it('in Node it is onnxruntime-node, and it runs the same files as an explicit one', async () => {
    const { loadOrt, ortPlace, nodeSessionOptions } = await import('../../src/core/models/ort-runtime.ts');
    expect(ortPlace()).toBe('node');
    const picked = await loadOrt();
    expect(picked.place).toBe('node');
    expect(picked.ort.InferenceSession).toBe(ortNode.InferenceSession);
    expect(nodeSessionOptions(2.7)).toEqual({ intraOpNumThreads: 2, interOpNumThreads: 1 });
    const model = await loadTransformerModel(folderFiles(dir), { id: 'use-lite', dtype: 'int8', ort: picked.ort, backend: 'node', sessionOptions: nodeSessionOptions(1) });
    const r = await model.embed(['Call me Ishmael.']);
    expect(r.dims).toBe(512);
    await model.dispose();
  });
});
