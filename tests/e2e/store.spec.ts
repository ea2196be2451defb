/** Collections in Chromium's real IndexedDB: persistence, a tab closed mid-job, a full disk, exact search. */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

async function loadGlove(page: Page) {
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await page.getByTestId('nav-collections').click();
}

/** Reads the store the way the app does, to check its invariants from outside the UI. */
async function storeState(page: Page) {
  return page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    const [c] = await store.listCollections();
    if (!c) return null;
    const db = store.db;
    const all = IDBKeyRange.bound([c.id, -Infinity], [c.id, Infinity]);
    const chunkBlocks = await db.getAll('chunkBlocks', all);
    const hashBlocks = await db.getAll('hashBlocks', all);
    const chunks = chunkBlocks.reduce((n, b) => n + b.texts.length, 0);
    const hashes = new Set(hashBlocks.flatMap((b) => b.hashes)).size;
    const blockRows = {};
    for (const p of c.precisions) {
      const blocks = await db.getAll('blocks', IDBKeyRange.bound([c.id, p, -Infinity], [c.id, p, Infinity]));
      blockRows[p] = blocks.reduce((n, b) => n + b.count, 0);
    }
    const [job] = await store.jobs(c.id);
    const pending = await store.pendingCount(job.id);
    let next = 0;
    const contiguous = chunkBlocks.every((b) => { const ok = b.start === next; next += b.texts.length; return ok; });
    store.close();
    return { count: c.count, chunks, hashes, blockRows, pending, job: { status: job.status, total: job.total, done: job.done, error: job.error }, contiguous };
  })()`) as Promise<{
    count: number; chunks: number; hashes: number; blockRows: Record<string, number>; pending: number; contiguous: boolean;
    job: { status: string; total: number; done: number; error: string | null };
  } | null>;
}

function expectConsistent(s: NonNullable<Awaited<ReturnType<typeof storeState>>>) {
  expect(s.chunks).toBe(s.count);
  expect(s.hashes).toBe(s.count); // distinct hashes = chunks: nothing stored twice
  for (const rows of Object.values(s.blockRows)) expect(rows).toBe(s.count);
  expect(s.contiguous).toBe(true);
  expect(s.job.done + s.pending).toBe(s.job.total);
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('a collection persists across a reload and is searched with every precision side by side', async ({ page }) => {
  await loadGlove(page);
  await page.getByTestId('batch-size').fill('1024');
  await page.getByTestId('create-collection').click();
  await expect.poll(async () => (await storeState(page))?.job.status, { timeout: 60_000 }).toBe('done');
  await expect(page.getByTestId('job')).toHaveCount(0);
  const summary = await page.getByTestId('collection-summary').textContent();
  expect(summary).toMatch(/^[\d,]+ chunks · glove-100d · 100 dims/);
  const state = await storeState(page);
  expectConsistent(state!);
  expect(state!.job.status).toBe('done');

  await page.reload();
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('collection-summary')).toHaveText(summary!);
  // Its model is not loaded yet: searching says what to do instead of failing silently.
  await page.getByTestId('search-query').fill('the white whale');
  await page.getByTestId('search').click();
  await expect(page.getByTestId('search-error')).toContainText('Load glove-100d to search this collection');
  await loadGlove(page);
  await page.getByTestId('search-query').fill('the white whale');
  await page.getByTestId('search').click();
  const columns = page.getByTestId('search-column');
  await expect(columns).toHaveCount(5); // float32, int8, binary, int8 + rescore, binary + rescore (variantsOf)
  await expect(page.locator('[data-title="float32"] li')).toHaveCount(10);
  await expect(page.locator('[data-title="binary + rescore ×4 (float32)"] li')).toHaveCount(10);
  await expect(page.locator('[data-title="float32"] li').first()).toContainText(/whale/i);
});

test('closing the tab mid-job keeps every committed batch, and the job resumes to completion without duplicates', async ({ page, context }) => {
  await loadGlove(page);
  await page.getByTestId('batch-size').fill('2'); // many small commits, so the tab closes mid-job
  await page.getByTestId('create-collection').click();
  await expect.poll(async () => (await storeState(page))?.count ?? 0, { timeout: 30_000 }).toBeGreaterThan(1100);
  await page.close();

  const second = await context.newPage();
  await second.goto('/');
  const afterClose = await storeState(second);
  expectConsistent(afterClose!);
  expect(afterClose!.job.status).toBe('running'); // it never got to say otherwise
  expect(afterClose!.count).toBeLessThan(afterClose!.job.total);

  await second.getByTestId('nav-collections').click();
  await expect(second.getByTestId('resume-job')).toBeVisible();
  await loadGlove(second);
  await second.getByTestId('batch-size').fill('1024');
  await second.getByTestId('resume-job').click();
  await expect.poll(async () => (await storeState(second))?.job.status, { timeout: 60_000 }).toBe('done');
  const done = await storeState(second);
  expectConsistent(done!);
  expect(done!.job.status).toBe('done');
  expect(done!.count).toBe(done!.job.total);
});

test('a full disk pauses the job with a clear message and leaves the store consistent; it resumes once there is room', async ({ page, context }) => {
  const cdp = await context.newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await loadGlove(page);
  // Room for the queued texts (~1.2 MB of Moby-Dick) but not for all the vectors (~5 MB).
  const usage = (await page.evaluate(() => navigator.storage.estimate())).usage ?? 0;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 6_000_000 });
  await page.getByTestId('batch-size').fill('512');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('collections-error')).toContainText('Storage is full', { timeout: 60_000 });
  await expect(page.getByTestId('job-error')).toContainText('Storage is full');
  const full = await storeState(page);
  expectConsistent(full!);
  // Paused — or, when the disk was so full that even that write was refused, still "running" as
  // after a closed tab; either way stopped, its message on the card (kept by the page), resumable.
  expect(['paused', 'running']).toContain(full!.job.status);
  await expect(page.getByTestId('resume-job')).toBeVisible();
  expect(full!.count).toBeLessThan(full!.job.total);

  await cdp.send('Storage.overrideQuotaForOrigin', { origin }); // back to the real quota
  await page.getByTestId('resume-job').click();
  await expect.poll(async () => (await storeState(page))?.job.status, { timeout: 60_000 }).toBe('done');
  const done = await storeState(page);
  expectConsistent(done!);
  expect(done!.count).toBe(done!.job.total);
});

test('search over stored random vectors equals a brute-force scan, for every precision', async ({ page }) => {
  const mismatches = await page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const { precisions, calibrationFromJson } = await import('/src/core/precision/index.ts');
    const { search } = await import('/src/search-client.ts');
    const store = await VectorStore.open();
    const dims = 64, n = 3000;
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const c = await store.createCollection({ name: 'random', modelId: 'random', modelDims: dims, precisions: ['float32', 'int8', 'uint8', 'binary', 'ubinary'] });
    const items = Array.from({ length: n }, (_, i) => ({ text: 'row ' + i, source: 'synthetic' }));
    const job = await store.enqueue(c.id, items);
    const vectors = new Float32Array(n * dims).map(rand);
    for (let at = 0; at < n; at += 500) {
      const batch = await store.nextBatch(job.id, 500);
      await store.commitBatch(job.id, batch, vectors.subarray(batch[0].seq * dims, (batch[0].seq + batch.length) * dims), dims);
    }
    const stored = await store.collection(c.id);
    const cal = calibrationFromJson(stored.calibration);
    const mismatches = [];
    for (const p of Object.keys(precisions)) {
      const packed = precisions[p].encode(vectors, dims, cal);
      for (let q = 0; q < 5; q++) {
        const query = new Float32Array(dims).map(rand);
        const got = await search({ collectionId: c.id, precision: p, query, k: 10 });
        const want = precisions[p].topK(query, packed, dims, 10, cal);
        const same = JSON.stringify(got.hits.map((h) => h.row)) === JSON.stringify(want.map((h) => h.index))
          && got.hits.every((h) => h.text === 'row ' + h.row);
        if (!same) mismatches.push(p);
      }
    }
    await store.deleteCollection(c.id);
    return mismatches;
  })()`);
  expect(mismatches).toEqual([]);
});

test('"Keep data on this device" asks the browser and shows its answer', async ({ page, context }) => {
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('storage-usage')).toContainText('used of');
  await expect(page.getByTestId('persist')).toBeVisible(); // best effort until asked
  // Chromium grants persistence by heuristics; the test grants the permission for the context
  // Playwright made (named explicitly: permissions belong to browser contexts).
  const cdp = await context.newCDPSession(page);
  const { targetInfo } = await cdp.send('Target.getTargetInfo');
  await cdp.send('Browser.setPermission', {
    permission: { name: 'persistent-storage' },
    setting: 'granted',
    origin: new URL(page.url()).origin,
    browserContextId: targetInfo.browserContextId,
  });
  await page.getByTestId('persist').click();
  await expect(page.getByTestId('persist-answer')).toContainText('will keep this data');
  await expect(page.getByTestId('storage')).toContainText('Kept: the browser will not evict it.');
});

test('a collection exported as JSONL and as NumPy imports back whole; broken files are refused with a reason', async ({ page }) => {
  await loadGlove(page);
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('sentences').fill('The whale breached.\nA ship in a storm.\nThe captain was angry.\nThe sea was calm.');
  await page.getByTestId('nav-collections').click();
  await page.getByLabel("The Playground's sentences").check();
  await page.getByTestId('collection-name').fill('Four');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('collection-summary')).toContainText('4 chunks');

  const jsonlDownload = page.waitForEvent('download');
  await page.getByTestId('export-jsonl').click();
  const jsonl = await (await jsonlDownload).path();

  const npyDownloads: Promise<import('@playwright/test').Download>[] = [];
  page.on('download', (d) => npyDownloads.push(Promise.resolve(d)));
  await page.getByTestId('export-npy').click();
  await expect.poll(() => npyDownloads.length).toBe(5); // float32, int8, binary, texts, manifest
  const npyFiles = await Promise.all(npyDownloads.map(async (d) => ({ name: (await d).suggestedFilename(), path: await (await d).path() })));

  await page.getByTestId('delete-collection').click();
  await expect(page.getByTestId('collection')).toHaveCount(0);

  await page.getByTestId('import-files').setInputFiles({ name: 'Four.jsonl', mimeType: 'application/json', buffer: readFileSync(jsonl) });
  await expect(page.getByTestId('collections-notice')).toContainText('Imported 4 vectors into "Four"');
  await page.getByTestId('import-files').setInputFiles(npyFiles.map((f) => f.path).map((p, i) => ({ name: npyFiles[i].name, mimeType: 'application/octet-stream', buffer: readFileSync(p) })));
  await expect(page.getByTestId('collections-notice')).toContainText('Imported 4 vectors into "Four"');
  await expect(page.getByTestId('collection')).toHaveCount(2);

  await page.getByTestId('search-query').first().fill('whale');
  await page.getByTestId('search').first().click();
  await expect(page.locator('[data-title="float32"] li').first()).toContainText('The whale breached.');

  // Broken inputs: a truncated .npy, and JSONL whose vectors do not fit the model.
  const manifest = npyFiles.find((f) => f.name.endsWith('manifest.json'))!;
  const f32 = npyFiles.find((f) => f.name.endsWith('float32.npy'))!;
  const texts = npyFiles.find((f) => f.name.endsWith('texts.jsonl'))!;
  await page.getByTestId('import-files').setInputFiles([
    { name: manifest.name, mimeType: 'application/json', buffer: readFileSync(manifest.path) },
    { name: f32.name, mimeType: 'application/octet-stream', buffer: readFileSync(f32.path).subarray(0, 200) },
    { name: texts.name, mimeType: 'application/json', buffer: readFileSync(texts.path) },
  ]);
  await expect(page.getByTestId('collections-error')).toContainText('Import failed: float32.npy is truncated');
  await page.getByTestId('import-files').setInputFiles({ name: 'small.jsonl', mimeType: 'application/json', buffer: Buffer.from('{"text":"x","vector":[1,2,3]}\n') });
  await expect(page.getByTestId('collections-error')).toContainText('these vectors have 3 dims but glove-100d gives 100-dim vectors');
  await page.getByTestId('import-files').setInputFiles({ name: 'junk.jsonl', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 159, 146, 150, 255]) });
  await expect(page.getByTestId('collections-error')).toContainText('junk.jsonl has no usable lines');
  await expect(page.getByTestId('collection')).toHaveCount(2); // nothing half-imported
});
