/**
 * A collection exported from the page as Parquet opens as it is in DuckDB and LanceDB (Node,
 * outside the browser), and imports back into the page; broken or mismatched files are refused
 * with a reason and nothing is half-imported.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
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
    pq,
    { ids: ['a'], texts: ['x'], sources: ['s'], hashes: ['0'.repeat(32)], embedding: new Float32Array(8).fill(0.35), codes: {} },
    makeMeta({ model: 'glove-100d', dtype: 'int8', dims: 8, precisions: [] }),
  );
  await page.getByTestId('import-files').setInputFiles({ name: 'fake.parquet', mimeType: 'application/octet-stream', buffer: Buffer.from(fake) });
  await expect(page.getByTestId('collections-error')).toContainText('fake.parquet: says glove-100d made its vectors, but glove-100d gives 100-dim vectors and these have 8');
  await expect(page.getByTestId('collection')).toHaveCount(1); // nothing half-imported
});
