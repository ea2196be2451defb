/**
 * Does the page renderer's malloc keep something per chunk ingested (#15)? The soak's end holds
 * +4–9 MB more live malloc than after its cycles, more after a bigger ingest. This repeats ROUNDS
 * times: an ingest of CHUNKS chunks (glove-100d, float32 + int8 + binary; no searches, no faults),
 * the collection dropped and the model unloaded — and after each round reads the page renderer
 * at rest (the browser's memory dump with its full GC, V8's pool waited out): private memory, and
 * malloc's and Blink's buffer partition's live objects. A per-chunk leak climbs every round; a
 * cache or allocator slack levels off. STEPS=all adds to each round what the soak does with its
 * big collection besides the ingest: 200 searches over every precision, the store's check, the
 * NumPy export and its re-import; RELOAD=1 reloads the page after each round, as the soak's fault;
 * FRESH=1 opens a second page of the app, searches there and closes it (the soak's fresh page);
 * CRASH=1 kills the model worker inside a batch mid-ingest and resumes (the soak's crash).
 * `ROUNDS=4 CHUNKS=60000 [STEPS=all] [RELOAD=1] [FRESH=1] [CRASH=1] npx tsx scripts/exp/ingest-malloc.ts`
 */
import { CdpBrowser, CdpPage } from '../../src/bench/cdp.ts';
import { memoryInfraDump } from '../../src/bench/soak-memory.ts';
import { armWorkerCrash, openSoakPage, privateMemory } from '../../src/bench/soak.ts';
import { serveApp } from './app.ts';

const rounds = Number(process.env.ROUNDS ?? 4);
const chunks = Number(process.env.CHUNKS ?? 60_000);
const more = process.env.STEPS === 'all' ? 'await s.searches(c.collectionId, 200, 0); await s.verify(c.collectionId, c.queued, 50); await s.exportImport(c.collectionId);' : '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { server, url } = await serveApp();
const browser = await CdpBrowser.launch(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--js-flags=--expose-gc']);
try {
  const page = await openSoakPage(browser, url);
  const atRest = async (label: string) => {
    await memoryInfraDump(browser.cdp, true);
    await page.evaluate('gc(), true');
    await page.cdp.send('Memory.simulatePressureNotification', { level: 'critical' });
    await sleep(17_000);
    await page.evaluate('gc(), true');
    await page.cdp.send('Memory.simulatePressureNotification', { level: 'critical' });
    const dumps = await memoryInfraDump(browser.cdp, false);
    const pids = ((await browser.cdp.send('SystemInfo.getProcessInfo')).processInfo as { type: string; id: number }[]).filter((p) => p.type === 'renderer').map((p) => p.id);
    const d = dumps.filter((x) => pids.includes(x.pid)).sort((a, b) => b.privateFootprint - a.privateFootprint)[0];
    const live = (k: string) => ((d.details[k]?.allocated_objects_size ?? 0) / 2 ** 20).toFixed(1);
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(`${label}: page renderer private ${mb(privateMemory(d.pid) ?? 0)} MB, malloc ${mb(d.allocators.malloc ?? 0)} (live ${live('malloc/partitions/allocator')}), buffer partition live ${live('partition_alloc/partitions/buffer')}, V8 ${mb(d.allocators.v8 ?? 0)}`);
  };
  // The first ingest's one-time costs (the model's code, IndexedDB's first open) before the baseline.
  await page.evaluate(`(async () => { const s = await embedscope.soak(); await s.openIngestModel(); const c = await s.prepare('warm', 2000); await s.startIngest(c.jobId); await s.waitIngest(); await s.cleanup([c.collectionId]); return true; })()`);
  await atRest('baseline (after a 2,000-chunk ingest)');
  for (let i = 1; i <= rounds; i++) {
    if (process.env.CRASH) {
      const c = (await page.evaluate(`(async () => { const s = await embedscope.soak(); await s.openIngestModel(); return s.prepare('round ${i}', ${chunks}); })()`)) as { collectionId: string; jobId: string };
      const w = page.workers().find((x) => /model\.worker/.test(x.url));
      if (!w) throw new Error('no model worker');
      await armWorkerCrash(w, 3);
      await page.evaluate(`(async () => { const s = await embedscope.soak(); await s.startIngest(${JSON.stringify(c.jobId)}); await s.waitIngest(); await s.startIngest(${JSON.stringify(c.jobId)}); await s.waitIngest(); const st = await s.ingestStatus(); if (st.status !== 'done') throw new Error(st.status + ' ' + st.error); await s.cleanup([${JSON.stringify(c.collectionId)}]); return true; })()`);
    } else {
      await page.evaluate(`(async () => { const s = await embedscope.soak(); await s.openIngestModel(); const c = await s.prepare('round ${i}', ${chunks}); await s.startIngest(c.jobId); await s.waitIngest(); const st = await s.ingestStatus(); if (st.status !== 'done') throw new Error(st.status + ' ' + st.error); ${more} await s.cleanup([c.collectionId]); return true; })()`);
    }
    if (process.env.FRESH) {
      const fresh = await CdpPage.open(browser, page.url, { browserContextId: page.browserContextId, readyWhen: `'embedscope' in globalThis` });
      await fresh.evaluate(`(async () => { const s = await embedscope.soak(); await s.openIngestModel(); const c = await s.prepare('fresh ${i}', 2000); await s.startIngest(c.jobId); await s.waitIngest(); await s.searches(c.collectionId, 100, 0); await s.cleanup([c.collectionId]); return true; })()`);
      await fresh.close();
    }
    if (process.env.RELOAD) await page.reload();
    await atRest(`after ingest ${i} (${(i * chunks).toLocaleString('en-US')} chunks in all)`);
  }
} finally {
  await browser.close();
  await server.close();
}
