/**
 * Experiment (#15): is the soak's one-time step (+~20 MB in the first cycles of a cell, flat
 * after) freed worker-thread stacks that glibc keeps for reuse? Loads and unloads a glove-100d pool
 * of 2 CYCLES times through the soak's own page step, and after the 1st and the last lists the page
 * renderer's anonymous mappings by size with their resident KB (from /proc/PID/smaps).
 * `CYCLES=10 npx tsx scripts/exp/stack-cache.ts`
 *
 * Seen (2-core EPYC, 12 cycles): not stacks, and no growth per cycle — the renderer's Pss_Anon was
 * 46 MB at the start, 100 after one cycle and 101 after twelve, no worker thread left; what stays
 * after the first cycle is large anonymous mappings, fully resident (2 × 15.0 MB after one cycle;
 * 12.3 + 8.3 + 6.5 MB after twelve), in no allocator of the memory-infra dump. They lie inside V8's
 * pointer cage and are gone with `--js-flags=--memory-pool-timeout=1` or
 * `--no-memory-pool-share-memory-on-teardown`: the ended workers' heap pages in V8's process-wide
 * memory pool, given back 8 s later (the soak now reads its points after that: afterV8Pool in src/bench/soak.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { openApp, serveApp } from './app.ts';

const cycles = Number(process.env.CYCLES ?? 10);
const { server, url } = await serveApp();
const { browser, context, page } = await openApp(url, { args: ['--js-flags=--expose-gc'] });
const browserCdp = await browser.newBrowserCDPSession();
const pageCdp = await context.newCDPSession(page);
const renderers = async () => ((await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
function anonBySize(pid: number) {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const out = new Map<string, { count: number; rss: number }>();
  let size = 0;
  let anon = false;
  let perms = '';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      size = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024;
      perms = head[3];
      anon = head[4] === '0' && head[5].trim() === '';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && anon && perms.startsWith('rw')) {
      const k = `${size} kB`;
      const e = out.get(k) ?? { count: 0, rss: 0 };
      e.count++;
      e.rss += Number(rss[1]);
      out.set(k, e);
    }
  }
  return [...out].filter(([, e]) => e.rss > 512).sort((x, y) => y[1].rss - x[1].rss).slice(0, 12).map(([k, e]) => `${k}×${e.count}: ${Math.round(e.rss / 1024 * 10) / 10} MB`).join(', ');
}
const threads = (pid: number) => {
  const names = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const n = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    names.set(n, (names.get(n) ?? 0) + 1);
  }
  return [...names].map(([n, c]) => `${n}×${c}`).join(' ');
};
const cycle = () => page.evaluate(`embedscope.soak().then((s) => s.cycle({ model: 'glove-100d', dtype: 'table', pool: 2 }, 8))`);
const settle = async () => {
  await pageCdp.send('HeapProfiler.collectGarbage');
  await pageCdp.send('Memory.simulatePressureNotification', { level: 'critical' });
  await new Promise((r) => setTimeout(r, 3000));
};
const show = async (label: string) => {
  const pids = await renderers();
  const pid = pids.map((p) => [p, anonBySize(p).length] as const).sort((x, y) => y[1] - x[1])[0][0];
  const pss = /^Pss_Anon:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
  console.log(`${label}: pid ${pid} Pss_Anon ${Math.round(Number(pss) / 1024)} MB\n  anon rw by size: ${anonBySize(pid)}\n  threads: ${threads(pid)}`);
};
await show('start');
await cycle();
await settle();
await show('after 1 cycle');
for (let i = 1; i < cycles; i++) await cycle();
await settle();
await show(`after ${cycles} cycles`);
await browser.close();
await server.close();
