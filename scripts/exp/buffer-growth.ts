/**
 * What grows in Blink's buffer partition during the soak's load → unload cycles (#15): the
 * memory-infra dump after 30 glove-100d ×1 cycles showed its live objects 16.8 → 35.3 MB, all of
 * it new direct maps (single allocations of 1.0–3.1 MB). This runs CYCLES cycles of one cell,
 * settles (the dump's full GC, a collection, V8's pool time), and prints the page renderer's new
 * resident mappings ≥ 0.9 MB with a sample of their text: whose bytes they are.
 * `CELL=glove-100d/table/1 CYCLES=10 npx tsx scripts/exp/buffer-growth.ts`
 */
import { readFileSync } from 'node:fs';
import { mappings, memoryText, openApp, serveApp } from './app.ts';
import { memoryInfraDump, summarise } from '../../src/bench/soak-memory.ts';

const [model, dtype, pool] = (process.env.CELL ?? 'glove-100d/table/1').split('/');
const cycles = Number(process.env.CYCLES ?? 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { server, url } = await serveApp();
const { browser, context, page } = await openApp(url, { args: ['--js-flags=--expose-gc'] });
const browserCdp = await browser.newBrowserCDPSession();
const pageCdp = await context.newCDPSession(page);
const renderers = ((await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
const anon = (pid: number) => Number(/^Pss_Anon:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
const pid = renderers.sort((a, b) => anon(b) - anon(a))[0];
const maps = () => mappings(pid);
const settle = async () => {
  const dumps = await memoryInfraDump(browserCdp, true);
  await pageCdp.send('HeapProfiler.collectGarbage');
  await pageCdp.send('Memory.simulatePressureNotification', { level: 'critical' });
  await sleep(17_000);
  await pageCdp.send('HeapProfiler.collectGarbage');
  await pageCdp.send('Memory.simulatePressureNotification', { level: 'critical' });
  const s = summarise(dumps, [pid]);
  return `buffer partition ${s['partition_alloc/partitions/buffer'] ?? 0} MB, renderer Pss_Anon ${(anon(pid) / 1024).toFixed(1)} MB`;
};
const cycle = () => page.evaluate(`embedscope.soak().then((s) => s.cycle(${JSON.stringify({ model, dtype, backend: 'wasm', pool: Number(pool) })}, 8))`);
await cycle();
console.log(`after one cycle: ${await settle()}`);
const before = new Set(maps().map((m) => `${m.from}-${m.to}`));
for (let i = 0; i < cycles; i++) await cycle();
console.log(`after ${cycles} more: ${await settle()}`);
// Does the page's JS heap hold it? Its heap snapshot, searched for the tokenizer's opening.
if (process.env.SNAPSHOT) {
  let snap = '';
  const onChunk = (p: { chunk: string }) => (snap += p.chunk);
  pageCdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await pageCdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  pageCdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const needle = '{\\"version\\":\\"1.0\\",\\"truncation\\"';
  console.log(`page heap snapshot ${(snap.length / 2 ** 20).toFixed(1)} MB: ${snap.split(needle).length - 1} strings opening like a tokenizer.json`);
  for (const w of page.workers()) console.log(`worker alive: ${w.url()}`);
}
for (const m of maps()) {
  if (before.has(`${m.from}-${m.to}`) || m.rss < 0.9 || m.name) continue;
  const text = memoryText(pid, m.from, Math.min(m.to - m.from, 1 << 20));
  console.log(`\n${m.from.toString(16)} ${((m.to - m.from) / 2 ** 20).toFixed(2)} MB, rss ${m.rss.toFixed(2)}: ${text.slice(0, 160)} … ${text.slice(20000, 20160)}`);
}
await browser.close();
await server.close();
