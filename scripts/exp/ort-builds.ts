/**
 * Experiment (#13): onnxruntime-web's default bundle (JSEP: WebGPU + WASM, 28 MB wasm) against its
 * WASM-only bundle (14 MB) for WASM workers. As the first visit's calibration does it: one 1×2
 * worker loads (tagged module, like ownWasmModule), then two single-thread workers side by side;
 * each load's phases, then sentences/s of 1×2, 1×1 and 2×1 on 256 Moby-Dick sentences, calls of 32.
 * A fresh browser per build and run, the builds alternated.
 * `DTYPE=int8 RUNS=3 npx tsx scripts/exp/ort-builds.ts`
 */
import os from 'node:os';
import { openApp, serveApp } from './app.ts';

const dtype = process.env.DTYPE ?? 'int8';
const runs = Number(process.env.RUNS ?? 2);
const builds = (process.env.BUILDS ?? 'jsep,wasm').split(',');
const { server, url } = await serveApp();
for (let run = 0; run < runs; run++) {
  for (const build of run % 2 ? [...builds].reverse() : builds) {
    const { browser, page } = await openApp(url);
    const load0 = os.loadavg()[0];
    const out = await page.evaluate(`(async () => {
      const { catalog } = await import('/models/catalog.ts');
      const { splitSentences } = await import('/src/core/corpus/sentences.ts');
      const book = await (await fetch('/corpora/moby-dick.txt')).text();
      const texts = splitSentences(book).filter((t) => t.length < 400).slice(200, 456);
      const e = catalog.find((m) => m.id === 'use-lite');
      const base = new URL(e.path, document.baseURI).href;
      const spawn = () => new Worker(new URL('/scripts/exp/build-worker.ts', location.href), { type: 'module' });
      const ask = (w, msg) => new Promise((res, rej) => { w.onmessage = (ev) => res(ev.data); w.onerror = (ev) => rej(new Error(ev.message)); w.postMessage(msg); });
      const load = (w, threads) => ask(w, { type: 'load', build: '${build}', threads, base, files: e.files, dtype: '${dtype}', texts });
      const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
      const d = spawn();
      const dl = await load(d, 2);
      const t = performance.now();
      const [w1, w2] = [spawn(), spawn()];
      const [l1, l2] = await Promise.all([load(w1, 1), load(w2, 1)]);
      const bothLoaded = performance.now() - t;
      const rate = async (ws) => { const t = performance.now(); const n = texts.length / ws.length; await Promise.all(ws.map((w, i) => ask(w, { type: 'embed', texts: texts.slice(i * n, (i + 1) * n) }))); return Math.round(texts.length / (performance.now() - t) * 1000); };
      const r = { '1x2': [], '1x1': [], '2x1': [] };
      for (let i = 0; i < 3; i++) { r['2x1'].push(await rate([w1, w2])); r['1x1'].push(await rate([w1])); r['1x2'].push(await rate([d])); }
      [d, w1, w2].forEach((w) => w.terminate());
      return { default1x2: round(dl.phases), single: [round(l1.phases), round(l2.phases)], bothLoaded: Math.round(bothLoaded), r };
    })()`);
    console.log(`[${dtype} ${build} run ${run}] load ${load0.toFixed(2)}→${os.loadavg()[0].toFixed(2)} ${JSON.stringify(out)}`);
    await browser.close();
  }
}
await server.close();
