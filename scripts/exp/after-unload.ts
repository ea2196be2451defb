/**
 * Experiment (#13): does a pool loaded right after another was unloaded run at its speed, and if
 * not, where does the CPU go? Each scenario in a fresh browser: load `before` (passes for ~4 s),
 * unload it, wait, load `after`, run passes of 256 Moby-Dick sentences for SECONDS. Prints the
 * series as s-since-unload=sentences/s / sentences per CPU-second of this browser's processes /
 * the longest main-thread gap (ms), then the CPU each thread took while `after` was measured.
 *
 *   npx tsx scripts/exp/after-unload.ts 1x2-2x1:0 -2x1:0 1x2-2x1:8000   (before-after:wait ms; no before = fresh)
 *   env: DTYPE=int8  SECONDS=12  KEEP=1 (load `after` while `before` lives)  NOUNLOAD=1  FLAGS=<V8 flags>
 *
 * What it found: 1x2-2x1:0 ran 150–230 vs 400–460 fresh, V8's background threads taking 12 of 21
 * CPU-seconds; FLAGS=--no-wasm-native-module-cache removed it — hence ownWasmModule (ort-web.ts).
 */
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import os from 'node:os';
import { chromiumCpu, threadTicks } from './chromium-cpu.ts';

const scenarios = process.argv.slice(2);
const dtype = process.env.DTYPE ?? 'int8';
const seconds = Number(process.env.SECONDS ?? 14);
const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false } });
await server.listen();
const a = server.httpServer!.address();
const port = typeof a === 'object' && a ? a.port : 0;
for (const s of scenarios) {
  const [pair, wait] = s.split(':');
  const tag = `x${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const [before, after] = pair.split('-');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [`--embedscope-exp=${tag}`, '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...(process.env.FLAGS ? [`--js-flags=${process.env.FLAGS}`] : [])] });
  const page = await browser.newPage();
  await page.addInitScript(() => localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })));
  await page.exposeFunction('cpuNow', () => chromiumCpu(tag));
  const marks = new Map<string, Map<string, number>>();
  await page.exposeFunction('markThreads', (label: string) => void marks.set(label, threadTicks(tag)));
  page.on('pageerror', (e) => console.error('page error', e.message));
  await page.goto(`http://localhost:${port}/`);
  await page.waitForFunction(() => 'embedscope' in globalThis);
  const load0 = os.loadavg()[0];
  const out = await page.evaluate(`(async () => {
    const { loadModelPool } = await import('/src/model-client.ts');
    const { catalog } = await import('/models/catalog.ts');
    const { splitSentences } = await import('/src/core/corpus/sentences.ts');
    const book = await (await fetch('/corpora/moby-dick.txt')).text();
    const texts = splitSentences(book).filter((t) => t.length < 400).slice(200, 456);
    const e = catalog.find((m) => m.id === 'use-lite');
    const spec = (threads) => ({ id: e.id, kind: 'transformer', dtype: '${dtype}', backend: 'wasm', threads, source: { type: 'url', baseUrl: new URL(e.path, document.baseURI).href, files: e.files } });
    const parse = (c) => c ? c.split('x').map(Number) : null;
    // The page's main thread: the longest gap between 10 ms ticks during each pass (Comlink's
    // messages go through it, so a blocked main thread starves the workers).
    let lastTick = performance.now(), maxGap = 0;
    setInterval(() => { const t = performance.now(); maxGap = Math.max(maxGap, t - lastTick); lastTick = t; }, 10);
    const pass = async (pool, n) => {
      maxGap = 0;
      const c0 = await globalThis.cpuNow();
      const t = performance.now();
      const per = Math.ceil(32 / n);
      for (let i = 0; i < texts.length; i += 32) {
        const b = texts.slice(i, i + 32);
        await Promise.all(Array.from({ length: n }, (_, k) => b.slice(k * per, (k + 1) * per)).filter((x) => x.length).map((x) => pool.embed(x)));
      }
      const ms = performance.now() - t;
      const cpu = await globalThis.cpuNow() - c0;
      return Math.round(texts.length / ms * 1000) + '/' + Math.round(texts.length / cpu) + '/' + Math.round(maxGap);
    };
    const b = parse('${before}'), af = parse('${after}');
    const log = [];
    let kept = null;
    if (b) {
      const p = await loadModelPool(spec(b[1]), b[0]);
      if (${JSON.stringify(process.env.KEEP === '1')}) {
        // The next pool loads and warms while this one lives (Auto's calibration workers, adopted).
        kept = await loadModelPool(spec(af[1]), af[0]);
        const tk = performance.now();
        while (performance.now() - tk < 4000) log.push(['kept', await pass(kept, kept.instances)]);
      }
      const t0 = performance.now();
      const pools = p.instances;
      while (performance.now() - t0 < 4000) log.push(['before', await pass(p, pools)]);
      if (${JSON.stringify(process.env.NOUNLOAD === '1')}) log.push(['not unloaded', 0]); else p.unload();
    }
    const tu = performance.now();
    await new Promise((r) => setTimeout(r, ${Number(wait ?? 0)}));
    const p2 = kept ?? await loadModelPool(spec(af[1]), af[0]);
    log.push(['loaded', +((performance.now() - tu) / 1000).toFixed(1)]);
    await globalThis.markThreads('loaded');
    const t1 = performance.now();
    while (performance.now() - t1 < ${seconds * 1000}) { const r = await pass(p2, p2.instances); log.push([+((performance.now() - tu) / 1000).toFixed(1), r]); }
    await globalThis.markThreads('end');
    p2.unload();
    return log;
  })()`);
  console.log(`${s}${process.env.KEEP === '1' ? ' kept' : ''} [${dtype}] load ${load0.toFixed(2)}→${os.loadavg()[0].toFixed(2)}: ${(out as unknown[][]).map((x) => x.join('=')).join(' ')}`);
  const [a0, a1] = [marks.get('loaded'), marks.get('end')];
  if (a0 && a1) {
    const d = [...a1].map(([k, v]) => [k, v - (a0.get(k) ?? 0)] as const).filter(([, v]) => v > 5).sort((x, y) => y[1] - x[1]);
    console.log('  thread CPU s while measured: ' + d.slice(0, 10).map(([k, v]) => `${k}=${(v / 100).toFixed(1)}`).join(', '));
  }
  await browser.close();
}
await server.close();
