/**
 * What every experiment in this folder starts with: the app served by Vite (no hot reload: a file
 * saved mid-run must not reload the page under it) and, in Debian's headless Chromium, a page of it
 * that loads nothing by itself (no starter models, no Auto calibration), ready once `embedscope` is.
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function serveApp(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false, hmr: false } });
  await server.listen();
  const a = server.httpServer!.address();
  return { server, url: `http://localhost:${typeof a === 'object' && a ? a.port : 0}/` };
}

/** A fresh browser with one page of the app; `args` are added to CHROMIUM_ARGS, `before` runs before the page loads. */
export async function openApp(url: string, opts: { args?: string[]; before?: (page: Page) => Promise<void> } = {}): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...(opts.args ?? [])] });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })));
  page.on('pageerror', (e) => console.error('page error', e.message));
  await opts.before?.(page);
  await page.goto(url);
  await page.waitForFunction(() => 'embedscope' in globalThis);
  return { browser, context, page };
}
