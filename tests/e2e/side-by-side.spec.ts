/**
 * The Playground's side-by-side comparison: the first visit (no stored choices) opens on glove-100d
 * and use-lite int8 side by side without a click; columns per precision; the numbers the page
 * draws equal core/choose/columns.ts run in Node on the same model; choices survive a reload;
 * a phone-wide page stacks the columns without sideways scrolling.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { columnMatrix, compareColumns } from '../../src/core/choose/columns.ts';

const column = (page: Page, id: string) => page.locator(`[data-testid=column][data-column-id="${id}"]`);
const GLOVE = 'glove-100d';
const USE_INT8 = 'use-lite · int8 · wasm';

/** Every cell's value from a column's matrix, row-major. */
/** glove-100d loaded, with its int8 and binary columns beside float32. */
async function loadGloveWithThreePrecisions(page: Page) {
  await page.getByTestId('catalog-select').selectOption(GLOVE);
  await page.getByTestId('load-model').click();
  const view = page.locator(`[data-testid=model-view][data-model-ref="${GLOVE}"]`);
  await view.getByTestId('precision-int8').check();
  await view.getByTestId('precision-binary').check();
}

async function cells(page: Page, id: string): Promise<number[]> {
  return column(page, id)
    .locator('td[data-row]')
    .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-cosine'))));
}

test.describe('first visit', () => {
  // No stored choices at all: what a newcomer gets.
  test.use({ storageState: { cookies: [], origins: [] } });

  test('opens on glove-100d and use-lite int8 side by side, says what is still loading, and needs no click', async ({ page }) => {
    test.setTimeout(120_000);
    // Hold use-lite's weights until GloVe is on screen, so "still loading" is really seen.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/models/use-lite/onnx/model_quantized.onnx', async (route) => {
      await held;
      await route.continue();
    });
    const started = Date.now();
    await page.goto('/');
    const glove = column(page, `${GLOVE} | float32`);
    await expect(glove.getByTestId('column-summary')).toContainText('100 dims · 400 B/vector');
    const gloveReadyMs = Date.now() - started;
    console.log(`first visit: glove-100d column drawn ${gloveReadyMs} ms after navigation starts; the model's own load ${await page.getByTestId('info-load-ms').textContent()} (AMD EPYC, shared machine)`);
    await expect(page.getByTestId('still-loading')).toContainText('Universal Sentence Encoder lite (ONNX) · int8 · wasm');
    await expect(column(page, `${USE_INT8} | float32`).getByTestId('column-loading')).toBeVisible();
    await expect(page.getByTestId('no-columns')).toHaveCount(0);
    release();

    const use = column(page, `${USE_INT8} | float32`);
    await expect(use.getByTestId('column-summary')).toContainText('512 dims · 2 kB/vector', { timeout: 90_000 });
    await expect(page.getByTestId('still-loading')).toHaveCount(0);
    // GloVe was ready first, so it is the reference; use-lite is compared with it.
    await expect(glove).toHaveAttribute('data-reference', 'true');
    const agreement = Number(await use.getByTestId('column-agreement').getAttribute('data-agreement'));
    expect(agreement).toBeGreaterThan(0.3); // two sensible models order these pairs broadly alike
    expect(agreement).toBeLessThanOrEqual(1);
    await expect(page.getByTestId('legend-sentences')).toContainText('A man is eating food.');
  });
});

test('each precision is a column, and the page draws what core/choose computes in Node for the same model', async ({ page }) => {
  await page.goto('/');
  await loadGloveWithThreePrecisions(page);
  for (const p of ['float32', 'int8', 'binary']) await expect(column(page, `${GLOVE} | ${p}`).getByTestId('column-summary')).toBeVisible();
  await expect(column(page, `${GLOVE} | int8`).getByTestId('column-summary')).toContainText('100 B/vector');
  await expect(column(page, `${GLOVE} | binary`).getByTestId('column-summary')).toContainText('13 B/vector');

  // The same sentences through the same model files in Node, through the same core functions.
  const model = await loadStaticModel(folderFiles(resolve('public/models/glove-100d')), { id: GLOVE });
  const sentences = (await page.getByTestId('sentences').inputValue()).split('\n');
  expect(sentences).toHaveLength(5); // the example sentences
  const { vectors, dims } = model.embed(sentences);
  const reference = columnMatrix(vectors, dims, { precision: 'float32', dims });
  for (const precision of ['float32', 'int8', 'binary'] as const) {
    const expected = columnMatrix(vectors, dims, { precision, dims });
    const shown = await cells(page, `${GLOVE} | ${precision}`);
    expect(shown).toHaveLength(25);
    shown.forEach((v, i) => expect(v, `${precision} cell ${i}`).toBeCloseTo(expected.matrix[i], 5));
    if (precision === 'float32') continue;
    const cmp = compareColumns(expected, reference);
    const agreement = column(page, `${GLOVE} | ${precision}`).getByTestId('column-agreement');
    expect(Number(await agreement.getAttribute('data-agreement'))).toBeCloseTo(cmp.agreement!, 6);
    expect(Number(await agreement.getAttribute('data-flips'))).toBe(cmp.flips.total);
    // Outlined cells are the ones whose pair swapped order.
    const flagged = await column(page, `${GLOVE} | ${precision}`)
      .locator('td[data-row]')
      .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-flips'))));
    expect(flagged).toEqual(Array.from(cmp.flips.perCell));
  }

  // The difference heatmap: column − reference, cell by cell.
  await page.getByTestId('view-mode').selectOption('difference');
  const binary = column(page, `${GLOVE} | binary`);
  await expect(binary.getByTestId('column-matrix')).toHaveAttribute('data-mode', 'difference');
  const diffs = await binary.locator('td[data-row]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-diff'))));
  const expectedDiff = compareColumns(columnMatrix(vectors, dims, { precision: 'binary', dims }), reference).difference;
  diffs.forEach((v, i) => expect(v).toBeCloseTo(expectedDiff[i], 5));
  // The reference column keeps showing its similarities.
  await expect(page.getByTestId('similarity-matrix')).toHaveAttribute('data-mode', 'similarity');

  // Picking another reference: the float32 column is now compared with int8.
  await column(page, `${GLOVE} | int8`).getByTestId('use-as-reference').click();
  await expect(column(page, `${GLOVE} | int8`)).toHaveAttribute('data-reference', 'true');
  await expect(column(page, `${GLOVE} | float32`).getByTestId('column-agreement')).toBeVisible();

  // A narrower width (GloVe declares no Matryoshka widths, so it says they are untrained): first 50 dims, renormalised.
  const dimsSelect = page.locator(`[data-testid=model-view][data-model-ref="${GLOVE}"]`).getByTestId('dims-select');
  await expect(dimsSelect.locator('option')).toHaveText(['100', '50 (untrained)', '25 (untrained)']);
  await dimsSelect.selectOption('50');
  const narrow = column(page, `${GLOVE} | float32 | 50d`);
  await expect(narrow.getByTestId('column-summary')).toContainText('50 dims · 200 B/vector');
  const expected50 = columnMatrix(vectors, dims, { precision: 'float32', dims: 50 });
  (await cells(page, `${GLOVE} | float32 | 50d`)).forEach((v, i) => expect(v).toBeCloseTo(expected50.matrix[i], 5));
  await expect(column(page, `${GLOVE} | binary | 50d`).getByTestId('column-summary')).toContainText('7 B/vector');
});

test('a newly loaded model joins; a hidden model keeps its worker; choices survive a reload', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await page.getByTestId('autoload-toggle').check();
  await page.getByTestId('catalog-select').selectOption(GLOVE);
  await page.getByTestId('load-model').click();
  await expect(column(page, `${GLOVE} | float32`).getByTestId('column-summary')).toBeVisible();
  await page.getByTestId('catalog-select').selectOption('use-lite');
  await page.getByTestId('dtype-select').selectOption('int8');
  await page.getByTestId('backend-select').selectOption('wasm');
  await page.getByTestId('load-model').click();
  const use = column(page, `${USE_INT8} | float32`);
  await expect(use.getByTestId('column-agreement')).toBeVisible({ timeout: 90_000 });

  // Change every remembered choice: a binary column, use-lite as reference, GloVe's float32 hidden.
  await page.locator(`[data-testid=model-view][data-model-ref="${GLOVE}"]`).getByTestId('precision-binary').check();
  await use.getByTestId('use-as-reference').click();
  await expect(use).toHaveAttribute('data-reference', 'true');
  await column(page, `${GLOVE} | float32`).getByTestId('hide-column').click();
  await expect(column(page, `${GLOVE} | float32`)).toHaveCount(0);
  await expect(page.getByTestId('show-column')).toContainText('GloVe');

  // Hiding a whole model leaves it loaded.
  const useView = page.locator(`[data-testid=model-view][data-model-ref="${USE_INT8}"]`);
  await useView.getByTestId('model-shown').uncheck();
  await expect(use).toHaveCount(0);
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(2);
  await useView.getByTestId('model-shown').check();
  await expect(use.getByTestId('column-summary')).toBeVisible();

  // A reload while the remembered models are still being asked for (the static one first, alone)
  // keeps both in what is stored, so a second reload brings both back too.
  const storedModels = () => page.evaluate(() => (JSON.parse(localStorage.getItem('embedscope.playground.v1') ?? '{}').models ?? []).length);
  await page.reload();
  expect(await storedModels()).toBe(2);
  await page.reload();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(2, { timeout: 90_000 });
  expect(await storedModels()).toBe(2);
  await expect(column(page, `${USE_INT8} | float32`)).toHaveAttribute('data-reference', 'true');
  await expect(column(page, `${GLOVE} | binary`).getByTestId('column-agreement')).toBeVisible();
  await expect(column(page, `${GLOVE} | float32`)).toHaveCount(0);
  await expect(page.getByTestId('show-column')).toHaveCount(1);
});

test('four columns sit in one row on a laptop; on a 390 px phone they stack with no sideways scroll', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 800 });
  await page.goto('/');
  await loadGloveWithThreePrecisions(page);
  await page.getByTestId('sentences').fill(`${await page.getByTestId('sentences').inputValue()}\nA whale surfaced near the ship.`);
  await page.getByTestId('embed').click();
  // A second GloVe (its own worker): four columns.
  await page.getByTestId('load-model').click();
  await expect(page.getByTestId('column')).toHaveCount(4);
  await expect(page.locator('[data-testid=column] [data-testid=column-summary]')).toHaveCount(4);
  const tops = await page.getByTestId('column').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
  expect(new Set(tops).size).toBe(1);

  mkdirSync('test-results/screens', { recursive: true });
  await page.screenshot({ path: 'test-results/screens/side-by-side-1366.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => page.getByTestId('column').evaluateAll((els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().left))).size)).toBe(1);
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    // What sticks out, to name it when this fails.
    wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).slice(0, 5).map((e) => `${e.tagName}.${e.className} ${e.getAttribute('data-testid') ?? ''} ${Math.round(e.getBoundingClientRect().right)}`),
  }));
  expect(widths.wide).toEqual([]);
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  await page.screenshot({ path: 'test-results/screens/side-by-side-390.png', fullPage: true });
});
