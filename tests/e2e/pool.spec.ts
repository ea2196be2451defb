/** A pool of model instances: several workers hold one model, split a call, and report their memory. */
import { expect, test } from '@playwright/test';

const cosine = (page: import('@playwright/test').Page, row: number, col: number) =>
  page.locator(`[data-testid=similarity-matrix] td[data-row="${row}"][data-col="${col}"]`).getAttribute('data-cosine').then(Number);

test('use-lite int8 as a pool of 2 on WASM: two workers, one thread each, same ranking, memory per instance', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  const workers: string[] = [];
  page.on('worker', (w) => workers.push(w.url()));
  await page.getByTestId('catalog-select').selectOption('use-lite');
  await page.getByTestId('dtype-select').selectOption('int8');
  await page.getByTestId('backend-select').selectOption('wasm');
  await page.getByTestId('instances-select').selectOption('2');
  await page.getByTestId('load-model').click();
  const card = page.getByTestId('model-card').last();
  await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });
  await expect(card).toContainText('2 instances');
  // Two cores shared by two instances: one thread each.
  await expect(card).toContainText('1 thread');
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });
  expect(await cosine(page, 0, 1)).toBeCloseTo(0.763, 1);
  expect(await cosine(page, 0, 1)).toBeGreaterThan((await cosine(page, 0, 2)) + 0.3);

  await card.getByTestId('measure-memory').click();
  const rows = card.getByTestId('instance-memory-row');
  await expect(rows).toHaveCount(2);
  for (const row of await rows.all()) {
    const wasm = Number(await row.getAttribute('data-wasm-bytes'));
    const model = Number(await row.getAttribute('data-model-bytes'));
    expect(model).toBeGreaterThan(5e6); // the 7.3 MB int8 file
    // onnxruntime's heap holds the weights and more: it is larger than the file.
    expect(wasm).toBeGreaterThan(model);
  }
});

test('a pool embeds a batch split across its instances exactly as one instance does', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  const result = await page.evaluate(async () => {
    const { ModelClient } = await import('/src/model-client.ts');
    const { catalog } = await import('/models/catalog.ts');
    const entry = catalog.find((m) => m.id === 'glove-100d')!;
    const spec = { id: entry.id, kind: 'static' as const, source: { type: 'url' as const, baseUrl: new URL(entry.path, document.baseURI).href, files: entry.files } };
    const texts = Array.from({ length: 37 }, (_, i) => `sentence number ${i} about whales and ships`);
    const one = new ModelClient(spec);
    const pool = new ModelClient(spec, { instances: 3 });
    await Promise.all([one.load(), pool.load()]);
    const a = await one.embed(texts);
    const b = await pool.embed(texts);
    const memory = await pool.memory();
    one.unload();
    pool.unload();
    let maxDiff = 0;
    for (let i = 0; i < a.vectors.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.vectors[i] - b.vectors[i]));
    return { rows: b.rows, dims: b.dims, tokens: [a.tokens, b.tokens], maxDiff, instances: memory.map((m) => m.instance), starts: pool.workerStarts };
  });
  expect(result.rows).toBe(37);
  expect(result.dims).toBe(100);
  expect(result.tokens[1]).toBe(result.tokens[0]);
  expect(result.maxDiff).toBe(0);
  expect(result.instances).toEqual([1, 2, 3]);
  expect(result.starts).toBe(3);
});
