/**
 * A hub model that does not pool in its graph (last_hidden_state, as Xenova/all-MiniLM-L6-v2),
 * with a BERT-style WordPiece tokenizer: served from a local folder in the transformers.js layout
 * (config.json, tokenizer.json, onnx/model.onnx), pooled in the browser's worker by the mask.
 */
import { expect, test } from '@playwright/test';
import { lookupEncoderOnnx, wordPieceTokenizer } from '../helpers/tiny-model.ts';
import { fakeHubRepo } from './fixtures/hub-repo.ts';

const enc = (x: unknown) => Buffer.from(JSON.stringify(x));
const repo: Record<string, Buffer> = {
  'config.json': enc({ model_type: 'bert', hidden_size: 3 }),
  'tokenizer.json': enc(wordPieceTokenizer()),
  'tokenizer_config.json': enc({ model_max_length: 512 }),
  'onnx/model.onnx': Buffer.from(lookupEncoderOnnx()),
};

test('a mean-pooled hub model loads, says how it pools, and averages only unmasked tokens', async ({ page, context }) => {
  const hub = await fakeHubRepo(context, 'test-org/tiny-mean', repo);
  const requests = hub.requests;
  await page.goto('/');
  await page.getByTestId('hub-id').fill('test-org/tiny-mean');
  await page.getByTestId('hub-lookup').click();
  await page.getByTestId('hub-dtype').selectOption('fp32');
  await page.getByTestId('hub-load').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('model-info')).toContainText('Mean pooling of last_hidden_state');
  await expect(page.getByTestId('info-backend')).toHaveText('wasm');
  expect(requests).toContain('onnx/model.onnx');

  // The same hub source through the page's model client (its worker reads the Cache API now).
  const rows = (await page.evaluate(`(async () => {
    const { ModelClient } = await import('/src/model-client.ts');
    const { listHubFiles } = await import('/src/core/models/hub.ts');
    const files = await listHubFiles('test-org/tiny-mean');
    const client = new ModelClient({ id: 'tiny-mean', kind: 'transformer', dtype: 'fp32', backend: 'wasm', source: { type: 'hub', modelId: 'test-org/tiny-mean', files } });
    await client.load();
    const r = await client.embed(['apple banana', 'cherry', 'dog apple banana']);
    client.unload();
    return Array.from({ length: r.rows }, (_, i) => Array.from(r.vectors.subarray(i * r.dims, (i + 1) * r.dims)));
  })()`)) as number[][];
  const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
  const expected = [unit([0.5, 1, 0]), [0, 0, 1], unit([0, 3, 2])]; // "cherry" is padded to 3 tokens in its batch
  rows.forEach((row, i) => row.forEach((x, d) => expect(x).toBeCloseTo(expected[i][d], 5)));
});
