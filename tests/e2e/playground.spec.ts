import { expect, test, type Page, type Worker } from '@playwright/test';
import { tinyModelFiles, TINY_TABLE } from '../helpers/tiny-model.ts';

async function loadGlove(page: Page): Promise<Worker> {
  const workerStarted = page.waitForEvent('worker', (w) => w.url().includes('model.worker'));
  await page.getByTestId('catalog-select').selectOption('glove-100d');
  await page.getByTestId('load-model').click();
  const worker = await workerStarted;
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  return worker;
}

function cosine(page: Page, row: number, col: number) {
  return page.locator(`[data-testid=similarity-matrix] td[data-row="${row}"][data-col="${col}"]`).getAttribute('data-cosine').then(Number);
}

async function dropModel(page: Page, files: Record<string, Uint8Array>) {
  await page.getByTestId('model-files').setInputFiles(
    Object.entries(files).map(([name, bytes]) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })),
  );
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('the page is cross-origin isolated, so workers can share memory', async ({ page }) => {
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  await expect(page.getByTestId('environment')).toContainText('cross-origin isolated');
});

test('glove-100d loads in its own worker and ranks "eating food" closer to "bread" than to "baby"', async ({ page }) => {
  const worker = await loadGlove(page);
  expect(worker.url()).toContain('model.worker');
  await expect(page.getByTestId('model-info')).toContainText('glove-100d');
  await expect(page.getByTestId('info-backend')).toContainText('worker');
  // The example sentences are embedded as soon as the model is ready.
  await expect(page.getByTestId('similarity-matrix')).toBeVisible();
  await expect(page.getByTestId('vectors-table')).toContainText('A man is eating food.');
  const bread = await cosine(page, 0, 1);
  const baby = await cosine(page, 0, 2);
  expect(bread).toBeGreaterThan(baby);
  expect(await cosine(page, 0, 0)).toBeCloseTo(1, 5);
});

test('unloading a model terminates its worker', async ({ page }) => {
  const worker = await loadGlove(page);
  const closed = new Promise<void>((resolve) => worker.on('close', () => resolve()));
  await page.getByTestId('unload-model').click();
  await closed;
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await expect(page.getByTestId('model-info')).toHaveCount(0);
});

test('a model the person drops loads and embeds', async ({ page }) => {
  await dropModel(page, tinyModelFiles());
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await page.getByTestId('sentences').fill('apple banana\ncherry\napple');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('embed-summary')).toContainText('3 vectors × 3 dims');
  expect(await cosine(page, 1, 2)).toBeCloseTo(0, 5); // cherry ⟂ apple
});

test('bad model files get a message naming the file and the problem, and glove-100d keeps working', async ({ page }) => {
  await loadGlove(page);
  const good = tinyModelFiles();
  const cases: [string, Record<string, Uint8Array>, RegExp][] = [
    ['no tokenizer', { 'model.safetensors': good['model.safetensors'] }, /tokenizer\.json: is missing/],
    ['corrupt tokenizer', { ...good, 'tokenizer.json': new TextEncoder().encode('{"model": {"vocab": ') }, /tokenizer\.json: is not valid JSON/],
    ['tokenizer without vocabulary', { ...good, 'tokenizer.json': new TextEncoder().encode('{"model":{"type":"WordLevel"}}') }, /tokenizer\.json: has no vocabulary/],
    ['truncated table', { ...good, 'model.safetensors': good['model.safetensors'].slice(0, good['model.safetensors'].length - 9) }, /model\.safetensors: is truncated/],
    ['a PNG as the table', { ...good, 'model.safetensors': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]) }, /model\.safetensors: is not a safetensors file/],
    ['table smaller than the vocabulary', tinyModelFiles({ table: TINY_TABLE.slice(0, 2) }), /model\.safetensors: the embedding table has 2 tokens but tokenizer\.json has 5/],
  ];
  for (const [name, files, message] of cases) {
    await dropModel(page, files);
    const error = page.getByTestId('model-error');
    await expect(error, name).toContainText(message);
    await page.locator('[data-testid=model-card][data-status=error]').getByTestId('unload-model').click();
    await expect(error).toHaveCount(0);
  }
  // The embedded model was never disturbed.
  await page.getByTestId('sentences').fill('The whale surfaced.\nA ship sailed on.');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('embed-summary')).toContainText('2 vectors × 100 dims from GloVe');
});

test('empty input and a 1 MB "sentence" get clear answers and leave the page usable', async ({ page }) => {
  await loadGlove(page);
  await page.getByTestId('sentences').fill('   \n\n  ');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('playground-error')).toContainText('Type or paste at least one sentence');

  await page.getByTestId('sentences').fill('whale '.repeat(180_000)); // 1.08 MB on one line
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('truncation-notice')).toContainText('1 text was longer than 512 tokens and was truncated');
  await expect(page.getByTestId('embed-summary')).toContainText('1 vectors × 100 dims');

  await page.getByTestId('sentences').fill('Call me Ishmael.');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('truncation-notice')).toHaveCount(0);
  await expect(page.getByTestId('playground-error')).toHaveCount(0);
});
