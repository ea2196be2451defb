/**
 * Experiment (#13): the model on Auto, first visit — load on the default, calibrate, apply — then
 * passes of 256 Moby-Dick sentences (calls of 32, as the model client splits them) for `SECONDS`
 * after the decision: does the decided pool run at its speed at once? Prints, per run: the
 * calibration's phases, the time from load to decided, and the series (s since decided,
 * sentences/s wall / per CPU-second of this browser's processes).
 * `DTYPE=int8 RUNS=2 npx tsx scripts/exp/auto-apply.ts`
 */
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import os from 'node:os';
import { chromiumCpu } from './chromium-cpu.ts';

const dtype = process.env.DTYPE ?? 'int8';
const seconds = Number(process.env.SECONDS ?? 10);
const runs = Number(process.env.RUNS ?? 1);
const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false } });
await server.listen();
const a = server.httpServer!.address();
const port = typeof a === 'object' && a ? a.port : 0;
for (let run = 0; run < runs; run++) {
  const tag = `x${process.pid}r${run}`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [`--embedscope-exp=${tag}`, '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage();
  await page.addInitScript(() => localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })));
  await page.exposeFunction('cpuNow', () => chromiumCpu(tag));
  page.on('pageerror', (e) => console.error('page error', e.message));
  await page.goto(`http://localhost:${port}/`);
  await page.waitForFunction(() => 'embedscope' in globalThis);
  const load0 = os.loadavg()[0];
  const out = (await page.evaluate(`(async () => {
    const { ModelClient } = await import('/src/model-client.ts');
    const { catalog } = await import('/models/catalog.ts');
    const { splitSentences } = await import('/src/core/corpus/sentences.ts');
    const book = await (await fetch('/corpora/moby-dick.txt')).text();
    const texts = splitSentences(book).filter((t) => t.length < 400).slice(200, 456);
    const e = catalog.find((m) => m.id === 'use-lite');
    const client = new ModelClient({ id: e.id, kind: 'transformer', dtype: '${dtype}', backend: 'auto', source: { type: 'url', baseUrl: new URL(e.path, document.baseURI).href, files: e.files } });
    const t0 = performance.now();
    await client.load();
    const loaded = performance.now() - t0;
    const d = await client.calibrated;
    const decided = performance.now() - t0;
    const pass = async () => {
      const c0 = await globalThis.cpuNow();
      const t = performance.now();
      for (let i = 0; i < texts.length; i += 32) await client.embed(texts.slice(i, i + 32));
      const ms = performance.now() - t;
      return Math.round(texts.length / ms * 1000) + '/' + Math.round(texts.length / (await globalThis.cpuNow() - c0));
    };
    const log = [];
    const t1 = performance.now();
    while (performance.now() - t1 < ${seconds * 1000}) { const r = await pass(); log.push(((performance.now() - t1) / 1000).toFixed(1) + '=' + r); }
    client.unload();
    return { loaded: Math.round(loaded), decided: Math.round(decided), d: d && { chosen: d.chosen, ms: Math.round(d.ms), phases: d.phases, figures: d.figures.map((f) => f.candidate.pool + 'x' + f.candidate.threads + ':' + Math.round(f.sentencesPerS)) }, log };
  })()`)) as { loaded: number; decided: number; d: unknown; log: string[] };
  console.log(`[${dtype}] load ${load0.toFixed(2)}→${os.loadavg()[0].toFixed(2)} loaded ${out.loaded} ms, decided at ${out.decided} ms ${JSON.stringify(out.d)}\n   after decided: ${out.log.join(' ')}`);
  await browser.close();
}
await server.close();
