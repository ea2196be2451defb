/** E2E steps many specs share: load a model the app ships, from the Playground, and wait until it is ready. */
import { expect, type Page, type Worker } from '@playwright/test';

export interface LoadOptions {
  /** A catalog id (models/catalog.ts); default glove-100d, the fast one. */
  id?: 'glove-100d' | 'use-lite';
  /** Transformers only: the weights (and then WASM, so the result does not depend on a GPU). */
  dtype?: 'fp32' | 'fp16' | 'int8';
  /** Unload every model first, so the new one is the only one. */
  unloadOthers?: boolean;
  /** Open this view afterwards (its nav test id without `nav-`), e.g. 'collections'. */
  thenOpen?: string;
  timeout?: number;
}

/** Loads a catalog model and waits until one more model card is ready than before. */
export async function loadModel(page: Page, opts: LoadOptions = {}): Promise<void> {
  await page.getByTestId('nav-playground').click();
  const ready = page.locator('[data-testid=model-card][data-status=ready]');
  if (opts.unloadOthers) {
    for (const unload of await page.getByTestId('unload-model').all()) await unload.click();
    await expect(page.getByTestId('model-card')).toHaveCount(0);
  }
  const before = await ready.count();
  await page.getByTestId('catalog-select').selectOption(opts.id ?? 'glove-100d');
  if (opts.dtype) {
    await page.getByTestId('dtype-select').selectOption(opts.dtype);
    await page.getByTestId('backend-select').selectOption('wasm');
  }
  await page.getByTestId('load-model').click();
  await expect(ready).toHaveCount(before + 1, { timeout: opts.timeout ?? 60_000 });
  if (opts.thenOpen) await page.getByTestId(`nav-${opts.thenOpen}`).click();
}

/** glove-100d, the model most specs embed with. */
export function loadGlove(page: Page, opts: Omit<LoadOptions, 'id'> = {}): Promise<void> {
  return loadModel(page, { ...opts, id: 'glove-100d' });
}

/** loadModel, also handing back the model's worker (for specs that look inside it). */
export async function loadModelWorker(page: Page, opts: LoadOptions = {}): Promise<Worker> {
  const started = page.waitForEvent('worker', (w) => w.url().includes('model.worker'));
  await loadModel(page, opts);
  return started;
}
