/**
 * The GPU goes away mid-session. The test destroys the model worker's GPUDevice, which settles
 * `device.lost` as a driver reset or a GPU-process crash would (headless Chromium does not let a
 * page crash its GPU process). The model must say so, move to WASM in the same worker, and keep
 * giving the right answers.
 */
import { expect, test } from '@playwright/test';

const cosine = (page: import('@playwright/test').Page, row: number, col: number) =>
  page.locator(`[data-testid=similarity-matrix] td[data-row="${row}"][data-col="${col}"]`).getAttribute('data-cosine').then(Number);

test('a WebGPU device lost mid-run: the model says so, moves to WASM and keeps its answers', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  const workers: import('@playwright/test').Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  await page.getByTestId('catalog-select').selectOption('use-lite');
  await page.getByTestId('dtype-select').selectOption('fp32');
  await page.getByTestId('backend-select').selectOption('webgpu');
  await page.getByTestId('load-model').click();
  await expect(page.getByTestId('model-card').last()).toHaveAttribute('data-status', 'ready', { timeout: 180_000 });
  await expect(page.getByTestId('info-backend')).toHaveText('webgpu');
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });
  const before = await cosine(page, 0, 1);
  const modelWorkers = workers.filter((w) => w.url().includes('model.worker'));
  expect(modelWorkers).toHaveLength(1);
  await modelWorkers[0].evaluate('embedscopeDiagnostics.gpuDevice.destroy()');

  await page.getByTestId('embed').click();
  await expect(page.getByTestId('info-backend')).toHaveText('wasm', { timeout: 60_000 });
  await expect(page.getByTestId('model-info')).toContainText('The GPU device was lost mid-run');
  await expect(page.getByTestId('playground-error')).toHaveCount(0);
  expect(await cosine(page, 0, 1)).toBeCloseTo(before, 2);
  expect(await cosine(page, 0, 1)).toBeGreaterThan((await cosine(page, 0, 2)) + 0.3);
  // The same worker carried on: none was started to replace it.
  expect(workers.filter((w) => w.url().includes('model.worker'))).toHaveLength(1);
});
