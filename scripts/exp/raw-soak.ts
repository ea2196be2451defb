/**
 * Is the soak's growth (1.27–1.36 read at rest) the page's or its driver's (#15)? The soak's memory
 * story, shrunk, over raw CDP (no Playwright): the warm round (every catalog cell once, the soak's
 * order), the baseline, CYCLES glove-100d ×1 cycles, an ingest of CHUNKS chunks (float32 + int8 +
 * binary) with 200 searches, the store's check, export + re-import, the collection dropped, then
 * the end — both read as the soak reads them (the browser's deterministic dump with a GC in every
 * isolate, the page's GC and a critical pressure signal, 17 s for V8's pool, settled). "bare":
 * nothing enabled in DevTools; "devtools": Network, Runtime and Console on the page and on every
 * worker it starts, as Playwright attaches them. Not the soak's faults, reload or fresh page.
 * `VARIANTS=bare,devtools CHUNKS=60000 npx tsx scripts/exp/raw-soak.ts`
 */
import { memoryInfraDump } from '../../src/bench/soak-memory.ts';
import { privateMemory } from '../../src/bench/soak.ts';
import { openRawApp, serveApp, type RawDevtools } from './app.ts';

const variants = (process.env.VARIANTS ?? 'bare,devtools').split(',');
const cycles = Number(process.env.CYCLES ?? 30);
const chunks = Number(process.env.CHUNKS ?? 60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { server, url } = await serveApp();
/** The soak's own reading of a process (Pss_Anon + Pss_Shmem + SwapPss), MB. */
const pssPrivate = (pid: number) => (privateMemory(pid) ?? 0) / 2 ** 20;

for (const variant of variants) {
  const { page, evaluate, browserCdp, renderers, close } = await openRawApp(url, variant as RawDevtools, ['--js-flags=--expose-gc']);
  const atRest = async () => {
    await memoryInfraDump(browserCdp, true);
    await evaluate('gc(), true');
    await page('Memory.simulatePressureNotification', { level: 'critical' }).catch(() => undefined);
    await sleep(17_000);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      await evaluate('gc(), true');
      await page('Memory.simulatePressureNotification', { level: 'critical' }).catch(() => undefined);
      // The page's renderer: the biggest (a headless browser runs a few small ones of its own).
      const pids = await renderers();
      seen.push(Math.max(...pids.map(pssPrivate)));
      const t = seen.slice(-3);
      if (t.length === 3 && Math.max(...t) - Math.min(...t) < 1) break;
      await sleep(100);
    }
    return seen.at(-1)!;
  };
  await evaluate(`(async () => {
    const s = await embedscope.soak();
    const cells = s.catalogCells().flatMap((c, m) => c.dtypes.flatMap((dtype, d) => [1, 2].map((pool) => ({ spec: { model: c.model, dtype, backend: 'wasm', pool }, rank: (d === 0 ? 0 : 100) + (pool - 1) * 10 + m }))));
    cells.sort((a, b) => a.rank - b.rank);
    for (const { spec } of cells) await s.cycle(spec, 8);
  })()`);
  const baseline = await atRest();
  await evaluate(`(async () => { const s = await embedscope.soak(); for (let i = 0; i < ${cycles}; i++) await s.cycle({ model: 'glove-100d', dtype: 'table', backend: 'wasm', pool: 1 }, 8); })()`);
  const afterCycles = await atRest();
  const ingest = await evaluate(`(async () => {
    const soak = await globalThis.embedscope.soak();
    await soak.openIngestModel();
    const big = await soak.prepare('big', ${chunks});
    await soak.startIngest(big.jobId);
    await soak.waitIngest();
    const s = await soak.searches(big.collectionId, 200, 0);
    const v = await soak.verify(big.collectionId, big.queued, 50);
    const x = await soak.exportImport(big.collectionId);
    await soak.cleanup([big.collectionId]);
    return { stored: v.stored, lost: v.lost, duplicated: v.duplicated, searches: s.ms.length, exported: x.rows };
  })()`);
  const end = await atRest();
  console.log(`${variant}: the page's renderer at rest — after the warm round ${baseline.toFixed(1)} MB, after ${cycles} glove ×1 cycles ${afterCycles.toFixed(1)}, end ${end.toFixed(1)} → growth ${(end / baseline).toFixed(3)}; ingest ${JSON.stringify(ingest)}`);
  await close();
}
await server.close();
