/**
 * A model "from the Hugging Face hub", served by this test from a local folder in the
 * transformers.js layout (the built use-lite): downloaded with progress, cached, and loaded
 * from the cache afterwards with no request leaving the page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const folder = join(process.cwd(), 'public/models/use-lite');

test('a hub model downloads once with progress, embeds, and loads from the cache after a reload', async ({ page, context }) => {
  test.setTimeout(120_000);
  const requests: string[] = [];
  await context.route('https://huggingface.co/test-org/use-lite/resolve/main/**', async (route) => {
    const path = new URL(route.request().url()).pathname.split('/resolve/main/')[1];
    requests.push(path);
    const file = join(folder, path);
    if (!existsSync(file)) return route.fulfill({ status: 404, headers: { 'access-control-allow-origin': '*' }, body: 'Entry not found' });
    const body = readFileSync(file);
    await route.fulfill({ status: 200, body, headers: { 'access-control-allow-origin': '*', 'content-length': String(body.length), 'content-type': 'application/octet-stream' } });
  });
  await page.goto('/');
  await page.getByTestId('hub-id').fill('test-org/use-lite');
  await page.getByTestId('hub-dtype').selectOption('int8');
  await page.getByTestId('hub-load').click();
  await expect(page.getByTestId('model-loading')).toBeVisible();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  expect(requests).toContain('onnx/model_quantized.onnx');
  expect(requests).not.toContain('onnx/model.onnx'); // only the dtype asked for
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });

  requests.length = 0;
  await page.reload();
  await page.getByTestId('hub-id').fill('test-org/use-lite');
  await page.getByTestId('hub-dtype').selectOption('int8');
  await page.getByTestId('hub-load').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  // Everything that exists came from the Cache API; only files the folder lacks are asked again.
  expect(requests.filter((r) => existsSync(join(folder, r)))).toEqual([]);
});

test('a malformed model id and a model that is not there get clear messages', async ({ page, context }) => {
  await context.route('https://huggingface.co/**', (route) => route.fulfill({ status: 404, headers: { 'access-control-allow-origin': '*' }, body: 'Repository not found' }));
  await page.goto('/');
  await page.getByTestId('hub-id').fill('not a model id');
  await page.getByTestId('hub-load').click();
  await expect(page.getByTestId('model-error')).toContainText('is not a Hugging Face model id');
  await page.getByTestId('unload-model').click();
  await page.getByTestId('hub-id').fill('nobody/nothing');
  await page.getByTestId('hub-load').click();
  await expect(page.getByTestId('model-error')).toContainText('onnx/model_quantized.onnx: is missing from nobody/nothing (Hugging Face)');
});
