/** use-lite (our converted ONNX) in the page's workers on WASM and on WebGPU (SwiftShader here). */
import { expect, test, type Page } from '@playwright/test';

async function loadUseLite(page: Page, dtype: string, backend: string) {
  await page.getByTestId('catalog-select').selectOption('use-lite');
  await page.getByTestId('dtype-select').selectOption(dtype);
  await page.getByTestId('backend-select').selectOption(backend);
  await page.getByTestId('load-model').click();
  const card = page.getByTestId('model-card').last();
  await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });
}

const cosine = (page: Page, row: number, col: number) =>
  page.locator(`[data-testid=similarity-matrix] td[data-row="${row}"][data-col="${col}"]`).getAttribute('data-cosine').then(Number);

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

for (const dtype of ['fp32', 'int8'] as const) {
  test(`use-lite ${dtype} on WASM: "eating food" is closer to "bread" than to "baby"`, async ({ page }) => {
    await loadUseLite(page, dtype, 'wasm');
    await expect(page.getByTestId('info-backend')).toHaveText('wasm');
    expect(await cosine(page, 0, 1)).toBeCloseTo(0.763, 1);
    expect(await cosine(page, 0, 1)).toBeGreaterThan((await cosine(page, 0, 2)) + 0.3);
  });

  test(`use-lite ${dtype} on WebGPU agrees with WASM (cosine ≥ 0.99) and ranks the same`, async ({ page }) => {
    test.setTimeout(180_000);
    await loadUseLite(page, dtype, 'webgpu');
    // The load itself ran the probes on both backends and kept WebGPU only if they agreed.
    const checked = page.getByTestId('model-info').getByText(/WebGPU checked against WASM: mean cosine/);
    await expect(checked).toBeVisible();
    const agreement = Number(/mean cosine ([\d.]+)/.exec((await checked.textContent())!)![1]);
    expect(agreement).toBeGreaterThanOrEqual(0.99);
    await expect(page.getByTestId('info-backend')).toHaveText('webgpu');
    expect(await cosine(page, 0, 1)).toBeGreaterThan((await cosine(page, 0, 2)) + 0.3);
  });
}

test('Auto does not pick a software WebGPU adapter, and says so', async ({ page }) => {
  await loadUseLite(page, 'int8', 'auto');
  await expect(page.getByTestId('info-backend')).toHaveText('wasm');
  await expect(page.getByTestId('model-info')).toContainText('software adapter');
});
