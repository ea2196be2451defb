/**
 * What every experiment in this folder starts with: the app served by Vite (no hot reload: a file
 * saved mid-run must not reload the page under it) and, in Debian's headless Chromium, a page of it
 * that loads nothing by itself (no starter models, no Auto calibration), ready once `embedscope` is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

/**
 * Debian's headless Chromium with no Playwright attached (nothing enabled in DevTools until the
 * caller asks), its browser-level DevTools socket open; `close` ends it and removes its profile.
 * Node 20 needs NODE_OPTIONS=--experimental-websocket for `WebSocket`.
 */
export async function launchRawCdp(args: string[] = []): Promise<{ proc: ChildProcess; ws: WebSocket; close: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'embedscope-raw-cdp-'));
  const proc = spawn(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--headless=new', ...CHROMIUM_ARGS, ...args, '--remote-debugging-port=0', `--user-data-dir=${dir}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const wsUrl = await new Promise<string>((resolve) => {
    let err = '';
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
  });
  const ws = new WebSocket(wsUrl);
  await new Promise((r) => (ws.onopen = r));
  return {
    proc,
    ws,
    close: async () => {
      ws.close();
      proc.kill();
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
