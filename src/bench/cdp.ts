/**
 * Chromium driven over its DevTools protocol with nothing else attached: the soak's driver (#15).
 *
 * Why not Playwright: it enables DevTools' Network domain on the page and on every worker, and the
 * network agent then keeps the bodies of the responses it saw, memory a person's browser never
 * holds. Measured (2-core EPYC, Chromium 156, scripts/exp/kept-tokenizers.ts, 30 glove-100d load →
 * unload cycles): copies of glove's tokenizer.json (3.09 MB each as a string) left in the page's
 * renderer after its workers had ended — nothing attached 1, 1, 1, 2, 1, 1, 1, 1; attached as
 * Playwright attaches 3, 5, 2, 1, 1, 3, 2; the same without Network 1, 1, 0. In the soak that was
 * 6–18 MB of a 94 MB baseline's growth. Here no domain is enabled but the ones the soak asks for,
 * and the page's workers are attached only to be listed, evaluated in and seen to end.
 *
 * The pipe transport (`--remote-debugging-pipe`: commands on fd 3, replies on fd 4, each message
 * NUL-terminated JSON) needs no WebSocket, which Node 20 has only behind a flag.
 * Node-only: the page never imports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** A CDP reply or event: the protocol's JSON, typed where it is read (no protocol typings here). */
type Json = any;
type Handler = (params: Json) => void;

/** One DevTools session: the browser's, a page's or a worker's. */
export interface Cdp {
  send(method: string, params?: object): Promise<Json>;
  on(event: string, handler: Handler): void;
  off(event: string, handler: Handler): void;
  once(event: string, handler: Handler): void;
}

/** The flags every headless run of the app here takes (the e2e suite's, the soak's, the experiments'). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * A page in the background runs as one in the foreground (Playwright passes the same): without
 * them the soak's page, behind the fresh page it opens at the end, searched 8.8 ms a query against
 * the fresh one's 5.4 (slowdown 1.63; 0.95–0.98 with them, as under Playwright).
 */
const UNTHROTTLED = ['--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows', '--disable-renderer-backgrounding'];

export class CdpBrowser {
  private nextId = 0;
  private readonly replies = new Map<number, { resolve: (r: Json) => void; reject: (e: Error) => void; method: string; sessionId: string }>();
  /** Event handlers by session ('' is the browser's) and event name. */
  private readonly handlers = new Map<string, Map<string, Set<Handler>>>();
  private closed = false;
  /** The browser's own session. */
  readonly cdp: Cdp;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly profile: string,
  ) {
    const [, , , toBrowser, fromBrowser] = proc.stdio as [unknown, unknown, unknown, Writable, Readable];
    this.write = (message) => toBrowser.write(`${message}\0`);
    let pending = '';
    fromBrowser.setEncoding('utf8');
    fromBrowser.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\0'); end >= 0; end = pending.indexOf('\0')) {
        this.receive(JSON.parse(pending.slice(0, end)));
        pending = pending.slice(end + 1);
      }
    });
    proc.once('exit', () => {
      this.closed = true;
      for (const r of this.replies.values()) r.reject(new Error(`${r.method}: the browser exited`));
      this.replies.clear();
    });
    this.cdp = this.session('');
  }

  private readonly write: (message: string) => void;

  /** Debian's Chromium, headless, a fresh profile, `args` after CHROMIUM_ARGS. */
  static async launch(executablePath: string, args: string[] = []): Promise<CdpBrowser> {
    const profile = mkdtempSync(path.join(tmpdir(), 'embedscope-cdp-'));
    const proc = spawn(executablePath, ['--headless', ...CHROMIUM_ARGS, ...UNTHROTTLED, ...args, '--remote-debugging-pipe', `--user-data-dir=${profile}`, '--no-startup-window'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    const browser = new CdpBrowser(proc, profile);
    const started = await Promise.race([
      browser.cdp.send('Browser.getVersion').then(() => true),
      new Promise<false>((resolve) => proc.once('exit', () => resolve(false))),
    ]);
    if (!started) throw new Error(`Chromium (${executablePath}) did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return browser;
  }

  /** A session's commands and events (`sessionId` '' for the browser's). */
  session(sessionId: string): Cdp {
    const handlers = () => this.handlers.get(sessionId) ?? this.handlers.set(sessionId, new Map()).get(sessionId)!;
    const on = (event: string, h: Handler) => void (handlers().get(event) ?? handlers().set(event, new Set()).get(event)!).add(h);
    const off = (event: string, h: Handler) => void handlers().get(event)?.delete(h);
    return {
      send: (method, params = {}) =>
        new Promise((resolve, reject) => {
          if (this.closed) return reject(new Error(`${method}: the browser has exited`));
          const id = ++this.nextId;
          this.replies.set(id, { resolve, reject, method, sessionId });
          this.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
        }),
      on,
      off,
      once: (event, h) => {
        const once = (p: Json) => {
          off(event, once);
          h(p);
        };
        on(event, once);
      },
    };
  }

  private receive(m: { id?: number; method?: string; params?: Json; result?: Json; error?: { message: string }; sessionId?: string }): void {
    if (m.id !== undefined) {
      const r = this.replies.get(m.id);
      this.replies.delete(m.id);
      if (m.error) r?.reject(new Error(`${r.method}: ${m.error.message}`));
      else r?.resolve(m.result);
      return;
    }
    for (const h of [...(this.handlers.get(m.sessionId ?? '')?.get(m.method!) ?? [])]) h(m.params);
    if (m.method === 'Target.detachedFromTarget') {
      // A worker that ended mid-command never answers it (a gc() sent as it was terminated hung the soak).
      for (const [id, r] of this.replies) {
        if (r.sessionId !== m.params.sessionId) continue;
        this.replies.delete(id);
        r.reject(new Error(`${r.method}: its target has gone`));
      }
      this.handlers.delete(m.params.sessionId);
    }
  }

  /** "Chromium 156.0…", as the browser names itself. */
  async version(): Promise<string> {
    const { product } = await this.cdp.send('Browser.getVersion');
    // Debian's Chromium names itself "Chrome/156…" over CDP.
    return String(product).replace(/^(Headless)?Chrome\//, 'Chromium ');
  }

  async close(): Promise<void> {
    if (!this.closed) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      await this.cdp.send('Browser.close').catch(() => this.proc.kill());
      await exited;
    }
    try {
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // Chromium can still be writing its profile as it exits (ENOTEMPTY once): a temp folder left behind.
    }
  }
}

/** A dedicated worker of a page, listed from its start to its end. */
export interface CdpWorker {
  readonly url: string;
  evaluate(expression: string): Promise<unknown>;
  /** Resolves when the worker has ended. */
  readonly closed: Promise<void>;
}

/** Runs `expression` in a session's context (its promise awaited, its value returned); throws the page's error. */
async function evaluateIn(cdp: Cdp, expression: string): Promise<unknown> {
  const r = await cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
  return r.result.value;
}

/**
 * A page in its own browser context (storage in memory, as Playwright's contexts), its dedicated
 * workers listed as they start and end. Ready once `readyWhen` holds after each load.
 */
export class CdpPage {
  private readonly live = new Set<CdpWorker>();
  private readonly workerListeners = new Set<(w: CdpWorker) => void>();

  private constructor(
    readonly browser: CdpBrowser,
    /** The page's own session (Performance, HeapProfiler, Memory, Storage…). */
    readonly cdp: Cdp,
    private readonly targetId: string,
    readonly url: string,
    private readonly readyWhen: string,
    /** The browser context this page lives in (another page of it shares its storage). */
    readonly browserContextId: string,
  ) {}

  /**
   * Opens `url` in a new page of `browserContextId` (a new context when absent); `initScript` runs
   * before the page's own scripts on every load; resolves once `readyWhen` (an expression) is true.
   */
  static async open(browser: CdpBrowser, url: string, opts: { browserContextId?: string; initScript?: string; readyWhen: string; timeoutMs?: number }): Promise<CdpPage> {
    const browserContextId = opts.browserContextId ?? (await browser.cdp.send('Target.createBrowserContext', { disposeOnDetach: true })).browserContextId;
    const { targetId } = await browser.cdp.send('Target.createTarget', { url: 'about:blank', browserContextId });
    const { sessionId } = await browser.cdp.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new CdpPage(browser, browser.session(sessionId), targetId, url, opts.readyWhen, browserContextId);
    page.cdp.on('Target.attachedToTarget', ({ sessionId: id, targetInfo }) => {
      if (targetInfo.type !== 'worker') return;
      const session = browser.session(id);
      let ended = () => {};
      const worker: CdpWorker = { url: targetInfo.url, evaluate: (e) => evaluateIn(session, e), closed: new Promise((r) => (ended = r)) };
      const onDetach = ({ sessionId: gone }: { sessionId: string }) => {
        if (gone !== id) return;
        page.cdp.off('Target.detachedFromTarget', onDetach);
        page.live.delete(worker);
        ended();
      };
      page.cdp.on('Target.detachedFromTarget', onDetach);
      page.live.add(worker);
      for (const l of page.workerListeners) l(worker);
    });
    // Workers start unpaused: attached only to be listed, evaluated in and seen to end.
    await page.cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
    if (opts.initScript) {
      // The page agent runs such scripts only while enabled (it buffers no bodies, unlike Network).
      await page.cdp.send('Page.enable');
      await page.cdp.send('Page.addScriptToEvaluateOnNewDocument', { source: opts.initScript });
    }
    await page.cdp.send('Page.navigate', { url });
    await page.ready(opts.timeoutMs);
    return page;
  }

  evaluate(expression: string): Promise<unknown> {
    return evaluateIn(this.cdp, expression);
  }

  /** Its dedicated workers alive now (not their nested ones, as Playwright's `page.workers()`). */
  workers(): CdpWorker[] {
    return [...this.live];
  }

  onWorker(listener: (w: CdpWorker) => void): void {
    this.workerListeners.add(listener);
  }

  /** Reloads and waits until the new document is ready (the old one's marker gone). */
  async reload(timeoutMs?: number): Promise<void> {
    await this.evaluate('globalThis.__cdpPageBeforeReload = true');
    await this.cdp.send('Page.reload');
    await this.ready(timeoutMs, '!globalThis.__cdpPageBeforeReload');
  }

  /** Polls (each evaluate waits on the page) until `readyWhen` holds; a document being replaced throws, and is asked again. */
  private async ready(timeoutMs = 180_000, also = 'true'): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        if ((await this.evaluate(`(${also}) && (${this.readyWhen}) && document.readyState === 'complete'`)) === true) return;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > until) throw new Error(`${this.url} was not ready in ${Math.round(timeoutMs / 1000)} s (${this.readyWhen})${last ? `: ${last}` : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await this.browser.cdp.send('Target.closeTarget', { targetId: this.targetId });
  }
}
