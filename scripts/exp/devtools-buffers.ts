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
 * `VARIANTS=bare,devtools,playwright CYCLES=0 CHUNKS=60000 npx tsx scripts/exp/devtools-buffers.ts`
 */
import { memoryInfraDump, summarise } from '../../src/bench/soak-memory.ts';
import type { Cdp } from '../../src/bench/cdp.ts';
import { attachLikePlaywright, launchRawCdp, openApp, serveApp } from './app.ts';

const variants = (process.env.VARIANTS ?? 'bare,devtools').split(',');
const cycles = Number(process.env.CYCLES ?? 5);
const chunks = Number(process.env.CHUNKS ?? 0);
const { server, url } = await serveApp();

for (const variant of variants) {
  if (variant === 'playwright') {
    // As the soak: Playwright's own launch and page, the browser's CDP session for the dumps.
    const { browser, page: pwPage } = await openApp(url, { args: ['--js-flags=--expose-gc'] });
    const browserCdp = await browser.newBrowserCDPSession();
    await measure(variant, (e) => pwPage.evaluate(e), browserCdp);
    await browser.close();
    continue;
  }
  const browser = await launchRawCdp(['--enable-unsafe-webgpu']);
  const cdp = browser.cdp;
  // "-otr": in a new browser context, as Playwright's browser.newContext() makes (off the record: storage in memory).
  const otr = variant.endsWith('-otr') ? await cdp.send('Target.createBrowserContext', {}) : null;
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank', ...(otr ? { browserContextId: otr.browserContextId } : {}) });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const pageCdp = browser.session(sessionId);
  const page = (method: string, params: object = {}) => pageCdp.send(method, params);
  if (variant.startsWith('devtools')) {
    // As Playwright's page and worker sessions: Runtime, Network and Console on each, workers auto-attached.
    // "devtools-nested": also the workers' own workers (the search worker's scan helpers), attached
    // from each worker's session as Playwright does, and the page's Log and Inspector domains.
    const nested = variant.includes('nested');
    if (nested) await Promise.all([page('Log.enable'), page('Inspector.enable'), page('Page.setLifecycleEventsEnabled', { enabled: true })]);
    await page('Page.enable');
    await attachLikePlaywright(browser, pageCdp, ['Runtime.enable', 'Network.enable', 'Console.enable'], nested);
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
  await measure(variant, evaluate, cdp);
  await browser.close();
}
await server.close();

async function measure(variant: string, evaluate: (e: string) => Promise<any>, dumper: Cdp) {
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
