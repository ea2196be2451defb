/**
 * Experiment (#15): is the soak's leftover renderer growth DevTools' own? Playwright enables the
 * Network, Runtime and Console domains on the page and on every worker it attaches to; Blink then
 * keeps response bodies (Network) and console messages for DevTools. This drives the soak's
 * load → embed → unload cycles over raw CDP (no Playwright), with those domains enabled as
 * Playwright does ("devtools") or not at all ("bare"), and reads Chromium's memory-infra dump
 * (deterministic: every isolate GC'd) after the warm round and after CYCLES more rounds.
 * Variants: "bare", "devtools" (raw CDP), a "-otr" suffix for a new browser context (off the
 * record, as Playwright's newContext), "playwright" (Playwright's own launch and page, as the soak).
 * CHUNKS=N adds the soak's ingest phase shrunk to N chunks (searches, check, export + import, clean-up).
 * Seen (2-core EPYC): one dump right after each phase caught the page's renderer mid-teardown
 * (116–394 MB, its allocators missing from the dump), so each reading now settles (dumps until
 * three agree within 1 MB). Settled, the bare variant's page renderer still rose ~2 MB with every
 * dump after the warm round (256 → 286 MB over 15 dumps, nothing else running) — an idle page
 * does not (scripts/exp/dump-growth.ts: +0.2 MB a dump, given back); not yet explained.
 * `VARIANTS=bare,devtools,playwright CYCLES=0 CHUNKS=60000 NODE_OPTIONS=--experimental-websocket npx tsx scripts/exp/devtools-buffers.ts`
 */
import { memoryInfraDump, summarise } from '../../src/bench/soak-memory.ts';
import type { CDPSession } from '@playwright/test';
import { launchRawCdp, openApp, serveApp } from './app.ts';

const variants = (process.env.VARIANTS ?? 'bare,devtools').split(',');
const cycles = Number(process.env.CYCLES ?? 5);
const chunks = Number(process.env.CHUNKS ?? 0);
const { server, url } = await serveApp();

type Handler = (params: any, sessionId?: string) => void;
class Cdp {
  private id = 0;
  private waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private handlers = new Map<string, Set<Handler>>();
  constructor(private ws: WebSocket) {
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      if (m.id !== undefined) {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`${m.error.message} ${m.error.data ?? ''}`));
        else w?.resolve(m.result);
      } else for (const h of this.handlers.get(m.method) ?? []) h(m.params, m.sessionId);
    };
  }
  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = ++this.id;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }
  on(method: string, h: Handler) {
    if (!this.handlers.has(method)) this.handlers.set(method, new Set());
    this.handlers.get(method)!.add(h);
  }
  off(method: string, h: Handler) {
    this.handlers.get(method)?.delete(h);
  }
  once(method: string, h: Handler) {
    const w: Handler = (p, s) => { this.off(method, w); h(p, s); };
    this.on(method, w);
  }
}

for (const variant of variants) {
  if (variant === 'playwright') {
    // As the soak: Playwright's own launch and page, the browser's CDP session for the dumps.
    const { browser, page: pwPage } = await openApp(url, { args: ['--js-flags=--expose-gc'] });
    const browserCdp = await browser.newBrowserCDPSession();
    await measure(variant, (e) => pwPage.evaluate(e), browserCdp);
    await browser.close();
    continue;
  }
  const { ws, close } = await launchRawCdp(['--enable-unsafe-webgpu']);
  const cdp = new Cdp(ws);
  // "-otr": in a new browser context, as Playwright's browser.newContext() makes (off the record: storage in memory).
  const otr = variant.endsWith('-otr') ? await cdp.send('Target.createBrowserContext', {}) : null;
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank', ...(otr ? { browserContextId: otr.browserContextId } : {}) });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method: string, params: object = {}) => cdp.send(method, params, sessionId);
  if (variant.startsWith('devtools')) {
    // As Playwright's page and worker sessions: Runtime, Network and Console on each, workers auto-attached.
    // "devtools-nested": also the workers' own workers (the search worker's scan helpers), attached
    // from each worker's session as Playwright does, and the page's Log and Inspector domains.
    const nested = variant.includes('nested');
    const sessions = new Set([sessionId]);
    cdp.on('Target.attachedToTarget', async (p, parent) => {
      if (!parent || !sessions.has(parent) || (!nested && parent !== sessionId)) return;
      const s = p.sessionId;
      sessions.add(s);
      await Promise.all(['Runtime.enable', 'Network.enable', 'Console.enable'].map((m) => cdp.send(m, {}, s).catch(() => undefined)));
      await cdp.send('Runtime.runIfWaitingForDebugger', {}, s).catch(() => undefined);
      if (nested) await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, s).catch(() => undefined);
    });
    await Promise.all([page('Page.enable'), page('Runtime.enable'), page('Network.enable'), page('Console.enable'), ...(nested ? [page('Log.enable'), page('Inspector.enable'), page('Page.setLifecycleEventsEnabled', { enabled: true })] : [])]);
    await page('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  }
  await page('Page.navigate', { url });
  const evaluate = async (expression: string) => {
    const r = await page('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails).slice(0, 500));
    return r.result.value;
  };
  for (;;) {
    if (await evaluate(`'embedscope' in globalThis && document.readyState === 'complete'`).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await evaluate(`localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })), true`);
  await measure(variant, evaluate, cdp as unknown as CDPSession);
  await close();
}
await server.close();

async function measure(variant: string, evaluate: (e: string) => Promise<any>, dumper: CDPSession) {
  const round = `(async () => {
    const soak = await globalThis.embedscope.soak();
    const cells = [];
    for (const c of soak.catalogCells()) for (const dtype of c.dtypes) for (const pool of [1, 2]) cells.push({ model: c.model, dtype, backend: c.model === 'glove-100d' || dtype === 'table' ? undefined : 'wasm', pool });
    for (const c of cells) await soak.cycle(c, 8);
    return cells.length;
  })()`;
  // Settled, as the soak reads: dumps (each GCs every isolate) until three in a row agree within
  // 1 MB. One dump right after a phase caught the page's renderer mid-teardown (116–394 MB, its
  // allocators missing from the dump).
  const dumpNow = async () => {
    let dumps: Awaited<ReturnType<typeof memoryInfraDump>> = [];
    let renderers: number[] = [];
    const totals: number[] = [];
    for (let i = 0; i < 15; i++) {
      dumps = await memoryInfraDump(dumper, true);
      // The renderers as the browser lists them (a renderer's dump can come without blink_gc).
      const { processInfo } = (await dumper.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: { type: string; id: number }[] };
      renderers = processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
      totals.push(renderers.reduce((t, pid) => t + (dumps.find((d) => d.pid === pid)?.privateFootprint ?? 0), 0) / 2 ** 20);
      const tail = totals.slice(-3);
      if (tail.length === 3 && Math.max(...tail) - Math.min(...tail) <= 1) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (process.env.FULL) console.log('settle', totals.map((t) => t.toFixed(1)).join(' '));
    if (process.env.FULL) console.log('renderers', renderers.map((pid) => `${pid}: ${Math.round((dumps.find((d) => d.pid === pid)?.privateFootprint ?? -1) / 2 ** 20)} MB${dumps.some((d) => d.pid === pid) ? '' : ' (not in the dump)'}`).join(', '));
    const s = summarise(dumps, renderers);
    if (process.env.FULL) console.log(JSON.stringify(s));
    return { footprint: s['private_footprint'], buffer: s['partition_alloc/partitions/buffer'], malloc: s['malloc'], fastMalloc: s['partition_alloc/partitions/fast_malloc'], arrayBuffer: s['partition_alloc/partitions/array_buffer'], v8: s['v8'], blinkGc: s['blink_gc'] };
  };
  const start = await dumpNow();
  const cells = await evaluate(round);
  const first = await dumpNow();
  const series = [];
  for (let i = 0; i < cycles; i++) {
    await evaluate(round);
    series.push(await dumpNow());
  }
  if (chunks > 0) {
    // The soak's ingest phase, shrunk: one collection of CHUNKS, searches over it, export + import, all dropped.
    const t = Date.now();
    await evaluate(`(async () => {
      const soak = await globalThis.embedscope.soak();
      await soak.openIngestModel();
      const big = await soak.prepare('big', ${chunks});
      await soak.startIngest(big.jobId);
      await soak.waitIngest();
      const status = await soak.ingestStatus();
      const s = await soak.searches(big.collectionId, 200, 0);
      const v = await soak.verify(big.collectionId, big.queued, 50);
      const x = await soak.exportImport(big.collectionId);
      const { searchMemoryHeld } = await import('/src/search-client.ts');
      const held = await searchMemoryHeld();
      await soak.cleanup([big.collectionId]);
      return { status, searches: s.ms.length, errors: s.errors.slice(0, 2), empty: s.empty, stored: v.stored, exported: x.rows, held, isolated: crossOriginIsolated };
    })()`).then((r) => console.log(JSON.stringify(r)));
    series.push({ ...(await dumpNow()), ingestS: Math.round((Date.now() - t) / 1000) } as never);
    await evaluate(round);
    series.push(await dumpNow());
  }
  console.log(`[${variant}] start ${JSON.stringify(start)}\n  ${cells} cells; after warm ${JSON.stringify(first)}\n  then: ${series.map((s) => `fp ${s.footprint} buf ${s.buffer} malloc ${s.malloc} fm ${s.fastMalloc} ab ${s.arrayBuffer} v8 ${s.v8} gc ${s.blinkGc}`).join('\n        ')}`);
}
