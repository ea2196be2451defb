/** A person's own ONNX model: dropped, embedded, quantized to int8 in a worker; broken files refused. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import { readArchive } from '../../src/core/models/archive.ts';
import { loadTransformerModel, type OrtModule } from '../../src/core/models/transformer.ts';
import { quantizeQ4 } from '../../src/core/onnx/quantize-q4.ts';
import { memoryFiles } from '../helpers/tiny-model.ts';

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

test('"Quantize to q4" makes a 4-bit model; "Download" gives it in the transformers.js layout, and the downloaded bytes load again', async ({ page }) => {
  test.setTimeout(180_000);
  await page.getByTestId('model-files').setInputFiles([file('my-encoder.onnx', 'onnx/model.onnx'), file('tokenizer.json'), file('tokenizer_config.json'), file('config.json')]);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
  await page.getByTestId('quantize-q4').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(2, { timeout: 90_000 });
  const q4Card = page.getByTestId('model-card').last();
  await expect(q4Card).toContainText('q4');
  await q4Card.getByRole('radio').check();
  await expect(page.getByTestId('info-bytes')).toHaveText('5.4 MB'); // 0.19× the 28.1 MB fp32
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('embed-summary')).toContainText('q4');
  const made = { food: await cosine(page, 0, 1), baby: await cosine(page, 0, 2) };
  expect(made.food).toBeGreaterThan(made.baby + 0.3);

  const downloading = page.waitForEvent('download');
  await q4Card.getByTestId('download-model').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('user-onnx-q4-q4.zip');
  const files = readArchive(new Uint8Array(readFileSync((await download.path())!)));
  expect(Object.keys(files).sort()).toEqual(['README.md', 'config.json', 'onnx/model_q4.onnx', 'tokenizer.json', 'tokenizer_config.json']);
  // Byte for byte what our quantizer makes of the fp32 file, and onnxruntime-node loads it as is.
  expect(Buffer.from(files['onnx/model_q4.onnx']).equals(Buffer.from(quantizeQ4(new Uint8Array(readFileSync(join(dir, 'onnx/model.onnx'))), 'symmetric').model))).toBe(true);
  const node = await loadTransformerModel(memoryFiles(files), { id: 'downloaded', dtype: 'q4', ort: ort as unknown as OrtModule, backend: 'node' });
  expect((await node.embed(['A man is eating food.'])).dims).toBe(512);
  await node.dispose();

  // The downloaded files, dropped into the page: the name says q4, and it gives the same answers.
  await page.getByTestId('unload-model').first().click();
  await expect(page.getByTestId('model-card')).toHaveCount(1);
  await page.getByTestId('unload-model').first().click();
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await page.getByTestId('model-files').setInputFiles(['onnx/model_q4.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json'].map((p) => ({ name: p.split('/').pop()!, mimeType: 'application/octet-stream', buffer: Buffer.from(files[p]) })));
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 60_000 });
  await expect(page.getByTestId('model-card')).toContainText('512 dims · q4');
  await page.getByTestId('embed').click();
  await expect.poll(() => cosine(page, 0, 1)).toBeCloseTo(made.food, 5);
  expect(await cosine(page, 0, 2)).toBeCloseTo(made.baby, 5);
});
