/**
 * A model "from the Hugging Face hub", served by this test from a local folder in the
 * transformers.js layout (the built use-lite) with the hub's file-list API: looked up first
 * (the menu offers exactly the dtype files the folder has, with sizes), downloaded once with
 * progress, cached, and loaded from the cache afterwards with no request leaving the page.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { fakeHubRepo, folderRepo } from './fixtures/hub-repo.ts';

const folder = join(process.cwd(), 'public/models/use-lite');

test('a hub model is looked up, downloads once with progress, embeds, and loads from the cache after a reload', async ({ page, context }) => {
  test.setTimeout(120_000);
  const files = folderRepo(folder);
  const hub = await fakeHubRepo(context, 'test-org/use-lite', files);
  await page.goto('/');
  await page.getByTestId('hub-id').fill('test-org/use-lite');
  await page.getByTestId('hub-lookup').click();
  await expect(page.getByTestId('hub-repo')).toHaveAttribute('data-layout', 'transformers.js');
  // Exactly the dtype files the folder holds (model_quantized_qdq.onnx is no dtype of its own).
  const options = await page.getByTestId('hub-dtype').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(options).toEqual(['fp32', 'fp16', 'q8', 'q4']);
  await expect(page.getByTestId('hub-dtype').locator('option[value=q8]')).toContainText(/^q8 · [\d.]+ MB$/);
  expect(hub.requests).toEqual(['config.json']); // no weights before Load: only the small JSON that decides the layout
  await page.getByTestId('hub-dtype').selectOption('q8');
  await page.getByTestId('hub-load').click();
  await expect(page.getByTestId('model-loading')).toBeVisible();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  expect(hub.requests).toContain('onnx/model_quantized.onnx');
  expect(hub.requests).not.toContain('onnx/model.onnx'); // only the dtype asked for
  expect(hub.requests.filter((r) => !files[r])).toEqual([]); // nothing outside the file list is asked for
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });

  hub.requests.length = 0;
  await page.reload();
  await page.getByTestId('hub-id').fill('test-org/use-lite');
  await page.getByTestId('hub-lookup').click();
  await page.getByTestId('hub-dtype').selectOption('q8');
  await page.getByTestId('hub-load').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  // Everything came from the Cache API.
  expect(hub.requests.filter((r) => existsSync(join(folder, r)))).toEqual([]);
});

test('a malformed model id and a repository that is not there get clear messages', async ({ page, context }) => {
  await context.route('https://huggingface.co/**', (route) => route.fulfill({ status: 404, headers: { 'access-control-allow-origin': '*' }, body: 'Repository not found' }));
  await page.goto('/');
  await page.getByTestId('hub-id').fill('not a model id');
  await page.getByTestId('hub-lookup').click();
  await expect(page.getByTestId('hub-error')).toContainText('is not a Hugging Face model id');
  await page.getByTestId('hub-id').fill('nobody/nothing');
  await page.getByTestId('hub-lookup').click();
  await expect(page.getByTestId('hub-error')).toContainText('nobody/nothing: no such repository on https://huggingface.co (HTTP 404)');
  await expect(page.getByTestId('hub-load')).toHaveCount(0);
});
