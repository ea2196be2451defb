/**
 * The production build as users get it: `vite build` + `vite preview` (its own port), the
 * service worker, offline use, the Content-Security-Policy and updates. The build goes to its
 * own folder under test-results/ (about 10 s), so the update test can change the service worker
 * there without touching dist/.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { storePlaygroundSentences } from '../helpers/collections.ts';
import { loadModel as loadCatalogModel } from '../helpers/models.ts';
import { expect, test, type Page } from '@playwright/test';

const previewPort = Number(process.env.E2E_PREVIEW_PORT ?? 5218);
const origin = `http://localhost:${previewPort}`;
const outDir = join('test-results', 'pwa-dist');
let preview: ChildProcess | null = null;

test.use({ baseURL: `${origin}/` });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const started = Date.now();
  execFileSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
  console.log(`production build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  preview = spawn('npx', ['vite', 'preview', '--outDir', outDir, '--port', String(previewPort), '--strictPort'], { stdio: 'pipe', detached: false });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(origin)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not start on port ${previewPort}`);
});

test.afterAll(() => {
  preview?.kill();
});

/** Waits until the service worker has precached everything and controls the page. */
async function waitForOffline(page: Page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 120_000 });
}

/** The only loaded model, with the Playground's similarity matrix drawn by it. */
async function loadModel(page: Page, id: 'glove-100d' | 'use-lite', dtype?: 'fp32' | 'int8') {
  await loadCatalogModel(page, { id, dtype, unloadOthers: true, timeout: 90_000 });
  await expect(page.getByTestId('similarity-matrix')).toBeVisible({ timeout: 60_000 });
}

test('visited once, the app works offline: isolated, embeds with use-lite and glove-100d, searches a stored collection; only localhost is ever asked', async ({ page, context }) => {
  test.setTimeout(300_000);
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto('/');
  await expect(page.getByTestId('nav-models')).toBeVisible();
  await waitForOffline(page);
  await page.getByTestId('nav-models').click();
  await expect(page.getByTestId('offline-status')).toContainText('it works offline');
  // Installable: the manifest as Chromium parsed it — no errors, standalone, 192 and 512 px icons.
  const cdp = await context.newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest', {});
  await cdp.detach();
  expect(manifest.errors).toEqual([]);
  const parsed = JSON.parse(manifest.data!) as { display: string; icons: { sizes: string }[] };
  expect(parsed.display).toBe('standalone');
  expect(parsed.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  await expect(page.locator('[data-model="glove-100d"] [data-testid=model-stored]')).toHaveText('served by the app; kept for offline use');
  await expect(page.locator('[data-model="use-lite"] [data-testid=model-stored]')).toContainText('5 of 8 files kept offline'); // fp32 + int8, not fp16/QDQ/q4

  // A collection stored on the first visit.
  await loadModel(page, 'glove-100d');
  await storePlaygroundSentences(page, 'Offline three', ['The whale breached beside the ship.', 'A storm broke over the harbour.', 'The captain counted the barrels of oil.']);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('nav-models')).toBeVisible();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);

  for (const dtype of ['int8', 'fp32'] as const) {
    await loadModel(page, 'use-lite', dtype);
    await expect(page.getByTestId('info-backend')).toHaveText('wasm');
  }
  await loadModel(page, 'glove-100d');
  await page.getByTestId('nav-collections').click();
  await page.getByTestId('search-query').fill('a whale and a ship');
  await page.getByTestId('search').click();
  await expect(page.getByTestId('search-column').first()).toContainText('The whale breached beside the ship.');

  const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
  expect(foreign).toEqual([]);
  expect(violations).toEqual([]); // the app, its workers and ORT's threads live within the policy
});

test('the production build sends a strict CSP: inline scripts and markup in corpus text never run', async ({ page, context }) => {
  test.setTimeout(120_000);
  const response = await page.request.get('/');
  const csp = response.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("connect-src 'self' https://huggingface.co");
  expect(response.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  expect(response.headers()['cross-origin-opener-policy']).toBe('same-origin');

  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto('/');
  await waitForOffline(page);
  // Served by the service worker, the page still carries the policy (and stays isolated).
  await page.reload();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await loadModel(page, 'glove-100d');
  const hostile = 'The whale <script>window.pwned = 1</script> sang. <img src=x onerror="window.pwned = 2"> A ship sailed.';
  await page.getByTestId('sentences').fill(hostile);
  await page.getByTestId('nav-collections').click();
  await page.getByTestId('source-playground').check();
  await page.getByTestId('collection-name').fill('Hostile');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('collection-summary').last()).toContainText('chunk', { timeout: 60_000 });
  await page.getByTestId('search-query').last().fill('whale script');
  await page.getByTestId('search').last().click();
  await expect(page.getByTestId('search-column').first()).toContainText('<script>');
  expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned ?? null)).toBeNull();
  expect(violations).toEqual([]); // the app itself never needs an exception

  const injected = await page.evaluate(async () => {
    const w = window as unknown as { pwnedInline?: boolean };
    // The policy's answer is an event: wait for it (an inline script that is allowed runs on append).
    const refused = new Promise<string>((r) => document.addEventListener('securitypolicyviolation', (e) => r(e.effectiveDirective), { once: true }));
    const s = document.createElement('script');
    s.textContent = 'window.pwnedInline = true';
    document.body.append(s);
    return { ran: w.pwnedInline ?? false, refusedBy: await refused };
  });
  expect(injected.ran).toBe(false);
  expect(injected.refusedBy).toMatch(/^script-src/);

  expect(violations.length).toBeGreaterThan(0); // the injected inline script was refused by the policy
});

test('a new version waits for the person, and for a running job to finish, before it takes over', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await waitForOffline(page);
  await loadModel(page, 'glove-100d');
  await page.getByTestId('nav-collections').click();
  await page.getByTestId('source-moby-dick').check();
  await page.getByTestId('collection-name').fill('During update');
  await page.getByTestId('batch-size').fill('8'); // many small batches: the job is still running when the update arrives
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('job')).toHaveAttribute('data-status', 'running', { timeout: 30_000 });

  // "Deploy" a new version: a byte-different service worker.
  const sw = join(outDir, 'sw.js');
  expect(existsSync(sw)).toBe(true);
  appendFileSync(sw, `\n// deployed ${Date.now()}\n`);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  await expect(page.getByTestId('update-prompt')).toBeVisible({ timeout: 60_000 });
  const reloaded = page.waitForEvent('load', { timeout: 180_000 });
  await page.getByTestId('update-reload').click();
  await expect(page.getByTestId('update-waiting')).toBeVisible();
  await expect(page.getByTestId('job')).toHaveAttribute('data-status', 'running'); // not cut short
  // The job runs to the end on the old version; then the page reloads onto the new one.
  await reloaded;
  await expect(page.getByTestId('update-prompt')).toHaveCount(0);
  await page.getByTestId('nav-collections').click();
  const summary = page.locator('[data-testid=collection][data-name="During update"] [data-testid=collection-summary]');
  await expect(summary).toBeVisible();
  await expect(page.locator('[data-testid=collection][data-name="During update"] [data-testid=job]')).toHaveCount(0);
  const waiting = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null);
  expect(waiting).toBeNull();
});

test('no room for the offline copy: the page says so and keeps working online; nothing stored is lost', async ({ page, context }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await loadModel(page, 'glove-100d');
  await storePlaygroundSentences(page, 'Kept', ['The whale breached.', 'A ship in a storm.']);
  // Start over with a disk too small for the 77 MB copy (but not for what is already stored).
  await page.evaluate(async () => {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    for (const name of await caches.keys()) await caches.delete(name);
  });
  const cdp = await context.newCDPSession(page);
  const usage = (await page.evaluate(() => navigator.storage.estimate())).usage ?? 0;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 5_000_000 });
  await page.reload();
  await expect(page.getByTestId('pwa-error')).toContainText('The offline copy of the app could not be stored (is the disk full?)', { timeout: 60_000 });
  await loadModel(page, 'glove-100d');
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('collection-summary')).toContainText('2 chunks');
  await page.getByTestId('search-query').fill('whale');
  await page.getByTestId('search').click();
  await expect(page.getByTestId('search-column').first()).toContainText('The whale breached.');
});
