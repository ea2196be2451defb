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
import { loadGlove } from '../helpers/models.ts';

const root = resolve(import.meta.dirname, '../..');


/**
 * Embeds texts into a new collection through the store's own job runner, with the glove-100d the
 * page loaded (not the Collections form: this file tests the Compare view, whatever that form becomes).
 * `texts` omitted = Moby-Dick by sentence; `parts` splits it into that many source files.
 */
async function seedCollection(page: Page, opts: { name: string; precisions: string[]; dims?: number; texts?: { text: string; source: string }[]; parts?: number; reverse?: boolean }) {
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
    const c = await store.createCollection({ name: o.name, modelId: 'glove-100d', modelDims: 100, dims: o.dims, precisions: o.precisions });
    const job = await store.enqueue(c.id, items);
    await runIngestJob({ store, jobId: job.id, batchSize: 1024, embed: (t: string[]) => client.embed(t) });
    const done = await store.collection(c.id);
    store.close();
    return done.count as number;
  }, opts);
}

/** Where the map drew points, read back from the canvas pixels (page coordinates), at most `max`. */
async function drawnPoints(page: Page, max = 400): Promise<{ x: number; y: number }[]> {
  const canvas = page.getByTestId('map-canvas');
  await canvas.scrollIntoViewIfNeeded(); // mouse positions are viewport positions
  const box = (await canvas.boundingBox())!;
  const found = await canvas.evaluate((el: HTMLCanvasElement, limit: number) => {
    const ctx = el.getContext('2d')!;
    const { data, width, height } = ctx.getImageData(0, 0, el.width, el.height);
    const scale = el.width / el.getBoundingClientRect().width;
    const out: { x: number; y: number }[] = [];
    const step = Math.max(1, Math.round(scale));
    for (let y = 0; y < height && out.length < limit; y += step * 3) {
      for (let x = 0; x < width && out.length < limit; x += step) {
        if (data[(y * width + x) * 4 + 3] > 0) {
          out.push({ x: x / scale, y: y / scale });
          x += step * 6;
        }
      }
    }
    return out;
  }, max);
  return found.map((p) => ({ x: box.x + p.x + 1, y: box.y + p.y + 1 }));
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

  // The other collection as the reference: its float32 top-k holds the same texts, so nothing changes.
  const before = await metric(page, bin, 'overlap');
  await page.getByTestId('variant-reference').nth(3).check();
  await compareQuery(page, 'the captain paced the deck at night');
  await expect(column(page, reversed).getByTestId('reference-badge')).toHaveText('reference');
  await expect(column(page, f32).getByTestId('reference-badge')).toHaveCount(0);
  expect(await metric(page, f32, 'overlap')).toBe(1);
  expect(await metric(page, bin, 'overlap')).toBe(before);
  // Marking a binary variant makes its collection's float32 the reference, and the badge says so.
  await page.getByTestId('variant-reference').nth(1).check();
  await compareQuery(page, 'the captain paced the deck at night');
  await expect(column(page, bin).getByTestId('reference-badge')).toHaveText('its float32 is the reference');
  expect(await metric(page, bin, 'overlap')).toBe(before);

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
  test.setTimeout(120_000); // two collections embedded and two models loaded, on a shared machine
  await loadGlove(page);
  await seedCollection(page, { name: 'Moby', precisions: ['float32', 'binary'] });
  await seedCollection(page, { name: 'Moby 32d', precisions: ['float32'], dims: 32 }); // Matryoshka: first 32 of 100 dims
  await page.reload();
  await page.getByTestId('nav-compare').click();
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-error')).toHaveText('Type a query first.');
  await compareQuery(page, 'the white whale');
  await expect(page.getByTestId('reference-error')).toContainText('Load glove-100d to compute the reference');
  await expect(page.getByTestId('column-no-model')).toHaveCount(4);
  await expect(page.getByTestId('column-no-model').first()).toContainText('glove-100d is not loaded');
  // Quality with labels says the same, row by row.
  await page.getByTestId('quality-sts').setInputFiles({ name: 'tiny.tsv', mimeType: 'text/plain', buffer: Buffer.from('g\tf\t2012\t1\t4.0\tA man eats.\tA man is eating.\ng\tf\t2012\t2\t0.5\tA dog runs.\tThe market fell.\n') });
  await page.getByTestId('quality-run').click();
  await expect(page.locator('[data-testid=quality-row][data-state=no-model]')).toHaveCount(4);
  await expect(page.getByTestId('quality-message').first()).toHaveText("glove-100d is not loaded, so this variant's texts cannot be embedded.");
  await expect(page.getByTestId('quality-load-model')).toHaveCount(4);
  await page.getByTestId('column-load-model').first().click();
  // Loading re-runs the same query: every column fills, the reference included.
  await expect(page.locator('[data-testid=compare-column][data-state=ok]')).toHaveCount(4);
  await expect(page.getByTestId('reference-error')).toHaveCount(0);
  await expect(page.getByTestId('column-model').first()).toContainText('query embedded by GloVe 100d (static)');
  // One loaded model per collection: nothing to choose.
  await expect(page.getByTestId('variant-query-model')).toHaveCount(0);
  expect(await metric(page, 'Moby · glove-100d · float32', 'overlap')).toBe(1);
  // The truncated collection is another variant of the same texts, measured against the full float32.
  const matryoshka = 'Moby 32d · glove-100d · 32 of 100 dims · float32';
  await expect(column(page, matryoshka).getByTestId('column-cost')).toContainText('128 B/vector');
  expect(await metric(page, matryoshka, 'overlap')).toBeLessThan(1);

  // Out-of-range numbers are refused with the range, and the columns shown stay.
  await page.getByTestId('compare-k').fill('0');
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-error')).toHaveText('top-k must be a whole number from 1 to 100 (got 0).');
  await page.getByTestId('compare-k').fill('10');
  await page.getByTestId('compare-depth').fill('5');
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-error')).toHaveText('The recall depth must be a whole number from k (10) to 1000 (got 5).');
  await expect(page.locator('[data-testid=compare-column][data-state=ok]')).toHaveCount(4);

  // Two loaded models give the same model id (e.g. use-lite fp32 and int8): each variant says which embeds its queries.
  await loadGlove(page, { thenOpen: 'compare' });
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(2);
  await expect(page.getByTestId('variant-query-model')).toHaveCount(4);
  await expect(page.getByTestId('variant-query-model').first().locator('option')).toHaveCount(2);
});

test('corpus text with <script> and <img onerror> payloads is shown as text in columns, map and legend: nothing runs', async ({ page }) => {
  const payloads = [
    '<script>window.__pwned = 1</script> The whale rose from the sea.',
    '<img src=x onerror="window.__pwned = 2"> The whale sank below the waves.',
    'The whale <b onmouseover="window.__pwned = 3">swam</b> past the ship.',
  ];
  const hostileSource = '<img src=y onerror="window.__pwned = 4">.txt';
  const texts = [
    ...payloads.map((text) => ({ text, source: hostileSource })),
    ...['The ship sailed at dawn.', 'A sailor mended the nets.', 'The captain watched the horizon.', 'Rain fell on the deck all night.'].map((text) => ({ text, source: 'plain.txt' })),
  ];
  await loadGlove(page);
  await seedCollection(page, { name: 'Hostile <i>name</i>', precisions: ['float32', 'binary'], texts });
  await page.getByTestId('nav-compare').click();
  await compareQuery(page, 'the whale in the sea');
  const columns = page.getByTestId('compare-columns');
  for (const p of payloads) await expect(columns.getByText(p, { exact: true }).first()).toBeVisible();
  await expect(columns.getByText(hostileSource).first()).toBeVisible();
  await expect(page.getByTestId('variant').first()).toHaveAttribute('data-label', /^Hostile <i>name<\/i> · glove-100d · float32$/);

  await page.getByTestId('map-draw').click();
  await expect(page.getByTestId('map-legend')).toContainText(hostileSource);
  // Hover the drawn points until a payload shows in the tooltip.
  let seen = 0;
  for (const p of await drawnPoints(page)) {
    await page.mouse.move(p.x, p.y);
    const tip = page.getByTestId('map-tip-text');
    if ((await tip.count()) && payloads.includes((await tip.textContent()) ?? '')) {
      seen++;
      break;
    }
  }
  expect(seen).toBe(1);
  // No element from the payloads exists anywhere, and none of their handlers ran.
  await expect(page.locator('main img, main script, main b, main i')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

/** The STS file the page scores: STS-B test from ../shared when present, else a small one written here. */
function stsFile(): { name: string; text: string } {
  const shared = resolve(root, '../shared/data/stsbenchmark/sts-test.csv');
  if (existsSync(shared)) return { name: 'sts-test.csv', text: readFileSync(shared, 'utf8') };
  const pairs: [number, string, string][] = [
    [5.0, 'A man is eating food.', 'A man is eating a meal.'],
    [3.8, 'A man is eating food.', 'A man is eating a piece of bread.'],
    [0.2, 'A man is eating food.', 'The girl is carrying a baby.'],
    [4.6, 'A woman is playing violin.', 'A woman plays the violin.'],
    [0.5, 'A woman is playing violin.', 'A man is riding a horse.'],
    [4.2, 'A man is riding a horse.', 'A man rides a horse in a field.'],
    [1.0, 'The cat sat on the mat.', 'A man is playing a guitar.'],
    [3.5, 'The ship sailed across the ocean.', 'A boat crossed the sea.'],
    [2.0, 'The ship sailed across the ocean.', 'A man is swimming in a pool.'],
    [4.8, 'Two dogs are running in the snow.', 'Two dogs run through the snow.'],
    [0.0, 'Two dogs are running in the snow.', 'The stock market fell today.'],
    [2.6, 'A child is reading a book.', 'A woman is writing a letter.'],
  ];
  return { name: 'small-sts.tsv', text: pairs.map(([s, a, b], i) => `main-captions\tMSRvid\t2012test\t${i}\t${s}\t${a}\t${b}`).join('\n') };
}

test('quality with labels: STS Spearman and BEIR NDCG@10 / recall@100 per variant, equal to npm run eval\'s code in Node; bad files are refused', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await loadGlove(page);
  await seedCollection(page, { name: 'Moby', precisions: ['float32', 'binary'], parts: 2 });
  await page.getByTestId('nav-compare').click();
  await expect(page.getByTestId('variant')).toHaveCount(3);

  // Expected values from the same functions in Node, with the same model files.
  const model = await loadStaticModel(folderFiles(resolve(root, 'public/models/glove-100d')), { id: 'glove-100d' });
  const embed = async (texts: string[]) => model.embed(texts);
  const sts = stsFile();
  const pairs = parseSts(sts.text, sts.name);
  const expectF32 = (await evaluateSts(pairs, embed, { precision: 'float32' })).spearman;
  const expectBin = (await evaluateSts(pairs, embed, { precision: 'binary' })).spearman;

  await page.getByTestId('quality-sts').setInputFiles({ name: sts.name, mimeType: 'text/tab-separated-values', buffer: Buffer.from(sts.text) });
  await expect(page.getByTestId('quality-data')).toContainText(`${pairs.length.toLocaleString('en-US')} sentence pairs`);
  await page.getByTestId('quality-run').click();
  await expect(page.locator('[data-testid=quality-row][data-state=done]')).toHaveCount(3, { timeout: 60_000 });
  const score = (label: string, m: string) => page.locator(`[data-testid=quality-row][data-label="${label}"] [data-metric="${m}"] strong`);
  await expect(score('Moby · glove-100d · float32', 'Spearman')).toHaveText(expectF32.toFixed(4));
  await expect(score('Moby · glove-100d · binary', 'Spearman')).toHaveText(expectBin.toFixed(4));
  await expect(page.locator('[data-testid=quality-row][data-label="Moby · glove-100d · binary + rescore ×4 (float32)"]')).toContainText('rescoring does not apply');

  // A broken STS file: a clear message, and the file loaded before stays.
  await page.getByTestId('quality-sts').setInputFiles({ name: 'broken.tsv', mimeType: 'text/plain', buffer: Buffer.from('genre\tfile\tyear\tid\tscore\ts1\ts2\nx\ty\t2012\t1\tfive\tA man.\tA woman.\n') });
  await expect(page.getByTestId('quality-error')).toHaveText('broken.tsv, line 2: expected 7 tab-separated columns with a numeric score in column 5');
  await expect(page.getByTestId('quality-data')).toContainText(sts.name);

  // A small BEIR set over Moby-Dick sentences, picked as a folder.
  const docs = ['Call me Ishmael.', 'The white whale swam away from the ship.', 'Queequeg was a harpooneer from a South Sea island.', 'The captain stood on the quarter-deck.', 'Whale oil was stored in casks below.', 'The sea was calm and the sky was grey.'];
  const queries = [['q1', 'the white whale'], ['q2', 'harpooneer from an island'], ['q3', 'oil in casks']];
  const qrels = [['q1', 'd1', 1], ['q2', 'd2', 1], ['q3', 'd4', 2], ['q3', 'd1', 1]];
  const files = {
    'corpus.jsonl': docs.map((text, i) => JSON.stringify({ _id: `d${i}`, title: '', text })).join('\n'),
    'queries.jsonl': queries.map(([id, text]) => JSON.stringify({ _id: id, text })).join('\n'),
    'qrels/test.tsv': ['query-id\tcorpus-id\tscore', ...qrels.map((r) => r.join('\t'))].join('\n'),
  };
  const data = parseBeir(files['corpus.jsonl'], files['queries.jsonl'], files['qrels/test.tsv']);
  const expected = await evaluateRetrieval(data, embed, { precision: 'binary', rescore: 4 });
  const dir = testInfo.outputPath('tiny-beir');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(resolve(dir, 'qrels'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(resolve(dir, name), text);
  await page.getByTestId('quality-beir-folder').setInputFiles(dir);
  await expect(page.getByTestId('quality-data')).toContainText('BEIR: tiny-beir, 6 documents, 3 judged queries');
  await page.getByTestId('quality-run').click();
  await expect(page.locator('[data-testid=quality-row][data-state=done]')).toHaveCount(3, { timeout: 60_000 });
  const rescored = 'Moby · glove-100d · binary + rescore ×4 (float32)';
  await expect(score(rescored, 'NDCG@10')).toHaveText(expected.ndcg10.toFixed(4));
  await expect(score(rescored, 'recall@100')).toHaveText(expected.recall100.toFixed(4));

  // Loose files without qrels: says what is missing.
  await page.getByTestId('quality-beir-files').setInputFiles([
    { name: 'corpus.jsonl', mimeType: 'application/json', buffer: Buffer.from(files['corpus.jsonl']) },
    { name: 'queries.jsonl', mimeType: 'application/json', buffer: Buffer.from(files['queries.jsonl']) },
  ]);
  await expect(page.getByTestId('quality-error')).toContainText('qrels/test.tsv is missing');
});

test('the map: PCA of a collection coloured by source file; hover reads a chunk, click searches with it', async ({ page }) => {
  await loadGlove(page);
  const n = await seedCollection(page, { name: 'Moby', precisions: ['float32', 'int8', 'binary'], parts: 3 });
  await page.getByTestId('nav-compare').click();
  await page.getByTestId('map-draw').click();
  await expect(page.getByTestId('map-summary')).toContainText(`${n.toLocaleString('en-US')} chunks of “Moby” (float32, 100 dims) · PCA`);
  await expect(page.getByTestId('map-legend').locator('li')).toHaveCount(3);
  await expect(page.getByTestId('map-legend')).toContainText('moby-dick-part-2.txt');

  let text: string | null = null;
  let at = { x: 0, y: 0 };
  for (const p of await drawnPoints(page, 50)) {
    at = p;
    await page.mouse.move(p.x, p.y);
    if (await page.getByTestId('map-tip').count()) {
      text = await page.getByTestId('map-tip-text').textContent();
      break;
    }
  }
  expect(text).toBeTruthy();
  await page.mouse.click(at.x, at.y);
  await expect(page.getByTestId('compare-query')).toHaveValue(text!);
  // The chunk's own vector is nearest to itself: the float32 column's first hit is that chunk.
  await expect(page.locator('[data-testid=compare-column][data-label="Moby · glove-100d · float32"] [data-testid=compare-hit] .text').first()).toHaveText(text!);

  // The same map from int8 vectors (dequantized) works too.
  await page.getByTestId('map-precision').selectOption('int8');
  await page.getByTestId('map-draw').click();
  await expect(page.getByTestId('map-summary')).toContainText('(int8, 100 dims)');
});
