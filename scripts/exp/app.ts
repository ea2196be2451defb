/**
 * What every experiment in this folder starts with: the app served by Vite (no hot reload: a file
 * saved mid-run must not reload the page under it) and, in Debian's headless Chromium, a page of it
 * that loads nothing by itself (no starter models, no Auto calibration), ready once `embedscope` is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS } from '../../src/bench/cdp.ts';

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
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch {
        // Chromium can still be writing its profile as it exits (ENOTEMPTY once): a temp folder left behind.
      }
    },
  };
}

/** DevTools domains a raw-CDP page gets: none, Playwright's set (Network, Runtime, Console), or that set without Network. */
export type RawDevtools = 'bare' | 'devtools' | 'devtools-nonet';

/**
 * The app in a raw-CDP Chromium (`launchRawCdp`), ready once `embedscope` is, with nothing loaded by
 * itself; `devtools` attaches DevTools to the page and to every worker it starts as Playwright does.
 * `send` is browser-level; `browserCdp` is the same, shaped as `memoryInfraDump` wants a session.
 */
export async function openRawApp(url: string, devtools: RawDevtools, args: string[] = []) {
  const { ws, close } = await launchRawCdp(args);
  let id = 0;
  const waiting = new Map<number, (m: any) => void>();
  const handlers = new Map<string, Set<(p: any, s?: string) => void>>();
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.id !== undefined) waiting.get(m.id)?.(m), waiting.delete(m.id);
    else for (const h of handlers.get(m.method) ?? []) h(m.params, m.sessionId);
  };
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const i = ++id;
      waiting.set(i, (m) => (m.error ? reject(new Error(m.error.message)) : resolve(m.result)));
      ws.send(JSON.stringify({ id: i, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  const on = (method: string, h: (p: any, s?: string) => void) => (handlers.get(method) ?? handlers.set(method, new Set()).get(method)!).add(h);
  const off = (method: string, h: (p: any, s?: string) => void) => handlers.get(method)?.delete(h);
  const browserCdp = {
    send: (m: string, p?: object) => send(m, p),
    on,
    off,
    once: (m: string, h: (p: any) => void) => {
      const w = (p: any) => (off(m, w), h(p));
      on(m, w);
    },
  } as unknown as CDPSession;
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method: string, params: object = {}) => send(method, params, sessionId);
  if (devtools !== 'bare') {
    const domains = devtools === 'devtools-nonet' ? ['Runtime.enable', 'Console.enable'] : ['Runtime.enable', 'Network.enable', 'Console.enable'];
    on('Target.attachedToTarget', async (p, parent) => {
      if (parent !== sessionId) return;
      await Promise.all(domains.map((m) => send(m, {}, p.sessionId).catch(() => undefined)));
      await send('Runtime.runIfWaitingForDebugger', {}, p.sessionId).catch(() => undefined);
    });
    await Promise.all(domains.map((m) => page(m)));
    await page('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  }
  const evaluate = async (expression: string) => {
    const r = await page('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails).slice(0, 400));
    return r.result.value;
  };
  await page('Page.navigate', { url });
  while (!(await evaluate(`'embedscope' in globalThis && document.readyState === 'complete'`).catch(() => false))) await new Promise((r) => setTimeout(r, 200));
  await evaluate(`localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })), true`);
  /** The renderer processes' ids, as the browser lists them. */
  const renderers = async (): Promise<number[]> => ((await send('SystemInfo.getProcessInfo')).processInfo as { type: string; id: number }[]).filter((p) => p.type === 'renderer').map((p) => p.id);
  return { send, page, evaluate, browserCdp, renderers, close };
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
