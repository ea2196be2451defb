/**
 * What every experiment in this folder starts with: the app served by Vite (no hot reload: a file
 * saved mid-run must not reload the page under it) and, in Debian's headless Chromium, a page of it
 * that loads nothing by itself (no starter models, no Auto calibration), ready once `embedscope` is.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { CdpBrowser, CHROMIUM_ARGS, type Cdp } from '../../src/bench/cdp.ts';

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

/** DevTools domains a raw-CDP page gets: none, Playwright's set (Network, Runtime, Console), or that set without Network. */
export type RawDevtools = 'bare' | 'devtools' | 'devtools-nonet';

/** Debian's headless Chromium over the soak's own CDP driver (src/bench/cdp.ts), no Playwright attached. */
export function launchRawCdp(args: string[] = []): Promise<CdpBrowser> {
  return CdpBrowser.launch(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args);
}

/**
 * Enables `domains` on every worker `parent` starts (auto-attached, paused until they are on) and,
 * when `nested`, on the workers those start: DevTools attached as Playwright attaches it.
 */
export async function attachLikePlaywright(browser: CdpBrowser, parent: Cdp, domains: string[], nested = false): Promise<void> {
  parent.on('Target.attachedToTarget', async ({ sessionId }) => {
    const s = browser.session(sessionId);
    await Promise.all(domains.map((m) => s.send(m).catch(() => undefined)));
    if (nested) await attachLikePlaywright(browser, s, domains, nested).catch(() => undefined);
    await s.send('Runtime.runIfWaitingForDebugger').catch(() => undefined);
  });
  await Promise.all(domains.map((m) => parent.send(m)));
  await parent.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
}

/**
 * The app in a raw-CDP Chromium (`launchRawCdp`), ready once `embedscope` is, with nothing loaded by
 * itself; `devtools` attaches DevTools to the page and to every worker it starts as Playwright does.
 * `browserCdp` is the browser's session (for `memoryInfraDump`).
 */
export async function openRawApp(url: string, devtools: RawDevtools, args: string[] = []) {
  const browser = await launchRawCdp(args);
  const browserCdp = browser.cdp;
  const { targetId } = await browserCdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await browserCdp.send('Target.attachToTarget', { targetId, flatten: true });
  const pageCdp = browser.session(sessionId);
  const page = (method: string, params: object = {}) => pageCdp.send(method, params);
  if (devtools !== 'bare') await attachLikePlaywright(browser, pageCdp, devtools === 'devtools-nonet' ? ['Runtime.enable', 'Console.enable'] : ['Runtime.enable', 'Network.enable', 'Console.enable']);
  const evaluate = async (expression: string) => {
    const r = await page('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails).slice(0, 400));
    return r.result.value;
  };
  await page('Page.navigate', { url });
  while (!(await evaluate(`'embedscope' in globalThis && document.readyState === 'complete'`).catch(() => false))) await new Promise((r) => setTimeout(r, 200));
  await evaluate(`localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })), true`);
  /** The renderer processes' ids, as the browser lists them. */
  const renderers = async (): Promise<number[]> => ((await browserCdp.send('SystemInfo.getProcessInfo')).processInfo as { type: string; id: number }[]).filter((p) => p.type === 'renderer').map((p) => p.id);
  return { page, evaluate, browserCdp, renderers, close: () => browser.close() };
}

/** A process's mappings from /proc/PID/smaps: address range, resident MB, name ('' for anonymous). */
export function mappings(pid: number): { from: number; to: number; rss: number; name: string }[] {
  const out: { from: number; to: number; rss: number; name: string }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (h) {
      out.push({ from: parseInt(h[1], 16), to: parseInt(h[2], 16), rss: 0, name: h[5].trim() });
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) out[out.length - 1].rss = Number(r[1]) / 1024;
  }
  return out;
}

/** The printable text of `bytes` bytes of process memory from `from` (runs of anything else as ·), or why it could not be read. */
export function memoryText(pid: number, from: number, bytes: number): string {
  const mem = openSync(`/proc/${pid}/mem`, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    readSync(mem, buf, 0, buf.length, from);
    return buf.toString('latin1').replace(/[^\x20-\x7e]+/g, '·').replace(/(·){2,}/g, '··');
  } catch (e) {
    return `(unreadable: ${(e as Error).message})`;
  } finally {
    closeSync(mem);
  }
}
