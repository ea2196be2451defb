/**
 * Experiment (#15): does reading memory the soak's thorough way grow the memory it reads? A page
 * of the app, idle (nothing loaded), then DUMPS memory-infra dumps in a row (CDP Tracing with one
 * deterministic detailed dump each, as src/bench/soak-memory.ts takes them), the renderers'
 * private memory (Pss_Anon + Pss_Shmem, as the soak's growth ratio reads it) after each; then as
 * many rounds of the soak's quick collection alone (gc() in the page + a critical pressure signal).
 * `DUMPS=10 npx tsx scripts/exp/dump-growth.ts`
 */
import { readFileSync } from 'node:fs';
import { openApp, serveApp } from './app.ts';
import { memoryInfraDump } from '../../src/bench/soak-memory.ts';

const dumps = Number(process.env.DUMPS ?? 10);
const { server, url } = await serveApp();
const { browser, context, page } = await openApp(url, { args: ['--js-flags=--expose-gc'] });
const pageCdp = await context.newCDPSession(page);
const browserCdp = await browser.newBrowserCDPSession();
const pss = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return (field('Pss_Anon') + field('Pss_Shmem')) / 1024;
};
const renderers = async () => ((await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
const quick = async () => {
  await pageCdp.send('HeapProfiler.collectGarbage');
  await pageCdp.send('Memory.simulatePressureNotification', { level: 'critical' });
};
const read = async () => (await renderers()).map((pid) => `${pid}:${pss(pid).toFixed(1)}`).join(' ');
for (let i = 0; i < 3; i++) await quick();
console.log('idle, quick collections only:', await read());
for (let i = 0; i < dumps; i++) {
  const d = await memoryInfraDump(browserCdp, true);
  await quick();
  const big = d.sort((x, y) => y.privateFootprint - x.privateFootprint).find((x) => x.allocators['blink_gc'] !== undefined);
  console.log(`after dump ${i + 1}: ${await read()}   (largest renderer's footprint in the dump ${((big?.privateFootprint ?? 0) / 2 ** 20).toFixed(1)} MB)`);
}
for (let i = 0; i < dumps; i++) {
  await quick();
  await new Promise((r) => setTimeout(r, 1500));
  console.log(`after quick ${i + 1}: ${await read()}`);
}
await browser.close();
await server.close();
