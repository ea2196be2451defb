/**
 * A database the previous store version wrote (version 1: one IndexedDB record per queued text)
 * opened by this one (version 2: queued texts in blocks, src/core/store/db.ts), in Chromium's real
 * IndexedDB: a paused job's texts are moved into blocks on open and the job resumes through the
 * UI to a whole collection. Its own file: every test in store.spec.ts opens the app (and so the
 * current version) before it starts.
 */
import { expect, test, type Page } from '@playwright/test';

const QUEUED = 600;

/** The collection and job as the store reads them, and what is still pending. */
async function state(page: Page) {
  return page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    const [c] = await store.listCollections();
    const [job] = await store.jobs(c.id);
    const chunks = await store.chunks(c.id);
    const pending = await store.pendingCount(job.id);
    const version = store.db.version;
    const stores = [...store.db.objectStoreNames];
    store.close();
    return { count: c.count, texts: chunks.map((ch) => ch.text), hashes: new Set(chunks.map((ch) => ch.hash)).size, pending, version, stores, job: { status: job.status, total: job.total, done: job.done } };
  })()`) as Promise<{ count: number; texts: string[]; hashes: number; pending: number; version: number; stores: string[]; job: { status: string; total: number; done: number } }>;
}

test('a job queued by the previous store version (a record per text) resumes after the upgrade, whole and in order', async ({ page }) => {
  // A page of the app's origin that does not run the app, so nothing opens the database first.
  await page.goto('/corpora/moby-dick.txt');
  const texts = await page.evaluate(async (n) => {
    const sentences = [...new Set(document.body.innerText.split(/(?<=[.!?])\s+/).map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s.length > 20 && s.length < 300))].slice(0, n);
    const hex = async (t: string) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(t)), 0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
    const hashes = await Promise.all(sentences.map(hex));
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('embedscope', 1);
      open.onupgradeneeded = () => {
        const d = open.result;
        d.createObjectStore('collections', { keyPath: 'id' });
        d.createObjectStore('chunkBlocks', { keyPath: ['collectionId', 'start'] });
        d.createObjectStore('hashBlocks', { keyPath: ['collectionId', 'start'] });
        d.createObjectStore('blocks', { keyPath: ['collectionId', 'precision', 'start'] });
        d.createObjectStore('pending', { keyPath: ['jobId', 'seq'] });
        d.createObjectStore('jobs', { keyPath: 'id' }).createIndex('byCollection', 'collectionId');
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const now = Date.now();
    const tx = db.transaction(['collections', 'jobs', 'pending'], 'readwrite');
    tx.objectStore('collections').add({ id: 'c-v1', name: 'Queued before the upgrade', modelId: 'glove-100d', dims: 100, modelDims: 100, precisions: ['float32', 'int8', 'binary'], calibration: null, count: 0, createdAt: now });
    tx.objectStore('jobs').add({ id: 'j-v1', collectionId: 'c-v1', status: 'paused', total: sentences.length, done: 0, cached: 0, error: null, createdAt: now, updatedAt: now });
    sentences.forEach((text, seq) => tx.objectStore('pending').add({ jobId: 'j-v1', seq, text, source: 'moby-dick.txt', hash: hashes[seq] }));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return sentences;
  }, QUEUED);
  expect(texts).toHaveLength(QUEUED);

  await page.goto('/');
  const upgraded = await state(page);
  expect(upgraded).toMatchObject({ version: 2, count: 0, pending: QUEUED, job: { status: 'paused', total: QUEUED, done: 0 } });
  expect(upgraded.stores).toContain('pendingBlocks');
  expect(upgraded.stores).not.toContain('pending');

  await page.getByTestId('nav-playground').click();
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await page.getByTestId('nav-collections').click();
  await page.getByTestId('batch-size').fill('100');
  await page.getByTestId('resume-job').click();
  await expect.poll(async () => (await state(page)).job.status, { timeout: 60_000 }).toBe('done');
  const done = await state(page);
  expect(done).toMatchObject({ count: QUEUED, pending: 0, hashes: QUEUED, job: { status: 'done', total: QUEUED, done: QUEUED } });
  expect(done.texts).toEqual(texts); // every text once, in the order it was queued
  await expect(page.getByTestId('collection-summary')).toContainText(`${QUEUED} chunks`);
});
