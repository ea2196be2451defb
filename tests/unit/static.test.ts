import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { ModelLoadError } from '../../src/core/errors.ts';
import { memoryFiles, tinyModelFiles, wordLevelTokenizer, wordPieceTokenizer, TINY_TABLE } from '../helpers/tiny-model.ts';
import { pseudoRandomRows } from '../helpers/random.ts';

function unit(v: number[]) {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
function rows(result: { vectors: Float32Array; dims: number; rows: number }) {
  return Array.from({ length: result.rows }, (_, i) => Array.from(result.vectors.subarray(i * result.dims, (i + 1) * result.dims)));
}
async function load(files: Record<string, Uint8Array>, opts: Partial<Parameters<typeof loadStaticModel>[1]> = {}) {
  return loadStaticModel(memoryFiles(files), { id: 'tiny', ...opts });
}

describe('static model on tables the test writes', () => {
  it('averages the rows of known tokens, drops unknown ones, and L2-normalises (f32)', async () => {
    const model = await load(tinyModelFiles());
    const out = model.embed(['Apple banana', 'cherry zebra', 'apple apple dog']);
    // apple=[1,0,0], banana=[0,2,0] → mean [0.5,1,0]; zebra is unknown and dropped.
    expect(rows(out)[0]).toEqual(unit([0.5, 1, 0]).map((x) => expect.closeTo(x, 6)));
    expect(rows(out)[1]).toEqual([0, 0, 1].map((x) => expect.closeTo(x, 6)));
    expect(rows(out)[2]).toEqual(unit([(1 + 1 - 1) / 3, 1 / 3, 2 / 3]).map((x) => expect.closeTo(x, 6)));
    expect(out.tokens).toBe(2 + 1 + 3);
    expect(model.info).toMatchObject({ dims: 3, dtype: 'fp32', layout: 'model2vec', backend: 'js', normalize: true });
    expect(model.info.tokenizer.implementation).toBe('fast-wordlevel');
  });

  it('reads f16 and int8 tables to the same vectors', async () => {
    const f32 = (await load(tinyModelFiles())).embed(['apple banana dog']);
    for (const dtype of ['F16', 'I8'] as const) {
      const model = await load(tinyModelFiles({ dtype }));
      expect(model.info.dtype).toBe(dtype === 'F16' ? 'fp16' : 'int8');
      expect(Array.from(model.embed(['apple banana dog']).vectors)).toEqual(Array.from(f32.vectors).map((x) => expect.closeTo(x, 6)));
    }
  });

  it('applies per-token weights and a token→row mapping (model2vec vocabulary quantization)', async () => {
    // Tokens 1..4 all map to row 1 or 2 of a 3-row table; weights scale each token.
    const files = tinyModelFiles({ table: [[0, 0], [1, 0], [0, 1]], mapping: [0, 1, 2, 1, 2], weights: [1, 2, 1, 3, 1] });
    const out = (await load(files)).embed(['apple cherry banana']);
    // apple → row1 × 2 = [2,0]; cherry → row1 × 3 = [3,0]; banana → row2 × 1 = [0,1]; mean [5/3, 1/3].
    expect(rows(out)[0]).toEqual(unit([5, 1]).map((x) => expect.closeTo(x, 6)));
  });

  it('reads the sentence-transformers StaticEmbedding layout', async () => {
    const files = tinyModelFiles({ layout: 'sentence-transformers' });
    files['modules.json'] = new TextEncoder().encode(JSON.stringify([{ type: 'sentence_transformers.models.StaticEmbedding' }]));
    const model = await load(files);
    expect(model.info.layout).toBe('sentence-transformers');
    expect(model.info.normalize).toBe(false); // no Normalize module listed
    expect(rows(model.embed(['banana cherry']))[0]).toEqual([0, 1, 2].map((x) => expect.closeTo(x, 6)));
  });

  it('follows modules.json to the StaticEmbedding module folder, honours a Normalize module, and reads Matryoshka dims from the model card', async () => {
    const flat = tinyModelFiles({ layout: 'sentence-transformers' });
    const enc = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));
    const files = {
      'modules.json': enc([
        { idx: 0, name: '0', path: '0_StaticEmbedding', type: 'sentence_transformers.models.StaticEmbedding' },
        { idx: 1, name: '1', path: '1_Normalize', type: 'sentence_transformers.models.Normalize' },
      ]),
      'README.md': enc('"matryoshka_dims": [\n 3,\n 2\n ]'),
      '0_StaticEmbedding/model.safetensors': flat['model.safetensors'],
      '0_StaticEmbedding/tokenizer.json': flat['tokenizer.json'],
    };
    const model = await load(files);
    expect(model.info).toMatchObject({ layout: 'sentence-transformers', normalize: true, matryoshkaDims: [3, 2] });
    expect(rows(model.embed(['banana cherry']))[0]).toEqual(unit([0, 1, 2]).map((x) => expect.closeTo(x, 6)));
    delete (files as Record<string, Uint8Array>)['0_StaticEmbedding/model.safetensors'];
    await expect(load(files)).rejects.toThrow('0_StaticEmbedding/model.safetensors: is missing from test files');
  });

  it('tokenizes through Tokenizers.js when the tokenizer is not a plain WordLevel table', async () => {
    const model = await load(tinyModelFiles({ tokenizer: wordPieceTokenizer() }));
    expect(model.info.tokenizer.implementation).toBe('tokenizers.js');
    expect(rows(model.embed(['Apple, banana!']))[0]).toEqual(unit([0.5, 1, 0]).map((x) => expect.closeTo(x, 6)));
  });

  it('gives empty texts a zero vector and an empty list no rows', async () => {
    const model = await load(tinyModelFiles());
    expect(model.embed([]).rows).toBe(0);
    const out = model.embed(['', 'zebra']);
    expect(Array.from(out.vectors)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('truncates to maxTokens and counts the texts it cut, including a 1 MB "sentence"', async () => {
    const model = await load(tinyModelFiles(), { maxTokens: 2 });
    const out = model.embed(['apple banana cherry', 'apple banana', 'zebra apple zebra banana']);
    expect(out.truncated).toBe(1);
    expect(rows(out)[0]).toEqual(unit([0.5, 1, 0]).map((x) => expect.closeTo(x, 6)));
    const huge = 'cherry '.repeat(150_000); // 1.05 MB
    const big = await load(tinyModelFiles());
    const started = performance.now();
    const r = big.embed([huge]);
    expect(performance.now() - started).toBeLessThan(2_000); // cut before tokenizing, not after
    expect(r.truncated).toBe(1);
    expect(r.tokens).toBe(512);
    expect(rows(r)[0]).toEqual([0, 0, 1].map((x) => expect.closeTo(x, 6)));
  });

  it('stops between texts when its signal is aborted', async () => {
    const model = await load(tinyModelFiles());
    expect(() => model.embed(['apple'], { signal: { aborted: true } })).toThrow(/cancelled/);
  });
});

describe('static model load errors name the file and the problem', () => {
  const cases: [string, (f: Record<string, Uint8Array>) => void, RegExp][] = [
    ['missing tokenizer.json', (f) => delete f['tokenizer.json'], /^tokenizer\.json: is missing/],
    ['tokenizer.json that is not JSON', (f) => (f['tokenizer.json'] = new TextEncoder().encode('{"model": {')), /^tokenizer\.json: is not valid JSON/],
    ['tokenizer.json without a vocabulary', (f) => (f['tokenizer.json'] = new TextEncoder().encode('{"model":{"type":"WordLevel","vocab":{}}}')), /^tokenizer\.json: has no vocabulary/],
    ['binary junk as tokenizer.json', (f) => (f['tokenizer.json'] = new Uint8Array([0xff, 0xfe, 0, 1, 2])), /^tokenizer\.json: is not valid JSON/],
    ['missing model.safetensors', (f) => delete f['model.safetensors'], /^model\.safetensors: is missing/],
    ['truncated model.safetensors', (f) => (f['model.safetensors'] = f['model.safetensors'].slice(0, f['model.safetensors'].length - 7)), /^model\.safetensors: is truncated: tensor "embeddings" ends at byte \d+ but the file has \d+ bytes/],
    ['a safetensors file of 3 bytes', (f) => (f['model.safetensors'] = new Uint8Array([1, 2, 3])), /^model\.safetensors: is 3 bytes, too short/],
    ['a text file as model.safetensors', (f) => (f['model.safetensors'] = new TextEncoder().encode('hello world, not a model at all')), /^model\.safetensors: is not a safetensors file/],
    ['corrupt config.json', (f) => (f['config.json'] = new TextEncoder().encode('{normalize: yes}')), /^config\.json: is not valid JSON/],
  ];
  for (const [name, corrupt, message] of cases) {
    it(name, async () => {
      const files = tinyModelFiles();
      corrupt(files);
      await expect(load(files)).rejects.toThrow(message);
      await expect(load(files)).rejects.toBeInstanceOf(ModelLoadError);
    });
  }

  it('a table with fewer rows than the tokenizer has tokens', async () => {
    await expect(load(tinyModelFiles({ table: TINY_TABLE.slice(0, 3) }))).rejects.toThrow(
      /^model\.safetensors: the embedding table has 3 tokens but tokenizer\.json has 5: the table and the tokenizer do not belong together/,
    );
  });

  it('a table that is not 2-D, and one of the wrong dtype', async () => {
    const files = tinyModelFiles();
    const { writeSafetensors } = await import('../../src/core/safetensors.ts');
    files['model.safetensors'] = writeSafetensors({ embeddings: { dtype: 'F32', shape: [15], data: new Float32Array(15) } });
    await expect(load(files)).rejects.toThrow(/must be a 2-D \[vocab, dims\] table, but its shape is \[15\]/);
    files['model.safetensors'] = writeSafetensors({ embeddings: { dtype: 'I32', shape: [5, 3], data: new Int32Array(15) } });
    await expect(load(files)).rejects.toThrow(/has dtype I32; static tables must be F32, F16 or I8/);
  });

  it('a config whose hidden_dim disagrees with the table loads with a warning (model2vec test models do this)', async () => {
    const model = await load(tinyModelFiles({ config: { hidden_dim: 64 } }));
    expect(model.info.warnings).toEqual(['config.json says hidden_dim 64, but the table has 3 columns; using 3.']);
  });
});

describe('static pooling: WebAssembly SIMD against the JS loop', () => {
  it('the embedded module is static-pool.wat as assembled now (run `npm run build:wasm` after editing it)', async () => {
    const { staticPoolModuleSource } = await import('../../scripts/build-wasm.ts');
    expect(await staticPoolModuleSource()).toBe(readFileSync(resolve(__dirname, '../../src/core/models/static-pool-wasm.ts'), 'utf8'));
  });

  // Vocabulary w0..w59 plus [UNK]; texts mix known words, unknown ones and repeats.
  const vocab = ['[UNK]', ...Array.from({ length: 59 }, (_, i) => `w${i + 1}`)];
  const texts = ['w1 w2 w3', 'w59 nothing w7 w7 w7', 'zzz', '', 'w10 '.repeat(40), 'w4, w5! w6?', Array.from({ length: 300 }, (_, i) => `w${(i % 59) + 1}`).join(' ')];
  for (const dims of [2, 3, 4, 16, 20, 37, 100, 256]) {
    for (const dtype of ['F32', 'F16', 'I8'] as const) {
      it(`${dtype} table, ${dims} dims: same vectors, tokens and truncation (to float32 rounding)`, async () => {
        const random = pseudoRandomRows(vocab.length, dims, dims * 7 + dtype.length);
        const table = Array.from({ length: vocab.length }, (_, r) =>
          Array.from(random.subarray(r * dims, (r + 1) * dims), (x) => (dtype === 'I8' ? Math.round(x * 127) : dtype === 'F16' ? Math.round(x * 64) / 64 : x)),
        );
        const weights = dims % 2 ? Array.from({ length: vocab.length }, (_, i) => 0.5 + (i % 5) / 4) : undefined;
        const mapping = dims === 37 ? Array.from({ length: vocab.length }, (_, i) => (i * 7) % vocab.length) : undefined;
        const files = tinyModelFiles({ dtype, table, weights, mapping, tokenizer: wordLevelTokenizer(vocab), config: { normalize: dims !== 20 } });
        const wasm = await load(files, { maxTokens: 100 });
        const js = await load(files, { maxTokens: 100, wasmPooling: false });
        expect((wasm as unknown as { pooling: string }).pooling).toBe('wasm-simd');
        expect((js as unknown as { pooling: string }).pooling).toBe('js');
        // Twice, so the second call reuses the memory the first one left.
        for (let round = 0; round < 2; round++) {
          const a = wasm.embed(texts);
          const b = js.embed(texts);
          expect([a.rows, a.dims, a.tokens, a.truncated]).toEqual([b.rows, b.dims, b.tokens, b.truncated]);
          for (let i = 0; i < b.vectors.length; i++) expect(Math.abs(a.vectors[i] - b.vectors[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b.vectors[i])));
        }
      });
    }
  }

  it('leaves a table too large for WebAssembly memory to the JS loop (no load fails for it)', async () => {
    const { WasmPool } = await import('../../src/core/models/static-pool.ts');
    expect(WasmPool.create({ rows: 1e9, dims: 4, data: new Int8Array(0), rowScale: null, mapping: null }, 1024)).toBeNull();
    expect(WasmPool.create({ rows: 2, dims: 4, data: new Int8Array(8), rowScale: null, mapping: null }, 1024)).not.toBeNull();
  });

  it('gives the same vectors across output flushes (more texts than one flush holds)', async () => {
    const files = tinyModelFiles({ table: Array.from({ length: 5 }, (_, r) => Array.from(pseudoRandomRows(1, 37, r + 1))) });
    const many = Array.from({ length: 1000 }, (_, i) => ['apple', 'banana dog', 'cherry', 'dog apple zebra', 'zebra'][i % 5] + ' apple'.repeat(i % 3));
    const a = (await load(files)).embed(many);
    const b = (await load(files, { wasmPooling: false })).embed(many);
    for (let i = 0; i < b.vectors.length; i++) expect(Math.abs(a.vectors[i] - b.vectors[i])).toBeLessThanOrEqual(1e-6);
  });

  it('grows its id buffer for a text with more tokens than characters would suggest (Tokenizers.js path)', async () => {
    // WordPiece on a 100k-word text of known words: more ids than the buffer made for maxTokens.
    const files = tinyModelFiles({ tokenizer: wordPieceTokenizer() });
    const long = 'apple banana '.repeat(50_000);
    const a = (await load(files, { maxTokens: 100_000 })).embed([long, 'dog']);
    const b = (await load(files, { maxTokens: 100_000, wasmPooling: false })).embed([long, 'dog']);
    expect(a.tokens).toBe(b.tokens);
    for (let i = 0; i < b.vectors.length; i++) expect(Math.abs(a.vectors[i] - b.vectors[i])).toBeLessThanOrEqual(1e-6);
  });
});

const fixtures = resolve(__dirname, '../../../shared/models/reference/model2vec-rs-test-fixtures');
describe.skipIf(!existsSync(fixtures))('model2vec reference outputs (../shared fixtures)', () => {
  const expected = (name: string) => JSON.parse(readFileSync(`${fixtures}/${name}`, 'utf8'))[0] as number[];
  const longText = Array(1000).fill('hello').join(' ');
  const cases: [string, string, string, number][] = [
    ['test-model-float32', 'embeddings_short.json', 'hello world', 1e-5],
    ['test-model-float32', 'embeddings_long.json', longText, 1e-5],
    ['test-model-sentence-transformers', 'embeddings_short.json', 'hello world', 1e-5],
    ['test-model-vocab-quantized', 'embeddings_vocab_quantized.json', longText, 1e-5],
  ];
  for (const [dir, file, text, tolerance] of cases) {
    it(`${dir} reproduces ${file} to ${tolerance}`, async () => {
      const model = await loadStaticModel(folderFiles(`${fixtures}/${dir}`), { id: dir });
      const got = Array.from(model.embed([text]).vectors);
      const want = expected(file);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tolerance);
    });
  }
  it('the f16 and int8 tables give the float32 reference direction (cosine ≥ 0.9999)', async () => {
    const want = expected('embeddings_short.json');
    for (const dir of ['test-model-float16', 'test-model-int8']) {
      const got = (await loadStaticModel(folderFiles(`${fixtures}/${dir}`), { id: dir })).embed(['hello world']).vectors;
      const cos = want.reduce((s, w, i) => s + w * got[i], 0);
      expect(cos).toBeGreaterThanOrEqual(0.9999);
    }
  });
});
