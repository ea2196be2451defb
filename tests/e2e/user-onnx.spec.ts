/** A person's own ONNX model: dropped, embedded, quantized to int8 in a worker; broken files refused. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const dir = join(process.cwd(), 'public/models/use-lite');
const file = (name: string, path = name) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, path)) });
const cosine = (page: import('@playwright/test').Page, row: number, col: number) =>
  page.locator(`[data-testid=similarity-matrix] td[data-row="${row}"][data-col="${col}"]`).getAttribute('data-cosine').then(Number);

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('a dropped .onnx + tokenizer.json embeds, and "Quantize to int8" adds a working, smaller model', async ({ page }) => {
  test.setTimeout(120_000);
  await page.getByTestId('model-files').setInputFiles([file('my-encoder.onnx', 'onnx/model.onnx'), file('tokenizer.json'), file('tokenizer_config.json'), file('config.json')]);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 30_000 });
  const fp32Bytes = await page.getByTestId('info-bytes').textContent();
  expect(fp32Bytes).toBe('28.1 MB');

  await page.getByTestId('quantize-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(2, { timeout: 90_000 });
  const int8Card = page.getByTestId('model-card').last();
  await expect(int8Card).toContainText('int8');
  await int8Card.getByRole('radio').check();
  await expect(page.getByTestId('info-bytes')).toHaveText('7.3 MB');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('embed-summary')).toContainText('int8');
  expect(await cosine(page, 0, 1)).toBeGreaterThan((await cosine(page, 0, 2)) + 0.3);
});

test('a corrupt .onnx, two models at once, and a missing tokenizer are refused with reasons', async ({ page }) => {
  await page.getByTestId('model-files').setInputFiles([{ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a protobuf at all') }, file('tokenizer.json')]);
  await expect(page.getByTestId('model-error')).toContainText('onnx/model.onnx: could not be loaded by onnxruntime');
  await page.getByTestId('unload-model').click();
  await page.getByTestId('model-files').setInputFiles([file('a.onnx', 'onnx/model.onnx'), file('b.onnx', 'onnx/model_fp16.onnx'), file('tokenizer.json')]);
  await expect(page.getByTestId('model-error')).toContainText('2 .onnx files were dropped (a.onnx, b.onnx): drop one model at a time.');
  await page.getByTestId('unload-model').click();
  await page.getByTestId('model-files').setInputFiles([file('model.onnx', 'onnx/model.onnx')]);
  await expect(page.getByTestId('model-error')).toContainText('tokenizer.json: is missing');
});
