/**
 * `npx tsx scripts/bandwidth/page-read.ts` (env: MIB=1024, FLAGS="--js-flags=…", WARM=n calls)
 *
 * The search bench's read ceiling reduced to its core, in a cross-origin isolated page: two
 * dedicated workers, each with its own instance of the SIMD128 `sum` kernel over one shared
 * WebAssembly.Memory, read 1 worker alone vs 2 workers on contiguous halves (31 rounds each,
 * alternated, medians; each run timed from the first start to the last end on the workers' clocks).
 * It showed (2-core EPYC VM, load 1–2.4, 11 launches): one worker 30–36 GB/s every time, two 42–45
 * GB/s in 8 launches and 60–64 in 3 — whatever the V8 flags; native AVX2 threads on the same VM
 * read 2.08× at one moment and 1.2–1.3× twenty minutes later (read-bandwidth.c). So two workers'
 * share of memory bandwidth is the machine's state at the moment, not the page's.
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import os from 'node:os';
const flags = process.env.FLAGS ? process.env.FLAGS.split(' ') : [];
const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false } });
await server.listen();
const a = server.httpServer!.address();
const port = typeof a === 'object' && a ? a.port : 0;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', ...flags] });
try {
  const page = await browser.newPage();
  await page.addInitScript(() => localStorage.setItem('embedscope.playground.v1', JSON.stringify({ autoload: false })));
  await page.goto(`http://localhost:${port}/`);
  await page.waitForFunction(() => 'embedscope' in globalThis);
  console.log('load', os.loadavg().map((x) => x.toFixed(1)).join(' '), 'flags', flags.join(' '));
  const out = await page.evaluate(`(async () => {
    const mod = await import('/src/core/search/kernels-wasm.ts');
    const b64 = mod.KERNELS_SIMD128_SHARED_BASE64;
    const bytesMod = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const MiB = ${Number(process.env.MIB ?? 1024)};
    const bytes = MiB * 2 ** 20;
    const pages = Math.ceil(bytes / 65536) + 16;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    new Uint8Array(memory.buffer).fill(1);
    const src = "let sum; onmessage = (e) => { const d = e.data; if (d.init) { sum = new WebAssembly.Instance(new WebAssembly.Module(d.bytesMod), { env: { memory: d.memory } }).exports.sum; if (d.warm) { for (let i = 0; i < d.warm; i++) sum(d.warmAt, 65536); } postMessage('ok'); return; } const t0 = performance.timeOrigin + performance.now(); let s = sum(d.from, d.len); const t1 = performance.timeOrigin + performance.now(); postMessage([t0, t1, s]); };";
    const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    const ws = [new Worker(url), new Worker(url)];
    const once = (w, msg) => new Promise((r) => { w.onmessage = (e) => r(e.data); w.postMessage(msg); });
    await Promise.all(ws.map((w) => once(w, { init: true, bytesMod, memory, warm: ${Number(process.env.WARM ?? 0)}, warmAt: 16 * 65536 })));
    const base = 16 * 65536;
    const run = async (n) => {
      const share = Math.floor(bytes / n / 64) * 64;
      const r = await Promise.all(ws.slice(0, n).map((w, t) => once(w, { from: base + share * t, len: share })));
      const a = Math.min(...r.map((x) => x[0])), b = Math.max(...r.map((x) => x[1]));
      return (share * n) / 1e9 / ((b - a) / 1000);
    };
    const one = [], two = [];
    for (let i = 0; i < 5; i++) { await run(1); await run(2); }
    for (let i = 0; i < 31; i++) { one.push(await run(1)); two.push(await run(2)); }
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    return 'one ' + med(one).toFixed(1) + ' (max ' + Math.max(...one).toFixed(1) + ') GB/s; two ' + med(two).toFixed(1) + ' (max ' + Math.max(...two).toFixed(1) + ') GB/s; ratio ' + (med(two) / med(one)).toFixed(2);
  })()`);
  console.log(out);
} finally {
  await browser.close();
  await server.close();
}
