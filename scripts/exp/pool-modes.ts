/**
 * Why the soak's reading after its warm round came in two modes (~100 or ~122 MB), #15: a warm
 * round as the soak runs it (every catalog cell loaded, embedded and unloaded once in the soak's
 * order, a quick collection after each), then the renderers' private memory (Pss_Anon + Pss_Shmem)
 * at a phase point, two ways:
 * - default: as the soak reads it now (a quick reading, the browser's deterministic dump with its
 *   full GC in every isolate, a quick collection, WAIT_S seconds (17), settled), then 10 and 20 s
 *   later: does anything still leave after the reading?
 * - TRACE=1: after the dump, sampled every 0.5 s for 25 s with no collection (a GC would free
 *   pages into V8's pool itself): when the pool gives back what the dump's GC freed.
 * Also the page renderer's new resident anonymous mappings ≥ 2 MB against the start. V8 flags
 * with JSF (e.g. JSF=--memory-pool-timeout=1). `RUNS=3 [TRACE=1] npx tsx scripts/exp/pool-modes.ts`
 */
import { readFileSync } from 'node:fs';
import { openApp, serveApp } from './app.ts';
import { memoryInfraDump } from '../../src/bench/soak-memory.ts';
import { privateMemory } from '../../src/bench/soak.ts';

const runs = Number(process.env.RUNS ?? 3);
const { server, url } = await serveApp();
/** The soak's own reading of a process (Pss_Anon + Pss_Shmem + SwapPss), MB. */
const anon = (pid: number) => (privateMemory(pid) ?? 0) / 2 ** 20;
const maps = (pid: number) => {
  const out: { key: string; size: number; rss: number; name: string }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (h) { out.push({ key: `${h[1]}-${h[2]}`, size: (parseInt(h[2], 16) - parseInt(h[1], 16)) / 2 ** 20, rss: 0, name: h[5].trim() }); continue; }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) out[out.length - 1].rss = Number(r[1]) / 1024;
  }
  return out;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let run = 0; run < runs; run++) {
  const { browser, context, page } = await openApp(url, { args: [`--js-flags=--expose-gc ${process.env.JSF ?? ''}`] });
  const browserCdp = await browser.newBrowserCDPSession();
  const pageCdp = await context.newCDPSession(page);
  // The page's renderer: the biggest of the renderers (a spare one may be listed first).
  const renderers = ((await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  const pid = renderers.sort((a, b) => anon(b) - anon(a))[0];
  const all = () => renderers.reduce((sum, p) => sum + anon(p), 0);
  /** The soak's quick form: gc() in each listed worker, the page's GC, a critical pressure signal, until 3 readings agree within 1 MB. */
  const quick = async () => {
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) {
      for (const w of page.workers()) await w.evaluate('globalThis.gc?.()').catch(() => {});
      await pageCdp.send('HeapProfiler.collectGarbage');
      await pageCdp.send('Memory.simulatePressureNotification', { level: 'critical' });
      seen.push(all());
      const t = seen.slice(-3);
      if (t.length === 3 && Math.max(...t) - Math.min(...t) < 1) break;
      await sleep(100);
    }
    return seen.at(-1)!;
  };
  const point = async () => {
    const q = await quick();
    if (process.env.TRACE) {
      await memoryInfraDump(browserCdp, true);
      const t0 = Date.now();
      const trace: [number, number][] = [];
      while (Date.now() - t0 < 25_000) {
        trace.push([(Date.now() - t0) / 1000, all()]);
        await sleep(500);
      }
      const drops = trace.slice(1).flatMap(([t, v], i) => (trace[i][1] - v >= 2 ? [`${(trace[i][1] - v).toFixed(1)} MB at ${t.toFixed(1)} s`] : []));
      return `quick ${q.toFixed(1)}, right after the dump ${trace[0][1].toFixed(1)}, 25 s later ${(await quick()).toFixed(1)}; drops: ${drops.join(', ') || 'none'}`;
    }
    await memoryInfraDump(browserCdp, true);
    const dumped = await quick();
    await sleep(Number(process.env.WAIT_S ?? 17) * 1000);
    const reading = await quick();
    await sleep(10_000);
    const later = await quick();
    await sleep(10_000);
    const later2 = await quick();
    return `quick ${q.toFixed(1)}, after the dump ${dumped.toFixed(1)}, READING ${reading.toFixed(1)}, +10 s ${later.toFixed(1)}, +20 s ${later2.toFixed(1)}`;
  };
  const start = await point();
  const before = new Set(maps(pid).map((m) => m.key));
  const cells = (await page.evaluate(`embedscope.soak().then((s) => s.catalogCells())`)) as { model: string; dtypes: string[] }[];
  // The soak's order: each model's default dtype first (×1, then ×2), then the other dtypes (×1, then ×2).
  const specs = cells.flatMap(({ model, dtypes }, m) => dtypes.flatMap((dtype, d) => [1, 2].map((pool) => ({ spec: { model, dtype, backend: 'wasm', pool }, rank: (d === 0 ? 0 : 100) + (pool - 1) * 10 + m }))));
  specs.sort((a, b) => a.rank - b.rank);
  for (const { spec } of specs) {
    await page.evaluate(`embedscope.soak().then((s) => s.cycle(${JSON.stringify(spec)}, 8))`);
    await quick();
  }
  const last = specs.at(-1)!.spec;
  const warm = await point();
  const fresh = maps(pid).filter((m) => !before.has(m.key) && m.rss >= 2 && m.name === '');
  console.log(`run ${run + 1} (${process.env.JSF || 'default'}; last cell ${last.model} ${last.dtype} ×${last.pool}), renderers' MB — start: ${start}\n   after the warm round: ${warm}\n   new anonymous resident ≥ 2 MB: ${fresh.map((m) => `${m.rss.toFixed(1)}/${m.size.toFixed(1)}`).join(', ') || 'none'}`);
  await browser.close();
}
await server.close();
