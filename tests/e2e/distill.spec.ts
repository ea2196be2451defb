/**
 * Distilling a loaded transformer in the page (issue #18): use-lite int8 (WASM) → a static model
 * on the first Moby-Dick sentences with few epochs; the result is kept (it survives a reload),
 * loads like any static model, embeds beside its teacher with sane vectors, and downloads as a
 * model2vec zip, and is gone for good once deleted. Bad input: a corpus too small says how many sentences a fit needs; cancel and a
 * teacher unloaded mid-run stop the run and keep nothing; a reload mid-run (a crash, a closed tab)
 * lists the run where its last checkpoint left it, and Resume finishes it from there (Discard forgets it).
 */
import { expect, test, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { loadModel } from '../helpers/models.ts';

const card = (page: Page) => page.getByTestId('distill-card');

/** use-lite int8 alone, then the Models view's distil card set to Moby-Dick's first `n` sentences. */
async function setUp(page: Page, n: number, epochs = 2) {
  await page.goto('/');
  await loadModel(page, { id: 'use-lite', dtype: 'int8', unloadOthers: true, thenOpen: 'models' });
  const c = card(page);
  await expect(c.getByTestId('distill-teacher')).toContainText('Universal Sentence Encoder lite (ONNX) · int8 · wasm');
  await c.getByTestId('distill-corpus').selectOption('moby-dick');
  await c.getByTestId('distill-moby-limit').fill(String(n));
  await c.getByTestId('distill-epochs').fill(String(epochs));
  await c.getByTestId('distill-dims').fill('64');
  // Corpus words first, then the teacher's: 2,500 words keeps the teacher's part to seconds.
  await c.getByTestId('distill-words').fill('2500');
}

test('distils use-lite into a static model that is kept, loads, embeds sanely beside its teacher, downloads and deletes', async ({ page }) => {
  test.setTimeout(150_000);
  await setUp(page, 400);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  await expect(c.getByTestId('distill-progress')).toBeVisible();
  await expect(c.getByTestId('distilled-row')).toHaveCount(1, { timeout: 110_000 });
  await expect(c.getByTestId('distill-notice')).toContainText(/Distilled in \d+ s: [\d,]+ words × 64 dims.* \d+ checkpoints written \([\d.]+ [kM]B in [\d.]+ s, [\d.]+ % of the run\)\.$/);
  console.log(`straight run: ${await c.getByTestId('distill-notice').textContent()}`);
  const row = c.getByTestId('distilled-row');
  await expect(row).toContainText('Universal Sentence Encoder lite');
  await expect(row).toContainText('Moby-Dick (400 sentences)');
  await expect(row).toHaveAttribute('data-dims', '64');

  // Kept across a reload.
  await page.reload();
  await page.getByTestId('nav-models').click();
  await expect(card(page).getByTestId('distilled-row')).toHaveCount(1);

  // The zip holds the model2vec files.
  const download = page.waitForEvent('download');
  await card(page).getByTestId('distilled-download').click();
  const d = await download;
  expect(d.suggestedFilename()).toMatch(/^distilled-use-lite-.*\.zip$/);
  const files = Object.keys(unzipSync(new Uint8Array(await readFile(await d.path()))));
  expect(files.map((f) => f.split('/').pop()).sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'tokenizer.json']);

  // Loaded beside its teacher (reloaded, as the page remembers it) and embedded in the Playground.
  await loadModel(page, { id: 'use-lite', dtype: 'int8', unloadOthers: true, thenOpen: 'models' });
  const ready = page.locator('[data-testid=model-card][data-status=ready]');
  await card(page).getByTestId('distilled-load').click();
  await expect(ready).toHaveCount(2, { timeout: 30_000 });
  await expect(page.locator('[data-testid=model-row][data-source=user]')).toContainText(/distilled here.*IndexedDB/);
  await page.getByTestId('nav-playground').click();
  const sentences = ['The whale swam in the sea.', 'A whale was swimming in the ocean.', 'I bought bread at the market.', 'The captain walked on the deck of the ship.'];
  await page.getByTestId('sentences').fill(sentences.join('\n'));
  await page.getByTestId('embed').click();
  const column = page.locator('[data-testid=column][data-model-ref^="distilled-use-lite"][data-precision=float32]');
  await expect(column.getByTestId('column-summary')).toContainText(/^64 dims/, { timeout: 30_000 });
  const cos = await column.locator('td[data-row]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-cosine'))));
  expect(cos).toHaveLength(sentences.length ** 2);
  for (const x of cos) expect(Number.isFinite(x)).toBe(true);
  const at = (i: number, j: number) => cos[i * sentences.length + j];
  for (let i = 0; i < sentences.length; i++) expect(at(i, i)).toBeCloseTo(1, 3);
  // The two whale sentences score higher than either does with the market one.
  expect(at(0, 1)).toBeGreaterThan(at(0, 2));
  expect(at(1, 0)).toBeGreaterThan(at(1, 2));
  // Its teacher's column is there beside it.
  await expect(page.locator('[data-testid=column][data-model-ref="use-lite · int8 · wasm"] [data-testid=column-summary]')).toContainText(/^512 dims/);

  // Delete forgets it for good.
  await page.getByTestId('nav-models').click();
  await card(page).getByTestId('distilled-delete').click();
  await expect(card(page).getByTestId('distilled-row')).toHaveCount(0);
  const stored = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('embedscope-distilled');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('models').objectStore('models').count();
          count.onsuccess = () => resolve(count.result);
        };
      }),
  );
  expect(stored).toBe(0);
});

test('a corpus too small says how many sentences a fit needs, and keeps nothing', async ({ page }) => {
  test.setTimeout(90_000);
  await setUp(page, 50);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  await expect(c.getByTestId('distill-error')).toContainText(/a corpus fit needs at least 200/);
  await expect(c.getByTestId('distilled-row')).toHaveCount(0);
  await expect(c.getByTestId('distill-run')).toHaveCount(0); // bad input leaves no run to resume
  await expect.poll(() => stored(page, 'runs')).toBe(0);
  await expect(c.getByTestId('distill-start')).toBeEnabled();
});

test('cancel stops the run and keeps nothing', async ({ page }) => {
  test.setTimeout(90_000);
  await setUp(page, 400);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  await expect(c.getByTestId('distill-progress')).toHaveAttribute('data-step', 'token-only');
  await c.getByTestId('distill-cancel').click();
  await expect(c.getByTestId('distill-error')).toHaveText('Distillation cancelled: nothing was kept.');
  await expect(c.getByTestId('distilled-row')).toHaveCount(0);
  await expect(c.getByTestId('distill-run')).toHaveCount(0);
  await expect.poll(() => stored(page, 'checkpoints')).toBe(0);
  await expect(c.getByTestId('distill-start')).toBeEnabled();
});

test('a teacher unloaded mid-run stops the run with a message that says so, and keeps nothing', async ({ page }) => {
  test.setTimeout(90_000);
  await setUp(page, 400);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  await expect(c.getByTestId('distill-progress')).toHaveAttribute('data-step', 'token-only');
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('unload-model').click();
  await page.getByTestId('nav-models').click();
  await expect(c.getByTestId('distill-error')).toContainText(/lite \(ONNX\) · int8 · wasm was unloaded during the distillation: the run stopped and nothing was kept\./);
  await expect(c.getByTestId('distilled-row')).toHaveCount(0);
  await expect(c.getByTestId('distill-run')).toHaveCount(0);
  await expect.poll(() => stored(page, 'checkpoints')).toBe(0);
  await expect(c.getByTestId('distill-no-teacher')).toBeVisible();
});

/** Records in the distill database's stores: what a run leaves behind. */
function stored(page: Page, store: 'runs' | 'checkpoints' | 'models') {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('embedscope-distilled');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction(name).objectStore(name).count();
          count.onsuccess = () => {
            resolve(count.result);
            open.result.close();
          };
        };
      }),
    store,
  );
}

test('a reload mid-fit lists the run at its last checkpoint; Resume finishes it from there without the teacher, and the model loads', async ({ page }) => {
  test.setTimeout(240_000);
  // 4,000 sentences: epochs of a few hundred ms, so the fit (≥ 3 epochs: patience 2) and the PCA
  // after it outlast the reload by seconds; 50 epochs at most, early stopping ends it.
  await setUp(page, 4000, 50);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  // The first epoch's state is in IndexedDB: now the tab goes away.
  await expect(c.getByTestId('distill-progress')).toHaveAttribute('data-checkpoint', /^fit:\d+$/, { timeout: 180_000 });
  await page.reload();
  await page.getByTestId('nav-models').click();
  const run = card(page).getByTestId('distill-run');
  await expect(run).toHaveCount(1);
  await expect(run).toHaveAttribute('data-step', 'fit');
  await expect(run.getByTestId('distill-run-state')).toHaveText(/^interrupted in the corpus fit at epoch \d+ of 50 \(\d+ %\)$/);
  await expect(run).toContainText('Moby-Dick (4000 sentences)');
  expect(await stored(page, 'checkpoints')).toBeGreaterThan(2);

  await run.getByTestId('distill-resume').click();
  await expect(card(page).getByTestId('distilled-row')).toHaveCount(1, { timeout: 120_000 });
  // Resumed, not restarted: the teacher was asked for nothing (a restart embeds 2,500 words and 4,000 sentences).
  await expect(card(page).getByTestId('distill-notice')).toContainText(/Distilled in \d+ s: [\d,]+ words × 64 dims .*Resumed from epoch \d+ of the fit: the teacher embedded 0 texts this time\./);
  await expect(card(page).getByTestId('distill-run')).toHaveCount(0);
  expect(await stored(page, 'runs')).toBe(0);
  expect(await stored(page, 'checkpoints')).toBe(0);
  console.log(`resumed run: ${await card(page).getByTestId('distill-notice').textContent()}`);

  // The resumed result loads and embeds.
  await card(page).getByTestId('distilled-load').click();
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('sentences').fill('The whale swam in the sea.\nA whale was swimming in the ocean.\nI bought bread at the market.');
  await page.getByTestId('embed').click();
  const column = page.locator('[data-testid=column][data-model-ref^="distilled-use-lite"][data-precision=float32]');
  await expect(column.getByTestId('column-summary')).toContainText(/^64 dims/, { timeout: 30_000 });
  const cos = await column.locator('td[data-row]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-cosine'))));
  expect(cos[1]).toBeGreaterThan(cos[2]); // whale–whale above whale–market
});

/** Starts a run on Moby-Dick's first 3,000 sentences and reloads once the corpus pass has kept a batch. */
async function interruptInCorpusPass(page: Page) {
  await setUp(page, 3000, 2);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  await expect(c.getByTestId('distill-progress')).toHaveAttribute('data-checkpoint', /^corpus:\d+$/, { timeout: 90_000 });
  await page.reload();
  await page.getByTestId('nav-models').click();
  const run = card(page).getByTestId('distill-run');
  await expect(run.getByTestId('distill-run-state')).toHaveText(/^interrupted in the teacher's pass over the corpus, at [\d,]+ of 3,000 sentences \(\d+ %\)$/);
  expect(await stored(page, 'checkpoints')).toBeGreaterThan(1);
  return run;
}

test('a reload mid teacher pass: Resume asks for the teacher, then embeds only the sentences the pass had not kept', async ({ page }) => {
  test.setTimeout(180_000);
  const run = await interruptInCorpusPass(page);
  const kept = Number((await run.getByTestId('distill-run-state').textContent())!.match(/at ([\d,]+) of/)![1].replace(/,/g, ''));
  await run.getByTestId('distill-resume').click();
  await expect(card(page).getByTestId('distill-error')).toHaveText(
    'Load Universal Sentence Encoder lite (ONNX) · int8 · wasm (Playground) to resume: the run still needs its teacher for the corpus pass.',
  );
  await expect(card(page).getByTestId('distill-run')).toHaveCount(1); // nothing lost
  await loadModel(page, { id: 'use-lite', dtype: 'int8', thenOpen: 'models' });
  await card(page).getByTestId('distill-resume').click();
  await expect(card(page).getByTestId('distilled-row')).toHaveCount(1, { timeout: 150_000 });
  const notice = (await card(page).getByTestId('distill-notice').textContent())!;
  const asked = Number(notice.match(/Resumed from the teacher's pass over the corpus at ([\d,]+): the teacher embedded ([\d,]+) texts this time/)![2].replace(/,/g, ''));
  expect(asked).toBe(3000 - kept);
  expect(await stored(page, 'checkpoints')).toBe(0);
});

test('a reload mid-run, then Discard: the run and its checkpoints are gone', async ({ page }) => {
  test.setTimeout(120_000);
  const run = await interruptInCorpusPass(page);
  await run.getByTestId('distill-discard').click();
  await expect(card(page).getByTestId('distill-run')).toHaveCount(0);
  expect(await stored(page, 'runs')).toBe(0);
  expect(await stored(page, 'checkpoints')).toBe(0);
});

/** A collection of Moby-Dick's first `n` sentences embedded by the loaded model whose id is `modelId`, through the store's own job runner. */
async function seedCollection(page: Page, name: string, modelId: string, n: number) {
  return page.evaluate(
    async (o) => {
      const { models } = await import('/src/ui/models.svelte.ts' as string);
      const { VectorStore } = await import('/src/core/store/store.ts' as string);
      const { runIngestJob } = await import('/src/core/store/ingest.ts' as string);
      const { splitSentences } = await import('/src/core/corpus/sentences.ts' as string);
      const model = models.list.find((m: { status: string; info?: { id: string } }) => m.status === 'ready' && m.info?.id === o.modelId);
      const client = models.client(model.key);
      const sentences: string[] = splitSentences(await (await fetch('/corpora/moby-dick.txt')).text()).slice(0, o.n);
      const store = await VectorStore.open();
      const c = await store.createCollection({ name: o.name, modelId: o.modelId, modelDims: model.info.dims, dtype: model.spec.dtype ?? null, precisions: ['float32'] });
      const job = await store.enqueue(c.id, sentences.map((text) => ({ text, source: 'moby-dick.txt' })));
      await runIngestJob({ store, jobId: job.id, batchSize: 256, embed: (t: string[]) => client.embed(t) });
      const done = await store.collection(c.id);
      store.close();
      return done.count as number;
    },
    { name, modelId, n },
  );
}

test('a distilled model comes back after a reload and stands beside its teacher in Compare and in the Benchmark', async ({ page }) => {
  test.setTimeout(300_000);
  await setUp(page, 400);
  const c = card(page);
  await c.getByTestId('distill-start').click();
  await expect(c.getByTestId('distilled-row')).toHaveCount(1, { timeout: 110_000 });
  const id = (await c.getByTestId('distilled-row').getAttribute('data-id'))!;
  await c.getByTestId('distilled-load').click();
  const ready = page.locator('[data-testid=model-card][data-status=ready]');
  await expect(ready).toHaveCount(2, { timeout: 30_000 });
  // The Playground remembers both models: this visit's setting, as a person would tick it.
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('autoload-toggle').check();
  expect(await seedCollection(page, 'Moby by the teacher', 'use-lite', 300)).toBe(300);
  expect(await seedCollection(page, 'Moby by its student', id, 300)).toBe(300);

  await page.reload();
  await expect(ready).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByTestId('loaded-models')).toContainText('use-lite distilled · 64d');

  // Compare: one query through the teacher's collection and the student's, side by side.
  await page.getByTestId('nav-compare').click();
  await expect(page.getByTestId('variant')).toHaveCount(2);
  await page.getByTestId('compare-query').fill('the whale attacked the boat');
  await page.getByTestId('compare-run').click();
  const student = page.locator(`[data-testid=compare-column][data-label="Moby by its student · ${id} · float32"]`);
  const teacher = page.locator('[data-testid=compare-column][data-label="Moby by the teacher · use-lite · float32"]');
  await expect(student).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });
  await expect(teacher).toHaveAttribute('data-state', 'ok');
  await expect(student.getByTestId('compare-hit')).toHaveCount(10);
  await expect(teacher.getByTestId('compare-hit')).toHaveCount(10);

  // Benchmark: the distilled model is offered beside the catalog's and runs in the same matrix as its teacher.
  await page.getByTestId('nav-benchmark').click();
  const set = async (testid: string, on: boolean) => page.getByTestId(testid).setChecked(on);
  await set('bench-model-glove-100d', false);
  await set('bench-model-use-lite', true);
  await set(`bench-model-${id}`, true);
  for (const d of ['fp32', 'fp16']) if (await page.getByTestId(`bench-dtype-${d}`).count()) await set(`bench-dtype-${d}`, false);
  await set('bench-dtype-int8', true);
  await set('bench-backend-webgpu', false);
  await set('bench-threads-1', true);
  for (const t of [2, 4]) if (await page.getByTestId(`bench-threads-${t}`).count()) await set(`bench-threads-${t}`, false);
  for (const b of [1, 32, 128]) await set(`bench-batch-${b}`, false);
  await set('bench-batch-8', true);
  await set('bench-memory', false);
  await page.getByTestId('bench-repeats').fill('1');
  await page.getByTestId('bench-sentences').fill('16');
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-progress')).toBeVisible();
  await expect(page.getByTestId('bench-run')).toBeEnabled({ timeout: 120_000 });
  await expect(page.locator(`[data-testid=bench-cell][data-cell="${id} js"]`)).toHaveAttribute('data-status', 'done');
  await expect(page.locator('[data-testid=bench-cell][data-cell="use-lite int8 wasm 1×1"]')).toHaveAttribute('data-status', 'done');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bench-export-json').click()]);
  const report = JSON.parse(await readFile((await download.path())!, 'utf8')) as { results: { suite: string; metric: string; model: string; value: number; batch?: number }[] };
  const rate = (model: string) => report.results.find((r) => r.metric === 'sentences_per_s' && r.model === model && r.batch === 8)!;
  expect(rate(id)).toMatchObject({ suite: 'static', model: id, batch: 8 });
  expect(rate('use-lite')).toMatchObject({ suite: 'transformer', model: 'use-lite', batch: 8 });
  for (const m of [id, 'use-lite']) expect(rate(m).value).toBeGreaterThan(0);
  expect(report.results.find((r) => r.metric === 'model_bytes' && r.model === id)!.value).toBeGreaterThan(0);
});
