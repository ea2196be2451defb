/**
 * Who keeps the glove-100d tokenizer's text after its worker has ended (#15)? The soak's page
 * renderer sometimes held several 3.09 MB direct maps in Blink's buffer partition, each the
 * tokenizer.json as a UTF-16 string, with no worker alive and none in the page's JS heap. This
 * drives CYCLES glove-100d ×1 cycles over raw CDP (no Playwright) either "bare" (nothing enabled)
 * or "devtools" (as Playwright: Network, Runtime, Console on the page and on every worker,
 * auto-attached), then counts the renderer's anonymous mappings whose first MB holds the
 * tokenizer's opening in UTF-16 ("devtools-nonet": the same without Network), and Blink's buffer
 * partition in each renderer after a full GC (where those strings live: smaller pieces of the same
 * text count there too). Per variant, RUNS fresh browsers. Run before and after the commit that
 * decodes the tokenizer with core/util/utf8.ts instead of TextDecoder: the figures in that file.
 * `VARIANTS=bare,devtools RUNS=2 CYCLES=30 npx tsx scripts/exp/kept-tokenizers.ts`
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { memoryInfraDump } from '../../src/bench/soak-memory.ts';
import { openRawApp, serveApp, type RawDevtools } from './app.ts';

const variants = (process.env.VARIANTS ?? 'bare,devtools').split(',');
const runs = Number(process.env.RUNS ?? 2);
const cycles = Number(process.env.CYCLES ?? 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { server, url } = await serveApp();
const needle = Buffer.from('{"version":"1.0","truncation"', 'utf16le');

function keptCopies(pid: number): number {
  const mem = openSync(`/proc/${pid}/mem`, 'r');
  let n = 0;
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) r\S+ \S+ \S+ 0\s*$/.exec(line);
    if (!h) continue;
    const from = parseInt(h[1], 16);
    const size = parseInt(h[2], 16) - from;
    if (size < 2 ** 20 || size > 64 * 2 ** 20) continue;
    const buf = Buffer.alloc(Math.min(size, 8192));
    try {
      readSync(mem, buf, 0, buf.length, from);
    } catch {
      continue;
    }
    if (buf.includes(needle)) n++;
  }
  closeSync(mem);
  return n;
}

for (const variant of variants) {
  for (let run = 0; run < runs; run++) {
    const { page, evaluate, browserCdp, renderers: list, close } = await openRawApp(url, variant as RawDevtools, ['--js-flags=--expose-gc']);
    const renderers = await list();
    await evaluate(`(async () => { const s = await embedscope.soak(); for (let i = 0; i < ${cycles}; i++) await s.cycle({ model: 'glove-100d', dtype: 'table', pool: 1 }, 8); })()`);
    await sleep(3000);
    await evaluate('gc(), true');
    await page('Memory.simulatePressureNotification', { level: 'critical' }).catch(() => undefined);
    await sleep(2000);
    const dumps = await memoryInfraDump(browserCdp, true);
    const buffer = (pid: number) => ((dumps.find((d) => d.pid === pid)?.details['partition_alloc/partitions/buffer']?.allocated_objects_size ?? 0) / 2 ** 20).toFixed(1);
    console.log(`${variant} run ${run + 1}: ${cycles} cycles; tokenizer copies kept, buffer partition MB, per renderer: ${renderers.map((pid) => `${pid}: ${keptCopies(pid)}, ${buffer(pid)}`).join('; ')}`);
    await close();
  }
}
await server.close();
