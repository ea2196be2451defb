/**
 * The kind of a hub repository from its file list, and the list itself over a real HTTP server:
 * pagination by Link headers, 401/404, and downloads checked against the listed size and hash.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decideLayout } from '../../src/core/models/hub-layout.ts';
import { hubFiles, listHubFiles } from '../../src/core/models/hub.ts';
import { availableDtypes, dtypeFileIn, parseDtype, DTYPE_FILES } from '../../src/core/models/dtypes.ts';
import { checkDims, truncateEmbeddings } from '../../src/core/models/matryoshka.ts';
import { matryoshkaDims } from '../../src/core/models/static.ts';

const entry = (path: string, size = 100) => ({ path, size });
const m2vConfig = { model_type: 'model2vec', architectures: ['StaticModel'], normalize: true };

describe('the layout from a file list', () => {
  it('model2vec (potion-style, with the onnx/ copy potion repositories carry): the static table, one "as stored" choice', () => {
    const files = ['README.md', 'config.json', 'model.safetensors', 'modules.json', 'tokenizer.json', 'onnx/model.onnx'].map((p) => entry(p));
    const layout = decideLayout('minishlab/potion-base-8M', files, m2vConfig, [{ path: '.', type: 'sentence_transformers.models.StaticEmbedding' }]);
    expect(layout).toMatchObject({ kind: 'static', layout: 'model2vec', folder: '' });
    expect(layout.choices).toEqual([{ dtype: 'as stored', file: 'model.safetensors', bytes: 500 }]);
  });

  it('sentence-transformers StaticEmbedding: the module folder from modules.json', () => {
    const files = ['README.md', 'modules.json', 'config_sentence_transformers.json', '0_StaticEmbedding/model.safetensors', '0_StaticEmbedding/tokenizer.json'].map((p) => entry(p));
    const modules = [{ idx: 0, name: '0', path: '0_StaticEmbedding', type: 'sentence_transformers.models.StaticEmbedding' }];
    expect(decideLayout('sentence-transformers/static-retrieval-mrl-en-v1', files, null, modules)).toMatchObject({ kind: 'static', layout: 'sentence-transformers', folder: '0_StaticEmbedding' });
    expect(() => decideLayout('x/y', files.filter((f) => !f.path.endsWith('tokenizer.json')), null, modules)).toThrow(/no 0_StaticEmbedding\/tokenizer\.json/);
  });

  it('transformers.js ONNX: exactly the dtype files present, with weights + tokenizer + config sizes', () => {
    const files = [entry('config.json', 10), entry('tokenizer.json', 20), entry('onnx/model.onnx', 1000), entry('onnx/model_q4f16.onnx', 200), entry('onnx/model_quantized.onnx', 300), entry('onnx/model_fp16.onnx_data', 5)];
    const layout = decideLayout('Xenova/x', files, { model_type: 'bert' }, null);
    expect(layout.choices).toEqual([
      { dtype: 'fp32', file: 'onnx/model.onnx', bytes: 1030 },
      { dtype: 'q8', file: 'onnx/model_quantized.onnx', bytes: 330 },
      { dtype: 'q4f16', file: 'onnx/model_q4f16.onnx', bytes: 230 },
    ]);
  });

  it('says what is missing and which layouts load', () => {
    expect(() => decideLayout('a/b', [entry('README.md')], null, null)).toThrow(/a\/b: is not a layout Embedscope loads: it has no model\.safetensors and no onnx\/ folder \(files: README\.md\)\. Layouts that load: model2vec/);
    expect(() => decideLayout('a/b', [entry('onnx/model.onnx')], null, null)).toThrow(/ONNX weights but no tokenizer\.json/);
    expect(() => decideLayout('a/b', [entry('config.json'), entry('model.safetensors')], m2vConfig, null)).toThrow(/config\.json says model2vec, but tokenizer\.json is missing/);
  });
});

describe('the dtype table', () => {
  it("keeps transformers.js's names and files, and int8's first file for use-lite", () => {
    expect(DTYPE_FILES).toMatchObject({ fp32: 'onnx/model.onnx', fp16: 'onnx/model_fp16.onnx', q8: 'onnx/model_quantized.onnx', int8: 'onnx/model_int8.onnx', uint8: 'onnx/model_uint8.onnx', q4: 'onnx/model_q4.onnx', q4f16: 'onnx/model_q4f16.onnx', bnb4: 'onnx/model_bnb4.onnx' });
    expect(parseDtype('quantized')).toBe('q8');
    const useLite = ['onnx/model.onnx', 'onnx/model_quantized.onnx', 'onnx/model_quantized_qdq.onnx'];
    expect(dtypeFileIn('int8', useLite)).toBe('onnx/model_quantized.onnx');
    expect(dtypeFileIn('int8', useLite, 'webgpu')).toBe('onnx/model_quantized_qdq.onnx');
    expect(availableDtypes(useLite).map((d) => d.dtype)).toEqual(['fp32', 'q8']); // no fallbacks in a menu
  });
});

describe('Matryoshka', () => {
  it('reads the dims a model card declares and refuses a width larger than the model', () => {
    const readme = new TextEncoder().encode('```json\n{\n    "matryoshka_dims": [\n        1024,\n        512,\n        64\n    ]\n}\n```').buffer;
    expect(matryoshkaDims(null, null, readme, 1024)).toEqual([1024, 512, 64]);
    expect(matryoshkaDims({ matryoshka_dims: [32, 256, 4096] }, null, null, 256)).toEqual([256, 32]);
    expect(matryoshkaDims(null, null, null, 256)).toBeNull();
    const info = { id: 'm', dims: 4, matryoshkaDims: [4, 2] };
    expect(() => checkDims(info, 8)).toThrow('m gives 4-dim vectors (its declared Matryoshka widths: 4, 2): it cannot be truncated to 8 dims. Choose 4 or fewer.');
    const out = truncateEmbeddings({ vectors: new Float32Array([3, 4, 1, 1]), rows: 1, dims: 4, tokens: 1, truncated: 0 }, info, 2);
    expect(out.dims).toBe(2);
    expect(Array.from(out.vectors)).toEqual([0.6, 0.8].map((x) => expect.closeTo(x, 6)));
  });
});

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

async function serve(handler: Parameters<typeof createServer>[1]) {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the hub file list over HTTP', () => {
  it('follows Link headers, keeps sizes and hashes, and refuses 401 and 404 with what they mean', async () => {
    const body = Buffer.from('{"model_type":"model2vec"}');
    const all = [
      { type: 'directory', path: 'onnx', size: 0, oid: 'x' },
      { type: 'file', path: 'config.json', size: body.length, oid: createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex') },
      { type: 'file', path: 'model.safetensors', size: 9, oid: 'y', lfs: { oid: 'a'.repeat(64), size: 9, pointerSize: 130 } },
    ];
    const endpoint = await serve((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname.includes('/private/')) return void res.writeHead(401).end('{}');
      if (url.pathname.includes('/gone/')) return void res.writeHead(404).end('{}');
      if (url.pathname.startsWith('/api/models/org/model/tree/main')) {
        const cursor = Number(url.searchParams.get('cursor') ?? 0);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (cursor + 2 < all.length) headers.link = `<http://${req.headers.host}/api/models/org/model/tree/main?recursive=true&cursor=${cursor + 2}>; rel="next"`;
        return void res.writeHead(200, headers).end(JSON.stringify(all.slice(cursor, cursor + 2)));
      }
      if (url.pathname === '/org/model/resolve/main/config.json') return void res.writeHead(200, { 'content-length': String(body.length) }).end(body);
      if (url.pathname === '/org/model/resolve/main/model.safetensors') return void res.writeHead(200).end('123456789');
      res.writeHead(404).end();
    });
    const files = await listHubFiles('org/model', { endpoint });
    expect(files).toEqual([
      { path: 'config.json', size: body.length, gitOid: all[1].oid },
      { path: 'model.safetensors', size: 9, sha256: 'a'.repeat(64) },
    ]);
    await expect(listHubFiles('org/private', { endpoint })).rejects.toThrow(/HTTP 401\): it is private or gated, or does not exist/);
    await expect(listHubFiles('org/gone', { endpoint })).rejects.toThrow('org/gone: no such repository on');
    const source = hubFiles('org/model', { endpoint, listing: files });
    expect(new TextDecoder().decode((await source.read('config.json'))!)).toBe(body.toString()); // its git blob id matched
    await expect(source.read('model.safetensors')).rejects.toThrow("model.safetensors: the repository's file list and the file disagree (its SHA-256 is not the listed one)");
    expect(await source.read('tokenizer.json')).toBeNull(); // not listed: absent, no request
  });
});

describe('specFor', () => {
  it('turns a catalogue entry into the spec a worker loads: transformers get a dtype (the entry\'s first by default) and a backend', async () => {
    const { specFor } = await import('../../src/core/models/registry.ts');
    const { catalog } = await import('../../models/catalog.ts');
    const useLite = catalog.find((e) => e.id === 'use-lite')!;
    const glove = catalog.find((e) => e.id === 'glove-100d')!;
    expect(specFor(useLite, {}, 'http://app/')).toEqual({ id: 'use-lite', kind: 'transformer', dtype: 'fp32', backend: 'auto', source: { type: 'url', baseUrl: 'http://app/models/use-lite/', files: useLite.files } });
    expect(specFor(useLite, { dtype: 'q4', backend: 'webgpu', threads: 2, batchSize: 8 }, 'http://app/')).toMatchObject({ dtype: 'q4', backend: 'webgpu', threads: 2, batchSize: 8 });
    expect(specFor(glove, { dtype: 'q4' }, 'http://app/')).toEqual({ id: 'glove-100d', kind: 'static', source: { type: 'url', baseUrl: 'http://app/models/glove-100d/', files: glove.files } });
  });
});
