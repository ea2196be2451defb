/** E2E steps several specs share: keep the Playground's sentences as a collection, through the UI. */
import { expect, type Page } from '@playwright/test';

/** With a model loaded: types `lines` into the Playground and stores them as collection `name`. */
export async function storePlaygroundSentences(page: Page, name: string, lines: string[]): Promise<void> {
  await page.getByTestId('sentences').fill(lines.join('\n'));
  await page.getByTestId('nav-collections').click();
  await page.getByTestId('source-playground').check();
  await page.getByTestId('collection-name').fill(name);
  await page.getByTestId('create-collection').click();
  await expect(page.locator(`[data-name="${name}"] [data-testid=collection-summary]`)).toContainText(new RegExp(`^${lines.length} chunks?\\b`), { timeout: 60_000 });
}
