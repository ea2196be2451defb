/**
 * The kind of a hub model comes from its repository's file list: model2vec, sentence-transformers
 * StaticEmbedding and transformers.js ONNX repositories, served by request interception in their
 * real layouts — model2vec-rs's test models (../shared, upstream expected embeddings to 1e-5) and
 * tiny models this test writes (self-contained) — and the bad cases, each with its message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { lookupEncoderOnnx, tinyModelFiles, wordPieceTokenizer } from '../helpers/tiny-model.ts';
import { HUB, fakeHubRepo, folderRepo } from './fixtures/hub-repo.ts';
import { formatBytes } from '../../src/core/util/format.ts';

const fixtures = resolve(process.cwd(), '../shared/models/reference/model2vec-rs-test-fixtures');
const enc = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x, null, 2));
const buffers = (files: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));

/** sentence-transformers' modules.json for a StaticEmbedding model, optionally followed by Normalize. */
const stModules = (normalize: boolean) =>
  enc([
    { idx: 0, name: '0', path: '0_StaticEmbedding', type: 'sentence_transformers.models.StaticEmbedding' },
    ...(normalize ? [{ idx: 1, name: '1', path: '1_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
  ]);
/** What sentence-transformers' model card says of a MatryoshkaLoss (as static-retrieval-mrl-en-v1's README does). */
const mrlReadme = (dims: number[]) => `# A static model\n\n### Training\n\`\`\`json\n{\n    "loss": "MultipleNegativesRankingLoss",\n    "matryoshka_dims": [\n        ${dims.join(',\n        ')}\n    ],\n    "n_dims_per_step": -1\n}\n\`\`\`\n`;

async function lookUp(page: Page, id: string) {
  await page.getByTestId('hub-id').fill(id);
  await page.getByTestId('hub-lookup').click();
}

/** Embeds through the page's model client from the hub source (the worker reads the Cache API). */
function embedFromHub(page: Page, id: string, texts: string[]) {
  return page.evaluate(
    async ({ id, texts }) => {
      // Vite serves the app's modules by path; `as string` keeps TypeScript from resolving them here.
      const { inspectHubRepo } = (await import('/src/core/models/hub-layout.ts' as string)) as typeof import('../../src/core/models/hub-layout.ts');
      const { ModelClient } = (await import('/src/model-client.ts' as string)) as typeof import('../../src/model-client.ts');
      const repo = await inspectHubRepo(id);
      const client = new ModelClient({ id, kind: repo.kind, source: { type: 'hub', modelId: id, files: repo.files } });
      const info = await client.load();
      const r = await client.embed(texts);
      client.unload();
      return { info, rows: Array.from({ length: r.rows }, (_, i) => Array.from(r.vectors.subarray(i * r.dims, (i + 1) * r.dims))) };
    },
    { id, texts },
  );
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test.describe('upstream layouts (../shared model2vec-rs fixtures)', () => {
  test.skip(!existsSync(fixtures), 'needs ../shared/models/reference');
  const want = () => JSON.parse(readFileSync(join(fixtures, 'embeddings_short.json'), 'utf8'))[0] as number[];

  test('a model2vec repository loads by id and reproduces the upstream embedding to 1e-5', async ({ page, context }) => {
    // The model2vec layout, plus an onnx/model.onnx as potion repositories carry for transformers.js: the table wins.
    const files = { ...folderRepo(join(fixtures, 'test-model-float32')), 'onnx/model.onnx': Buffer.from(lookupEncoderOnnx()) };
    const hub = await fakeHubRepo(context, 'minishlab/test-model-float32', files, { pageSize: 3 });
    await lookUp(page, 'minishlab/test-model-float32');
    await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-layout', 'model2vec');
    await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-kind', 'static');
    expect(hub.treeRequests).toBe(2); // 6 files, 3 a page: the Link header was followed
    await page.getByTestId('hub-load').click();
    await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
    expect(hub.requests).not.toContain('onnx/model.onnx');
    const { info, rows } = await embedFromHub(page, 'minishlab/test-model-float32', ['hello world']);
    expect(info.layout).toBe('model2vec');
    expect(rows[0].length).toBe(want().length);
    rows[0].forEach((x, i) => expect(Math.abs(x - want()[i])).toBeLessThanOrEqual(1e-5));
  });

  test('a sentence-transformers StaticEmbedding repository loads from its module folder, honours Normalize, and declares its Matryoshka dims', async ({ page, context }) => {
    const st = folderRepo(join(fixtures, 'test-model-sentence-transformers'));
    const files = {
      'modules.json': stModules(true),
      'config_sentence_transformers.json': enc({ __version__: { sentence_transformers: '3.3.1' }, prompts: {}, default_prompt_name: null, similarity_fn_name: 'cosine' }),
      'README.md': enc(mrlReadme([2, 1])),
      '0_StaticEmbedding/model.safetensors': st['model.safetensors'],
      '0_StaticEmbedding/tokenizer.json': st['tokenizer.json'],
    };
    await fakeHubRepo(context, 'sentence-transformers/test-static', files);
    await lookUp(page, 'sentence-transformers/test-static');
    await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-layout', 'sentence-transformers');
    await expect(page.getByTestId('hub-dtype')).toContainText(/as stored · [\d.]+ kB/);
    await page.getByTestId('hub-load').click();
    await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
    const { info, rows } = await embedFromHub(page, 'sentence-transformers/test-static', ['hello world']);
    expect(info).toMatchObject({ layout: 'sentence-transformers', normalize: true, matryoshkaDims: [2, 1] });
    rows[0].forEach((x, i) => expect(Math.abs(x - want()[i])).toBeLessThanOrEqual(1e-5));
  });
});

test('self-contained: tiny model2vec and StaticEmbedding repositories load by id; a StaticEmbedding without Normalize is not normalised', async ({ page, context }) => {
  await fakeHubRepo(context, 'test-org/tiny-m2v', buffers(tinyModelFiles()));
  const st = tinyModelFiles({ layout: 'sentence-transformers' });
  await fakeHubRepo(context, 'test-org/tiny-st', {
    'modules.json': stModules(false),
    'README.md': enc(mrlReadme([3, 2, 8])),
    '0_StaticEmbedding/model.safetensors': Buffer.from(st['model.safetensors']),
    '0_StaticEmbedding/tokenizer.json': Buffer.from(st['tokenizer.json']),
  });
  await lookUp(page, 'test-org/tiny-m2v');
  await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-layout', 'model2vec');
  const m2v = await embedFromHub(page, 'test-org/tiny-m2v', ['apple banana']);
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
  unit([0.5, 1, 0]).forEach((x, i) => expect(m2v.rows[0][i]).toBeCloseTo(x, 6));

  await lookUp(page, 'test-org/tiny-st');
  await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-layout', 'sentence-transformers');
  const stOut = await embedFromHub(page, 'test-org/tiny-st', ['banana cherry']);
  expect(stOut.info).toMatchObject({ normalize: false, matryoshkaDims: [3, 2] }); // 8 > 3 dims is dropped
  [0, 1, 2].forEach((x, i) => expect(stOut.rows[0][i]).toBeCloseTo(x, 6)); // mean of [0,2,0] and [0,0,4], not normalised
});

test('an ONNX repository offers exactly the dtype files it has, with their sizes, and loads the one chosen', async ({ page, context }) => {
  const onnx = Buffer.from(lookupEncoderOnnx());
  const repo = {
    'config.json': enc({ model_type: 'bert', hidden_size: 3 }),
    'tokenizer.json': enc(wordPieceTokenizer()),
    'tokenizer_config.json': enc({ model_max_length: 512 }),
    'onnx/model.onnx': onnx,
    'onnx/model_q4.onnx': onnx,
    'onnx/model_uint8.onnx': onnx,
    'onnx/model_bnb4.onnx': onnx,
    'onnx/model_quantized_qdq.onnx': onnx,
    'onnx/other.onnx': onnx,
  };
  const hub = await fakeHubRepo(context, 'test-org/tiny-onnx', repo);
  await lookUp(page, 'test-org/tiny-onnx');
  await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-layout', 'transformers.js');
  const options = await page.getByTestId('hub-dtype').locator('option').evaluateAll((os) => os.map((o) => o.textContent!.trim()));
  const extras = repo['config.json'].length + repo['tokenizer.json'].length + repo['tokenizer_config.json'].length;
  expect(options.map((o) => o.split(' · ')[0])).toEqual(['fp32', 'uint8', 'q4', 'bnb4']);
  options.forEach((o) => expect(o.split(' · ')[1]).toBe(formatBytes(onnx.length + extras)));
  await page.getByTestId('hub-dtype').selectOption('q4');
  await page.getByTestId('hub-load').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
  expect(hub.requests).toContain('onnx/model_q4.onnx');
  expect(hub.requests).not.toContain('onnx/model.onnx');
  await expect(page.getByTestId('model-card')).toContainText('q4');
});

test('bad repositories: an unknown layout, a private or gated one, and one whose files disagree with its list — each says so, and nothing half-written is cached', async ({ page, context }) => {
  // A PyTorch-only transformer: no layout we read.
  await fakeHubRepo(context, 'test-org/pytorch-only', {
    'config.json': enc({ model_type: 'bert', hidden_size: 384 }),
    'model.safetensors': Buffer.from(new Uint8Array(64)),
    'tokenizer.json': enc(wordPieceTokenizer()),
  });
  await lookUp(page, 'test-org/pytorch-only');
  await expect(page.getByTestId('hub-error')).toContainText('test-org/pytorch-only: is not a layout Embedscope loads: it has model.safetensors, but config.json\'s model_type is "bert", not model2vec, and there is no onnx/ folder');
  await expect(page.getByTestId('hub-error')).toContainText('Layouts that load: model2vec');
  await expect(page.getByTestId('hub-error')).toContainText('sentence-transformers StaticEmbedding');

  await fakeHubRepo(context, 'test-org/private', {}, { treeStatus: 401 });
  await lookUp(page, 'test-org/private');
  await expect(page.getByTestId('hub-error')).toContainText('test-org/private: the hub refused to list this repository (HTTP 401): it is private or gated');

  // Gated: the list is public, the files are not.
  await fakeHubRepo(context, 'test-org/gated', buffers(tinyModelFiles()), { fileStatus: 403 });
  await lookUp(page, 'test-org/gated');
  await expect(page.getByTestId('hub-error')).toContainText('test-org/gated is private or gated (HTTP 403)');

  // The list says one table, the server sends another of the same size (a changed repository).
  const files = buffers(tinyModelFiles());
  await fakeHubRepo(context, 'test-org/changed', files, {
    serve: (path, listed) => (path === 'model.safetensors' ? Buffer.from(listed.map((b, i) => (i === listed.length - 1 ? b ^ 1 : b))) : listed),
  });
  await lookUp(page, 'test-org/changed');
  await page.getByTestId('hub-load').click();
  await expect(page.getByTestId('model-error')).toContainText("model.safetensors: the repository's file list and the file disagree (its SHA-256 is not the listed one)");
  await expect(page.getByTestId('model-error')).toContainText('Nothing was stored');
  const cached = await page.evaluate(async (prefix) => {
    const cache = await caches.open('embedscope-hub-v1');
    return (await cache.keys()).map((r) => r.url).filter((u) => u.startsWith(prefix)).map((u) => u.slice(prefix.length));
  }, `${HUB}/test-org/changed/resolve/main/`);
  expect(cached).not.toContain('model.safetensors');
  expect(cached).toContain('config.json'); // the files that matched their list are kept
});
