/** A model loaded under the id of a stored collection, but with other dims, says so when it loads. */
import { expect, test } from '@playwright/test';
import { tinyModelFiles } from '../helpers/tiny-model.ts';

test('a dropped model whose dims disagree with a stored collection of the same id warns at load; the collection is untouched', async ({ page }) => {
  await page.goto('/');
  // A collection embedded earlier by another "Your model" (7 dims), straight through the store.
  await page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    await store.createCollection({ name: 'Old notes', modelId: 'user-static', modelDims: 7, precisions: ['float32'] });
    store.close();
  })()`);
  const files = tinyModelFiles(); // 3 dims
  await page.getByTestId('model-files').setInputFiles(Object.entries(files).map(([name, bytes]) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })));
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await expect(page.getByTestId('model-info')).toContainText('Collection "Old notes" was embedded by user-static at 7 dims; this model gives 3');
  const after = await page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    const list = await store.listCollections();
    store.close();
    return list.map((c) => [c.name, c.modelDims]);
  })()`);
  expect(after).toEqual([['Old notes', 7]]);
});
