/**
 * The Compare view in Chromium over real collections (Moby-Dick embedded by glove-100d into the
 * page's IndexedDB): agreement with the float32 reference, a model that is not loaded, hostile
 * corpus text, quality with labels by the same code as `npm run eval`, and the map.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { evaluateRetrieval, evaluateSts } from '../../src/core/eval/evaluate.ts';
import { parseSts } from '../../src/core/eval/sts.ts';
import { parseBeir } from '../../src/core/eval/retrieval.ts';

const root = resolve(import.meta.dirname, '../..');

async function loadGlove(page: Page) {
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
}

/**
 * Embeds texts into a new collection through the store's own job runner, with the glove-100d the
 * page loaded (not the Collections form: this file tests the Compare view, whatever that form becomes).
 * `texts` omitted = Moby-Dick by sentence; `parts` splits it into that many source files.
 */
async function seedCollection(page: Page, opts: { name: string; precisions: string[]; texts?: { text: string; source: string }[]; parts?: number; reverse?: boolean }) {
  return page.evaluate(async (o) => {
    const { models } = await import('/src/ui/models.svelte.ts' as string);
    const { VectorStore } = await import('/src/core/store/store.ts' as string);
    const { runIngestJob } = await import('/src/core/store/ingest.ts' as string);
    const model = models.list.find((m: { status: string; info?: { id: string } }) => m.status === 'ready' && m.info?.id === 'glove-100d');
    const client = models.client(model.key);
    let items = o.texts;
    if (!items) {
      const text = await (await fetch('/corpora/moby-dick.txt')).text();
      const sentences = text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/).filter((s) => s.length >= 20);
      const per = Math.ceil(sentences.length / (o.parts ?? 1));
      items = sentences.map((s, i) => ({ text: s, source: `moby-dick-part-${Math.floor(i / per) + 1}.txt` }));
    }
    if (o.reverse) items = items.slice().reverse();
    const store = await VectorStore.open();
    const c = await store.createCollection({ name: o.name, modelId: 'glove-100d', modelDims: 100, precisions: o.precisions });
    const job = await store.enqueue(c.id, items);
    await runIngestJob({ store, jobId: job.id, batchSize: 1024, embed: (t: string[]) => client.embed(t) });
    const done = await store.collection(c.id);
    store.close();
    return done.count as number;
  }, opts);
}

const column = (page: Page, label: string) => page.locator(`[data-testid=compare-column][data-label="${label}"]`);
const metric = async (page: Page, label: string, which: 'overlap' | 'recall') => Number(await column(page, label).getByTestId(which).textContent());

async function compareQuery(page: Page, query: string) {
  await page.getByTestId('compare-query').fill(query);
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-run')).toBeEnabled();
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('float32 agrees with itself (overlap@10 = 1), binary does not, rescoring brings it closer; other collections match by text', async ({ page }) => {
  test.setTimeout(120_000); // two Moby-Dick collections embedded on a shared 2-core machine
  await loadGlove(page);
  const n = await seedCollection(page, { name: 'Moby', precisions: ['float32', 'int8', 'binary'] });
  expect(n).toBeGreaterThan(5000);
  // The same sentences stored in reverse order: other row numbers, same texts.
  expect(await seedCollection(page, { name: 'Moby reversed', precisions: ['float32'], reverse: true })).toBe(n);
  await page.getByTestId('nav-compare').click();
  await expect(page.getByTestId('variant')).toHaveCount(4);
  await expect(page.getByTestId('variant').nth(0)).toHaveAttribute('data-label', 'Moby · glove-100d · float32');
  await expect(page.getByTestId('variant').nth(3)).toHaveAttribute('data-label', 'Moby reversed · glove-100d · float32');

  const f32 = 'Moby · glove-100d · float32';
  const bin = 'Moby · glove-100d · binary';
  const rescored = 'Moby · glove-100d · binary + rescore ×4 (float32)';
  const reversed = 'Moby reversed · glove-100d · float32';
  let binarySum = 0;
  let rescoredSum = 0;
  for (const query of ['the white whale', 'a storm at sea tossed the ship', 'the captain paced the deck at night']) {
    await compareQuery(page, query);
    await expect(column(page, f32).getByTestId('compare-hit')).toHaveCount(10);
    expect(await metric(page, f32, 'overlap')).toBe(1);
    expect(await metric(page, reversed, 'overlap')).toBe(1);
    const b = await metric(page, bin, 'overlap');
    const r = await metric(page, rescored, 'overlap');
    expect(b).toBeLessThan(1);
    // Deeper results hold more of the reference than the first page does.
    expect(await metric(page, bin, 'recall')).toBeGreaterThanOrEqual(b);
    binarySum += b;
    rescoredSum += r;
    // Exactly the rows missing from the reference are highlighted.
    const differs = await column(page, bin).locator('[data-testid=compare-hit][data-differs=true]').count();
    expect(differs).toBe(Math.round((1 - b) * 10));
    await expect(column(page, f32).locator('[data-differs=true]')).toHaveCount(0);
  }
  expect(rescoredSum).toBeGreaterThan(binarySum);
  // Sizes: 100 dims → 400 B float32, 13 B binary (+ the float32 rows rescoring reads).
  await expect(column(page, f32).getByTestId('column-cost')).toContainText('400 B/vector');
  await expect(column(page, rescored).getByTestId('column-cost')).toContainText(/13 B\/vector · index [\d.]+ kB \+ [\d.]+ MB float32 for rescoring/);
  await expect(column(page, bin).getByTestId('latency')).toContainText(/\d+\.\d ms/);

  // Variants: no duplicates, at most four.
  await page.getByTestId('variant-remove').nth(3).click();
  await page.getByTestId('add-collection').selectOption({ label: `Moby · glove-100d · ${n.toLocaleString('en-US')} chunks` });
  await page.getByTestId('add-variant').selectOption({ label: 'float32' });
  await page.getByTestId('add-variant-button').click();
  await expect(page.getByTestId('compare-error')).toHaveText('That variant is already shown.');
  await page.getByTestId('add-variant').selectOption({ label: 'int8' });
  await page.getByTestId('add-variant-button').click();
  await expect(page.getByTestId('variant')).toHaveCount(4);
  await expect(page.getByTestId('add-variant-button')).toBeDisabled();
});

test('a variant whose model is not loaded says so and offers to load it; an empty query is refused', async ({ page }) => {
  await loadGlove(page);
  await seedCollection(page, { name: 'Moby', precisions: ['float32', 'binary'] });
  await page.reload();
  await page.getByTestId('nav-compare').click();
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-error')).toHaveText('Type a query first.');
  await compareQuery(page, 'the white whale');
  await expect(page.getByTestId('reference-error')).toContainText('Load glove-100d to compute the reference');
  await expect(page.getByTestId('column-no-model')).toHaveCount(3);
  await expect(page.getByTestId('column-no-model').first()).toContainText('glove-100d is not loaded');
  await page.getByTestId('column-load-model').first().click();
  // Loading re-runs the same query: every column fills, the reference included.
  await expect(page.locator('[data-testid=compare-column][data-state=ok]')).toHaveCount(3);
  await expect(page.getByTestId('reference-error')).toHaveCount(0);
  expect(await metric(page, 'Moby · glove-100d · float32', 'overlap')).toBe(1);
});
