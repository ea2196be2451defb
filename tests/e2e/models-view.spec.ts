/**
 * The Models view over real Cache API storage, with a hub model served by this test from the
 * built use-lite folder (as in hub.spec.ts): sizes, where each model is kept, last use, delete;
 * and the bad cases — a damaged cached file, a full disk while caching.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storePlaygroundSentences } from '../helpers/collections.ts';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { fakeHubRepo, folderRepo } from './fixtures/hub-repo.ts';
import { formatBytes } from '../../src/core/util/format.ts';

const folder = join(process.cwd(), 'public/models/use-lite');
const HUB = 'https://huggingface.co/test-org/use-lite/resolve/main/';

/** Serves the fake hub repo (file list + files); `mode` can be switched to 'down' to make the hub unreachable. */
function fakeHub(context: BrowserContext) {
  return fakeHubRepo(context, 'test-org/use-lite', folderRepo(folder));
}

async function loadHubModel(page: Page) {
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('hub-id').fill('test-org/use-lite');
  await page.getByTestId('hub-lookup').click();
  await page.getByTestId('hub-dtype').selectOption('q8');
  await page.getByTestId('hub-load').click();
}

/** The hub cache as stored: file name → size of the body. */
function cachedFiles(page: Page) {
  return page.evaluate(async (prefix) => {
    const cache = await caches.open('embedscope-hub-v1');
    const out: Record<string, number> = {};
    for (const req of await cache.keys()) {
      if (!req.url.startsWith(prefix)) continue;
      out[req.url.slice(prefix.length)] = (await (await cache.match(req))!.arrayBuffer()).byteLength;
    }
    return out;
  }, HUB);
}

const hubBytes = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx']
  .map((f) => readFileSync(join(folder, f)).length)
  .reduce((a, b) => a + b, 0);

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('the Models view lists built-in and cached hub models with sizes and last use; Delete removes a hub model from storage', async ({ page, context }) => {
  test.setTimeout(120_000);
  await fakeHub(context);
  await loadHubModel(page);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  // Deleted while Auto's calibration loads it in other workers: none of them may store a file again
  // (they did, read after the delete: 3 of 4 files were back in the cache).
  await expect(page.getByTestId('auto-status')).toHaveAttribute('data-state', 'calibrating');

  await page.getByTestId('nav-models').click();
  const glove = page.locator('[data-testid=model-row][data-model="glove-100d"]');
  await expect(glove).toContainText('built in');
  await expect(glove).toContainText(/1[12](\.\d)? MB/); // 10.4 MB table + 1.6 MB tokenizer
  const row = page.locator('[data-testid=model-row][data-model="test-org/use-lite"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('model-size')).toHaveText(formatBytes(hubBytes));
  await expect(row.getByTestId('model-stored')).toContainText('browser cache, 4 files');
  await expect(row.getByTestId('model-last-used')).not.toHaveText('never');
  await expect(page.getByTestId('models-view').getByTestId('storage-usage')).toContainText('used of');
  expect(Object.keys(await cachedFiles(page)).sort()).toEqual(['config.json', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']);

  await row.getByTestId('delete-model').click();
  await expect(page.getByTestId('models-notice')).toContainText('Deleted test-org/use-lite: 4 files');
  // It was loaded: deleting unloads it too, so the Playground does not remember (and re-download) it.
  await expect(page.getByTestId('models-notice')).toContainText('It was unloaded from this tab');
  await expect(row).toHaveCount(0);
  expect(await cachedFiles(page)).toEqual({});
  // Still gone after a reload: it was storage, not just the list.
  await page.reload();
  await page.getByTestId('nav-models').click();
  await expect(page.locator('[data-testid=model-row][data-model="glove-100d"]')).toBeVisible();
  await expect(page.locator('[data-testid=model-row][data-model="test-org/use-lite"]')).toHaveCount(0);
});

test('a damaged cached file is detected, removed and downloaded again; offline, the message says so', async ({ page, context }) => {
  test.setTimeout(300_000);
  const hub = await fakeHub(context);
  await loadHubModel(page);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  // Auto's calibration loads the same files again in its own workers, and then the model moves onto
  // the chosen configuration (new workers, same files): let both end first, or one of those loads
  // finds the damage below (and removes the file) before the reload this test is about.
  const status = page.getByTestId('auto-status');
  await expect(status).toHaveAttribute('data-state', /decided|interrupted|cached/, { timeout: 180_000 });
  const chose = /^Auto chose (\d) workers? × \d threads?/.exec((await status.textContent()) ?? '');
  // 'decided' means the model already runs on the decision: read at once, not waited for. It was said
  // before the new workers had loaded, and their loads raced the damage below: this test failed about
  // half the time, whenever Auto chose 2 workers × 1 thread (steered there, it failed 2 of 2).
  if (chose && Number(chose[1]) > 1) expect(await page.getByTestId('model-card').textContent()).toContain(`${chose[1]} instances`);

  // Damage the stored weights the way a torn write would: same headers, half the bytes.
  await page.evaluate(async (url) => {
    const cache = await caches.open('embedscope-hub-v1');
    const res = (await cache.match(url))!;
    const bytes = new Uint8Array(await res.arrayBuffer());
    await cache.put(url, new Response(bytes.slice(0, bytes.length >> 1), { headers: res.headers }));
  }, `${HUB}onnx/model_quantized.onnx`);

  await page.reload();
  hub.mode = 'down';
  await loadHubModel(page);
  await expect(page.getByTestId('model-error')).toContainText('onnx/model_quantized.onnx: the stored copy was damaged', { timeout: 60_000 });
  await expect(page.getByTestId('model-error')).toContainText('has been removed');
  expect(Object.keys(await cachedFiles(page))).not.toContain('onnx/model_quantized.onnx');
  expect(Object.keys(await cachedFiles(page))).toContain('tokenizer.json'); // the sound files are kept

  await page.getByTestId('unload-model').click();
  hub.mode = 'up';
  hub.requests.length = 0;
  await loadHubModel(page);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });
  expect(hub.requests.filter((r) => existsSync(join(folder, r)))).toEqual(['onnx/model_quantized.onnx']); // only the damaged file again
  expect((await cachedFiles(page))['onnx/model_quantized.onnx']).toBe(readFileSync(join(folder, 'onnx/model_quantized.onnx')).length);
});

test('a full disk while caching a hub model gets a clear message, removes nothing, and the download resumes once there is room', async ({ page, context }) => {
  test.setTimeout(150_000);
  const hub = await fakeHub(context);
  // Something already stored that must survive: a collection.
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await storePlaygroundSentences(page, 'Kept', ['The whale breached.', 'A ship in a storm.']);
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('unload-model').click();

  const cdp = await context.newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const usage = (await page.evaluate(() => navigator.storage.estimate())).usage ?? 0;
  // Room for the tokenizer (0.2 MB) but not for the int8 weights (7.3 MB).
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 3_000_000 });
  await loadHubModel(page);
  await expect(page.getByTestId('model-error')).toContainText('onnx/model_quantized.onnx: there is not enough storage on this device to keep it (7.3 MB)', { timeout: 60_000 });
  await expect(page.getByTestId('model-error')).toContainText('Delete cached models in the Models view');
  const partial = await cachedFiles(page);
  expect(Object.keys(partial)).toContain('tokenizer.json');
  expect(Object.keys(partial)).not.toContain('onnx/model_quantized.onnx');
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('collection-summary')).toContainText('2 chunks');

  await cdp.send('Storage.overrideQuotaForOrigin', { origin }); // room again
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('unload-model').click();
  hub.requests.length = 0;
  await loadHubModel(page);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1, { timeout: 90_000 });
  expect(hub.requests.filter((r) => existsSync(join(folder, r)))).toEqual(['onnx/model_quantized.onnx']); // resumed: the rest was kept
});
