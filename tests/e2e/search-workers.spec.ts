/**
 * Search across workers and its faults, in Chromium with real IndexedDB and real workers: N scan
 * workers over shared WebAssembly memory give exactly the one-worker results; a helper that dies
 * mid-scan fails that search with a message and the next one works; a query of other dims, a
 * collection too large for the memory a search may take, and a page without cross-origin
 * isolation (one worker, said in the column) each get a clear answer and lose nothing.
 */
import { expect, test, type Page } from '@playwright/test';
import { storePlaygroundSentences } from '../helpers/collections.ts';

/** Stores n random dims-d vectors through the store's commit path; returns the collection id. */
async function storeRandom(page: Page, name: string, n: number, dims: number, seed = 1): Promise<string> {
  return page.evaluate(
    async ({ name, n, dims, seed }) => {
      const { VectorStore } = await import('/src/core/store/store.ts' as string);
      const store = await VectorStore.open();
      let s = seed;
      const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
      const c = await store.createCollection({ name, modelId: 'random', modelDims: dims, precisions: ['float32', 'int8', 'uint8', 'binary', 'ubinary'] });
      const job = await store.enqueue(c.id, Array.from({ length: n }, (_, i) => ({ text: `row ${i}`, source: 'synthetic' })));
      const vectors = new Float32Array(n * dims).map(rand);
      for (;;) {
        const batch = await store.nextBatch(job.id, 1000);
        if (batch.length === 0) break;
        await store.commitBatch(job.id, batch, vectors.subarray(batch[0].seq * dims, (batch[0].seq + batch.length) * dims), dims);
      }
      (globalThis as Record<string, unknown>)[`vectors:${name}`] = vectors;
      store.close();
      return c.id as string;
    },
    { name, n, dims, seed },
  );
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('two search workers give exactly the one-worker results for every precision, and float32 equals a float64 brute force', async ({ page }) => {
  const id = await storeRandom(page, 'random', 5003, 37); // 37 dims: no multiple of 4, 8 or 16
  const out = await page.evaluate(async (id) => {
    const { search, setupSearch } = await import('/src/search-client.ts' as string);
    const vectors = (globalThis as Record<string, unknown>)['vectors:random'] as Float32Array;
    const dims = 37;
    const queries = Array.from({ length: 4 }, (_, q) => vectors.slice((q * 997) * dims, (q * 997 + 1) * dims).map((x, d) => x + Math.sin(q + d) * 0.3));
    const variants = [
      ...['float32', 'int8', 'uint8', 'binary', 'ubinary'].map((precision) => ({ precision })),
      { precision: 'binary', rescore: { multiplier: 4, with: 'float32' } },
      { precision: 'int8', rescore: { multiplier: 4, with: 'float32' } },
    ];
    const runAll = async () => {
      const got: { rows: number[]; scores: number[]; workers: number; kernel: string }[] = [];
      for (const v of variants) for (const query of queries) {
        const r = await search({ collectionId: id, query, k: 10, ...v });
        got.push({ rows: r.hits.map((h: { row: number }) => h.row), scores: r.hits.map((h: { score: number }) => h.score), workers: r.workers, kernel: r.kernel });
      }
      return got;
    };
    const one = await setupSearch({ workers: 1 });
    const single = await runAll();
    // Split even this small collection (by default a worker needs 16 MB of rows to be worth it).
    const two = await setupSearch({ workers: 2, minBytesPerWorker: 0 });
    const split = await runAll();
    // Independent reference for float32: cosine in float64 over the float vectors, sorted.
    const brute = queries.map((q) => {
      const qn = Math.hypot(...q);
      const scores = Array.from({ length: vectors.length / dims }, (_, r) => {
        let dot = 0, nn = 0;
        for (let d = 0; d < dims; d++) { dot += q[d] * vectors[r * dims + d]; nn += vectors[r * dims + d] ** 2; }
        return { r, s: dot / (qn * Math.sqrt(nn)) };
      });
      return scores.sort((a, b) => b.s - a.s || a.r - b.r).slice(0, 10).map((x) => x.r);
    });
    // By default a 25 kB binary scan is not worth a second worker.
    await setupSearch({ workers: 2, minBytesPerWorker: undefined });
    const small = await search({ collectionId: id, precision: 'binary', query: queries[0], k: 10 });
    return { one, two, single, split, brute, smallWorkers: small.workers };
  }, id);
  expect(out.smallWorkers).toBe(1);
  expect(out.one.workers).toBe(1);
  expect(out.two).toEqual({ workers: 2, shared: true }); // the dev server is cross-origin isolated
  expect(out.single.every((r) => r.workers === 1)).toBe(true);
  expect(out.split.every((r) => r.workers === 2 && r.kernel.startsWith('wasm-'))).toBe(true);
  expect(out.split.map((r) => [r.rows, r.scores])).toEqual(out.single.map((r) => [r.rows, r.scores]));
  expect(out.single.slice(0, 4).map((r) => r.rows)).toEqual(out.brute);
});

test('a search worker that crashes mid-scan fails that search with a message; the next search works', async ({ page }) => {
  const id = await storeRandom(page, 'crash', 3000, 64);
  const out = await page.evaluate(async (id) => {
    const { search, setupSearch } = await import('/src/search-client.ts' as string);
    await setupSearch({ workers: 2, minBytesPerWorker: 0 });
    const query = new Float32Array(64).fill(0.1);
    const before = await search({ collectionId: id, precision: 'float32', query, k: 5 });
    let message = '';
    try {
      await search({ collectionId: id, precision: 'float32', query, k: 5, fault: 'crash-helper' });
    } catch (err) {
      message = String((err as Error).message);
    }
    const after = await search({ collectionId: id, precision: 'float32', query, k: 5 });
    return { message, before: before.hits.map((h: { row: number }) => h.row), after: after.hits.map((h: { row: number }) => h.row), workers: after.workers };
  }, id);
  expect(out.message).toMatch(/search worker 2 of 2 stopped mid-scan .*search again to retry/);
  expect(out.after).toEqual(out.before);
  expect(out.workers).toBe(2);
});

test('deleting a collection, or searching one that grew, lets go of its old rows in the search worker and its helpers; the grown one finds its new rows', async ({ page }) => {
  const gone = await storeRandom(page, 'gone', 3000, 64, 5);
  const grow = await storeRandom(page, 'grow', 3000, 64, 6);
  const out = await page.evaluate(async ({ gone, grow }) => {
    const { search, setupSearch, forgetCollection, searchMemoryHeld } = await import('/src/search-client.ts' as string);
    const { VectorStore } = await import('/src/core/store/store.ts' as string);
    await setupSearch({ workers: 2, minBytesPerWorker: 0 });
    const query = new Float32Array(64).fill(0.1);
    await search({ collectionId: gone, precision: 'float32', query, k: 5 });
    // grow's rows keep the worker (one holding nothing is terminated: the next test).
    await search({ collectionId: grow, precision: 'float32', query, k: 5 });
    const beforeDelete = await searchMemoryHeld();
    // As the Collections view's delete does: the store, then the search worker.
    const store = await VectorStore.open();
    await store.deleteCollection(gone);
    await forgetCollection(gone);
    const afterDelete = await searchMemoryHeld();
    const beforeGrowth = afterDelete;
    // 500 more rows through the commit path; the last is the next query, so it must come first.
    const dims = 64;
    const added = Float32Array.from({ length: 500 * dims }, (_, i) => Math.cos(i * 0.37));
    const job = await store.enqueue(grow, Array.from({ length: 500 }, (_, i) => ({ text: `new row ${i}`, source: 'synthetic' })));
    for (;;) {
      const batch = await store.nextBatch(job.id, 1000);
      if (batch.length === 0) break;
      await store.commitBatch(job.id, batch, added.subarray(batch[0].seq * dims, (batch[0].seq + batch.length) * dims), dims);
    }
    store.close();
    // Another precision first: the old float32 rows are stale the moment the collection grew.
    await search({ collectionId: grow, precision: 'binary', query, k: 5 });
    const afterGrowth = await searchMemoryHeld();
    const found = await search({ collectionId: grow, precision: 'float32', query: added.slice(499 * dims), k: 3 });
    const afterSearch = await searchMemoryHeld();
    return { beforeDelete, afterDelete, beforeGrowth, afterGrowth, afterSearch, top: found.hits[0].row, workers: found.workers };
  }, { gone, grow });
  const of = (id: string) => (keys: string[]) => keys.filter((k) => k.startsWith(`${id}:`));
  expect(of(gone)(out.beforeDelete.loaded)).toHaveLength(1);
  expect(out.beforeDelete.loaded).toHaveLength(2);
  expect(out.beforeDelete.helpers).toEqual([out.beforeDelete.loaded]);
  // gone's rows are let go here and in the helper; grow's stay.
  expect(out.afterDelete.loaded).toEqual(of(grow)(out.beforeDelete.loaded));
  expect(out.afterDelete.helpers).toEqual([out.afterDelete.loaded]);
  const oldFloat32 = of(grow)(out.beforeGrowth.loaded);
  expect(oldFloat32).toHaveLength(1);
  expect(out.beforeGrowth.helpers).toEqual([oldFloat32]);
  // Only the binary rows of the grown collection are held: the old float32 block is let go everywhere.
  expect(out.afterGrowth.loaded).toHaveLength(1);
  expect(out.afterGrowth.loaded[0]).toMatch(new RegExp(`^${grow}:binary:`));
  expect(out.afterGrowth.helpers).toEqual([out.afterGrowth.loaded]);
  expect(out.top).toBe(3499);
  expect(out.workers).toBe(2);
  expect(out.afterSearch.loaded.filter((k: string) => k.includes(':float32:'))).toHaveLength(1);
  expect(out.afterSearch.loaded).not.toContain(oldFloat32[0]);
});

test('a search worker left holding no rows is terminated once its last collection is deleted; one still needed is not; the next search starts one with the same setup', async ({ page }) => {
  const [a, b, c] = [await storeRandom(page, 'a', 3000, 64, 8), await storeRandom(page, 'b', 3000, 64, 9), await storeRandom(page, 'c', 3000, 64, 10)];
  const isSearch = (w: { url(): string }) => /search\.worker/.test(w.url());
  const run = (script: string, ids: Record<string, string>) =>
    page.evaluate(
      async ({ script, ids }) => {
        const client = await import('/src/search-client.ts' as string);
        const { VectorStore } = await import('/src/core/store/store.ts' as string);
        const query = new Float32Array(64).fill(0.1);
        const drop = async (id: string) => {
          // As the Collections view's delete does: the store, then the search worker.
          const store = await VectorStore.open();
          await store.deleteCollection(id);
          store.close();
          await client.forgetCollection(id);
        };
        const steps: Record<string, () => Promise<unknown>> = {
          searchBoth: async () => {
            await client.setupSearch({ workers: 2, minBytesPerWorker: 0 });
            await client.search({ collectionId: ids.a, precision: 'float32', query, k: 5 });
            return (await client.search({ collectionId: ids.b, precision: 'binary', query, k: 5 })).workers;
          },
          dropA: () => drop(ids.a),
          dropB: () => drop(ids.b),
          searchC: async () => (await client.search({ collectionId: ids.c, precision: 'int8', query, k: 5 })).workers,
          // The forget empties the worker, but a search is queued behind it: the worker stays.
          dropCWithASearchBehind: async () => {
            const forget = client.forgetCollection(ids.c);
            const searched = client.search({ collectionId: ids.c, precision: 'float32', query, k: 5 });
            await forget;
            return (await searched).hits.length;
          },
        };
        return steps[script]();
      },
      { script, ids },
    );
  expect(await run('searchBoth', { a, b })).toBe(2);
  const first = page.workers().filter(isSearch);
  expect(first).toHaveLength(1);
  let closed = false;
  const gone = new Promise<void>((resolve) => first[0].once('close', () => resolve(void (closed = true))));
  await run('dropA', { a });
  expect(closed).toBe(false); // b's rows are still held
  expect(page.workers()).toContain(first[0]);
  await run('dropB', { b });
  await gone;
  expect(page.workers().filter(isSearch)).toHaveLength(0);
  // A fresh worker, with the setup asked for before the release (2 workers a scan, no minimum).
  expect(await run('searchC', { c })).toBe(2);
  const second = page.workers().filter(isSearch);
  expect(second).toHaveLength(1);
  let secondClosed = false;
  second[0].once('close', () => (secondClosed = true));
  expect(await run('dropCWithASearchBehind', { c })).toBe(5);
  expect(secondClosed).toBe(false);
  expect(page.workers().filter(isSearch)).toEqual(second);
});

test('a delete that arrives while a search is under way lets go of the rows in every helper once that search ends', async ({ page }) => {
  const id = await storeRandom(page, 'midway', 3000, 64, 7);
  const out = await page.evaluate(async (id) => {
    const { search, setupSearch, searchMemoryHeld } = await import('/src/search-client.ts' as string);
    await setupSearch({ workers: 2, minBytesPerWorker: 0 });
    const query = new Float32Array(64).fill(0.1);
    const plain = await search({ collectionId: id, precision: 'binary', query, k: 5, rescore: { multiplier: 4, with: 'float32' } });
    const before = await searchMemoryHeld();
    // The collection is forgotten after this search got its rows and before it scans them: the
    // helpers drop the rows, then the scan hands them the same rows again.
    const midway = await search({ collectionId: id, precision: 'binary', query, k: 5, rescore: { multiplier: 4, with: 'float32' }, fault: 'release-mid-search' });
    const after = await searchMemoryHeld();
    return { before, after, same: JSON.stringify(midway.hits) === JSON.stringify(plain.hits), workers: midway.workers };
  }, id);
  // Before: the binary rows and the float32 rows they are rescored with here; the helper scans the binary rows.
  expect(out.before.loaded).toHaveLength(2);
  expect(out.before.helpers).toEqual([out.before.loaded.filter((k: string) => k.includes(':binary:'))]);
  expect(out.workers).toBe(2);
  expect(out.same).toBe(true); // the search under way still answers from the rows it had
  expect(out.after).toEqual({ loaded: [], helpers: [[]] });
});

test('a query of other dims, and a collection too large for the memory a search may take, are refused by size; nothing is lost', async ({ page }) => {
  const small = await storeRandom(page, 'small', 200, 16);
  const big = await storeRandom(page, 'big', 5000, 128, 3);
  const out = await page.evaluate(async ({ small, big }) => {
    const { search, setupSearch } = await import('/src/search-client.ts' as string);
    const { VectorStore } = await import('/src/core/store/store.ts' as string);
    const errorOf = (p: Promise<unknown>) => p.then(() => '', (e: Error) => String(e.message));
    const dims = await errorOf(search({ collectionId: small, precision: 'float32', query: new Float32Array(17), k: 3 }));
    // 2 MB for one precision's rows: the small collection's fit (and its others), the big float32 (2.6 MB) does not.
    await setupSearch({ maxMemoryBytes: 2_000_000 });
    const tooLarge = await errorOf(search({ collectionId: big, precision: 'float32', query: new Float32Array(128).fill(0.5), k: 3 }));
    const bigBinary = await search({ collectionId: big, precision: 'binary', query: new Float32Array(128).fill(0.5), k: 3 });
    const smallOk = await search({ collectionId: small, precision: 'float32', query: new Float32Array(16).fill(0.5), k: 3 });
    await setupSearch({ maxMemoryBytes: undefined });
    const bigAfter = await search({ collectionId: big, precision: 'float32', query: new Float32Array(128).fill(0.5), k: 3 });
    const store = await VectorStore.open();
    const count = (await store.collection(big)).count;
    store.close();
    return { dims, tooLarge, bigBinary: bigBinary.hits.length, smallOk: smallOk.hits.length, bigAfter: bigAfter.hits.length, count };
  }, { small, big });
  expect(out.dims).toBe('the query has 17 dims but collection "small" holds 16-dim vectors from random');
  expect(out.tooLarge).toContain('5,000 128-dim vectors need 3.6 MB of memory to search; searches are limited to 2 MB here');
  expect(out.bigBinary).toBe(3); // the same collection's binary vectors still fit
  expect(out.smallOk).toBe(3);
  expect(out.bigAfter).toBe(3);
  expect(out.count).toBe(5000);
});

test('without cross-origin isolation (no SharedArrayBuffer) one worker scans, and the column says so', async ({ page }) => {
  // Serve every response without COOP/COEP: the page is no longer cross-origin isolated.
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await storePlaygroundSentences(page, 'isolated', ['The whale breached.', 'A ship sailed.', 'Rain fell on the deck.']);
  const card = page.locator('[data-name="isolated"]');
  await card.getByTestId('search-query').fill('whale');
  await card.getByTestId('search').click();
  const timing = card.locator('[data-title="float32"] [data-testid=search-timing]');
  await expect(timing).toHaveAttribute('data-workers', '1');
  await expect(timing).toContainText('scanned');
  await expect(timing).toContainText('1 worker');
  await expect(card.locator('[data-title="float32"] [data-testid=search-workers-note]')).toHaveText(
    'one search worker: the page is not cross-origin isolated, so there is no SharedArrayBuffer to share rows with more',
  );
  await expect(card.locator('[data-title="float32"] li').first()).toContainText('whale');
});
