/**
 * A model worker killed while a batch is inside it (the soak's worker-crash fault, alone and
 * small): the crash is armed inside the worker to go off at its third embed call, which runs but
 * never replies (src/bench/soak.ts armWorkerCrash), so it lands mid-batch every run. The
 * job must fail saying the worker stopped, keep exactly the batches it committed before, resume
 * on a new worker to the end with nothing lost or duplicated, and the page must stay usable.
 */
import { expect, test, type Page } from '@playwright/test';
import { armWorkerCrash } from '../../src/bench/soak.ts';
import type { SoakPage } from '../../src/bench/soak-page.ts';

type Method = keyof SoakPage;
const call = <M extends Method>(page: Page, method: M, ...args: unknown[]) =>
  page.evaluate(`embedscope.soak().then((s) => s[${JSON.stringify(method)}](...${JSON.stringify(args)}))`) as Promise<Awaited<ReturnType<SoakPage[M]>>>;

test('a model worker killed mid-batch loses and duplicates nothing; the job resumes and the page stays usable', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await page.waitForFunction(() => 'embedscope' in globalThis);
  await call(page, 'openIngestModel');
  const worker = page.workers().find((w) => /model\.worker/.test(w.url()));
  expect(worker, 'the collections model has its worker').toBeTruthy();
  const n = 6000;
  const c = await call(page, 'prepare', 'crash mid-batch', n);
  expect(c.queued).toBe(n);

  const closed = new Promise<void>((resolve) => worker!.once('close', () => resolve()));
  await armWorkerCrash(worker!, 3);
  await call(page, 'startIngest', c.jobId);
  await call(page, 'waitIngest');
  await closed;
  const failed = await call(page, 'ingestStatus');
  // The page's own message, naming the batch that was inside the worker when it died.
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatch(/The model's worker stopped: .*injected crash while holding a batch of 512 texts/);
  // The batches before it committed (the first, 1,024 texts, fixes the int8 calibration), the rest not.
  expect(failed.done).toBeGreaterThanOrEqual(1024);
  expect(failed.done).toBeLessThan(n);
  const partial = await call(page, 'verify', c.collectionId, failed.done, 0);
  expect(partial).toMatchObject({ stored: failed.done, count: failed.done, lost: 0, duplicated: 0, unexpected: 0, hashMismatches: 0 });
  expect(Object.values(partial.precisionRows)).toEqual([failed.done, failed.done, failed.done]);

  // Resumed: the bridge starts a new worker and loads the model in it.
  await call(page, 'startIngest', c.jobId);
  await call(page, 'waitIngest');
  expect(await call(page, 'ingestStatus')).toMatchObject({ status: 'done', done: n, error: null });
  expect(page.workers().filter((w) => /model\.worker/.test(w.url()))).toHaveLength(1);
  const v = await call(page, 'verify', c.collectionId, n, 100);
  expect(v).toMatchObject({ stored: n, count: n, lost: 0, duplicated: 0, unexpected: 0, hashMismatches: 0, vectorMismatches: 0, sampled: 100 });
  expect(Object.values(v.precisionRows)).toEqual([n, n, n]);

  // Usable through the UI (the Collections view read its list before the soak's steps made this
  // one, so a reload, which also proves it was stored): listed with every row, no error shown.
  await page.reload();
  await page.waitForFunction(() => 'embedscope' in globalThis);
  await page.getByTestId('nav-collections').click();
  const card = page.locator('[data-testid=collection][data-name="crash mid-batch"]');
  await expect(card.getByTestId('collection-summary')).toContainText('6,000 chunks');
  await expect(page.getByTestId('collections-error')).toHaveCount(0);
  await call(page, 'cleanup', [c.collectionId]);
});
