/**
 * A collection exported from the page as Parquet opens as it is in DuckDB and LanceDB (Node,
 * outside the browser), and imports back into the page; broken or mismatched files are refused
 * with a reason and nothing is half-imported.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { DuckDBInstance } from '@duckdb/node-api';
import * as lancedb from '@lancedb/lancedb';
import { decodeParquet, encodeParquet, makeMeta } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { storePlaygroundSentences } from '../helpers/collections.ts';

const sentences = ['The whale breached.', 'A ship in a storm.', 'The captain was angry.', 'The sea was calm.', 'Harpoons lay on the deck.', 'The crew sang at night.'];

test('a Parquet exported from the page opens in DuckDB and LanceDB, and imports back; bad files are refused', async ({ page }) => {
  test.setTimeout(120_000);
  const pq = parquetNode();
  await page.goto('/');
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await storePlaygroundSentences(page, 'Six', sentences);

  const download = page.waitForEvent('download');
  await page.getByTestId('export-parquet').click();
  const file = await (await download).path();
  expect((await download).suggestedFilename()).toBe('Six.parquet');
  const bytes = new Uint8Array(readFileSync(file));
  const decoded = decodeParquet(pq, bytes, 'Six.parquet', { model: 'glove-100d', dims: 100 });
  expect(decoded.meta).toMatchObject({ model: 'glove-100d', dtype: 'int8', dims: 100, createdBy: 'embedscope page' });
  expect(decoded.columns.texts.slice().sort()).toEqual(sentences.slice().sort());

  // DuckDB: each row's own vector ranks that row first by array_cosine_similarity.
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const whale = decoded.columns.texts.indexOf('The whale breached.');
  const query = `[${Array.from(decoded.columns.embedding.subarray(whale * 100, (whale + 1) * 100)).join(',')}]::FLOAT[100]`;
  const ranked = (
    await con.runAndReadAll(`SELECT text, array_cosine_similarity(embedding::FLOAT[100], ${query}) AS s FROM read_parquet('${file}') ORDER BY s DESC`)
  ).getRows();
  expect(ranked.length).toBe(6);
  expect(ranked[0][0]).toBe('The whale breached.');
  expect(ranked[0][1] as number).toBeCloseTo(1, 5);
  const kv = (await con.runAndReadAll(`SELECT value FROM parquet_kv_metadata('${file}') WHERE key = 'embedscope'`)).getRows();
  expect(JSON.parse(new TextDecoder().decode((kv[0][0] as { bytes: Uint8Array }).bytes)).model).toBe('glove-100d');
  con.closeSync();

  // LanceDB: a table from the file as it is; the same row comes first.
  const dir = mkdtempSync(join(tmpdir(), 'embedscope-lance-'));
  try {
    const arrow = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow');
    const table = await (await lancedb.connect(dir)).createTable('six', arrow.tableFromIPC(pq.readParquet(bytes).intoIPCStream()));
    const hits = await table.vectorSearch(Array.from(decoded.columns.embedding.subarray(whale * 100, (whale + 1) * 100))).column('embedding').distanceType('cosine').limit(3).toArray();
    expect(hits[0].text).toBe('The whale breached.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Back into the page: a searchable collection.
  await page.getByTestId('delete-collection').click();
  await expect(page.getByTestId('collection')).toHaveCount(0);
  await page.getByTestId('import-files').setInputFiles({ name: 'Six.parquet', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  await expect(page.getByTestId('collections-notice')).toContainText('Imported 6 vectors into "Six"');
  await page.getByTestId('search-query').first().fill('whale');
  await page.getByTestId('search').first().click();
  await expect(page.locator('[data-title="float32"] li').first()).toContainText('The whale breached.');

  // Bad files: cut off, not Parquet at all, and one that names glove-100d but holds 8-dim vectors.
  await page.getByTestId('import-files').setInputFiles({ name: 'cut.parquet', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes.subarray(0, bytes.length - 500)) });
  await expect(page.getByTestId('collections-error')).toContainText('Import failed: cut.parquet: is cut off');
  await page.getByTestId('import-files').setInputFiles({ name: 'notes.parquet', mimeType: 'application/octet-stream', buffer: Buffer.from('{"text": "hello"}\n') });
  await expect(page.getByTestId('collections-error')).toContainText('notes.parquet: is not a Parquet file');
  const fake = encodeParquet(
    { ids: ['a'], texts: ['x'], sources: ['s'], hashes: ['0'.repeat(32)], embedding: new Float32Array(8).fill(0.35), codes: {} },
    makeMeta({ model: 'glove-100d', dtype: 'int8', dims: 8, precisions: [] }),
  );
  await page.getByTestId('import-files').setInputFiles({ name: 'fake.parquet', mimeType: 'application/octet-stream', buffer: Buffer.from(fake) });
  await expect(page.getByTestId('collections-error')).toContainText('fake.parquet: says glove-100d made its vectors, but glove-100d gives 100-dim vectors and these have 8');
  await expect(page.getByTestId('collection')).toHaveCount(1); // nothing half-imported
});

test('a large Parquet import shows rows stored of the total, can be cancelled losing nothing, then imports whole', async ({ page }) => {
  test.setTimeout(180_000);
  // 300,000 rows: five 65,536-row commits, long enough for the progress to be seen at any load.
  const n = 300_000;
  const dims = 8;
  const texts = Array.from({ length: n }, (_, i) => `row ${i} of a large file`);
  const embedding = new Float32Array(n * dims);
  for (let i = 0; i < embedding.length; i++) embedding[i] = Math.sin(i * 0.37);
  const bytes = encodeParquet(
    {
      ids: texts.map((_, i) => String(i)),
      texts,
      sources: texts.map((_, i) => `big.txt · ${i + 1}`),
      hashes: texts.map((t) => createHash('sha256').update(t).digest('hex').slice(0, 32)),
      embedding,
      codes: {},
    },
    makeMeta({ model: 'test-8d', dtype: 'fp32', dims, precisions: [] }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'embedscope-big-'));
  const path = join(dir, 'Big.parquet');
  writeFileSync(path, bytes);
  try {
    await page.goto('/');
    await page.getByTestId('nav-collections').click();
    await expect(page.getByTestId('new-collection')).toBeVisible();

    // Cancelled at the first rows stored: a message, no collection, no half of one.
    await watchImport(page, true);
    await page.getByTestId('import-files').setInputFiles(path);
    await expect(page.getByTestId('collections-notice')).toHaveText('Import of Big.parquet cancelled; nothing of it was kept.', { timeout: 120_000 });
    await expect(page.getByTestId('importing')).toHaveCount(0);
    await expect(page.getByTestId('collection')).toHaveCount(0);
    const cancelled = await importStates(page);
    expect(cancelled[0]).toEqual({ done: 0, total: null }); // reading the file
    expect(cancelled.some((s) => s.done > 0 && s.done < n && s.total === n)).toBe(true);

    // Again, to the end: the file is read, rows stored grow to the total, then the collection.
    await watchImport(page, false);
    await page.getByTestId('import-files').setInputFiles(path);
    await expect(page.getByTestId('collections-notice')).toContainText(`Imported ${n.toLocaleString('en-US')} vectors into "Big"`, { timeout: 120_000 });
    await expect(page.getByTestId('importing')).toHaveCount(0);
    await expect(page.locator('[data-name="Big"] [data-testid=collection-summary]')).toContainText(`${n.toLocaleString('en-US')} chunks · test-8d · 8 dims`);
    const states = await importStates(page);
    expect(states[0]).toEqual({ done: 0, total: null });
    const storing = states.slice(1);
    expect(storing.every((s) => s.total === n)).toBe(true);
    expect(storing.some((s) => s.done > 0 && s.done < n)).toBe(true);
    expect(storing.map((s) => s.done)).toEqual(storing.map((s) => s.done).sort((a, b) => a - b));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Records each state the import panel shows. A MutationObserver sees every one; polling from the
 * test could miss a commit's state, as the page's thread is busy between commits. With `cancel`,
 * clicks Cancel (a real click, in the page) as soon as the first rows are stored.
 */
async function watchImport(page: Page, cancel: boolean) {
  await page.evaluate((cancel) => {
    const w = window as unknown as { importWatch?: MutationObserver; importStates: string[] };
    w.importWatch?.disconnect();
    w.importStates = [];
    let clicked = false;
    w.importWatch = new MutationObserver(() => {
      const el = document.querySelector('[data-testid=importing]');
      if (!el) return;
      const state = `${el.getAttribute('data-done')}/${el.getAttribute('data-total')}`;
      if (w.importStates.at(-1) !== state) w.importStates.push(state);
      if (cancel && !clicked && Number(el.getAttribute('data-done')) > 0) {
        clicked = true;
        el.querySelector<HTMLButtonElement>('[data-testid=cancel-import]')!.click();
      }
    });
    w.importWatch.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-done', 'data-total'] });
  }, cancel);
}

async function importStates(page: Page): Promise<{ done: number; total: number | null }[]> {
  const states = await page.evaluate(() => (window as unknown as { importStates: string[] }).importStates);
  return states.map((s) => {
    const [done, total] = s.split('/');
    return { done: Number(done), total: total === '' ? null : Number(total) };
  });
}
