// The scan kernels (kernels.wat, relaxed or simd128 shared build) over 1M x 512 rows in Node
// worker_threads: 1 vs 2 threads (contiguous halves), plus the sum pass. Threshold rejects every row
// so the time is the kernel's alone.
//   node --experimental-wasm-relaxed-simd scripts/bandwidth/wasm-kernels.mjs [SIMD128|RELAXED] [repeats] [rows]
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';

const src = readFileSync(new URL('../../src/core/search/kernels-wasm.ts', import.meta.url), 'utf8');
const flavor = (isMainThread ? process.argv[2] : workerData.flavor) ?? 'SIMD128';
const b64 = src.match(new RegExp(`KERNELS_${flavor}_SHARED_BASE64 =\\s*'([^']+)'`))[1];
const mod = new WebAssembly.Module(Buffer.from(b64, 'base64'));
const ROWS_AT = 16 * 65536, SLOT = 65536, QB = SLOT - 4096 * 8;
const dims = 512;
const kinds = { f32: { fn: 'dot_f32', rowBytes: dims * 4, width: dims, thr: Infinity }, i8: { fn: 'dot_i8', rowBytes: dims, width: dims, thr: 2 ** 31 - 1 }, bin: { fn: 'hamming_64', rowBytes: 64, width: 64, thr: -1 }, sum: { fn: 'sum', rowBytes: dims * 4 } };

if (isMainThread) {
  const R = Number(process.argv[3] ?? 21);
  const rows = Number(process.argv[4] ?? 1_000_000);
  const bytes = rows * dims * 4;
  const pages = Math.ceil((ROWS_AT + bytes) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const f = new Float32Array(memory.buffer, ROWS_AT, rows * dims);
  let s = 7;
  for (let i = 0; i < f.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; f[i] = (s / 4294967296 - 0.5) * 0.1; }
  const q = new Float32Array(memory.buffer, 0, dims); q.fill(0.01);
  new Float32Array(memory.buffer, SLOT, dims).fill(0.01);
  const ctl = new Int32Array(new SharedArrayBuffer(64));
  const times = new Float64Array(new SharedArrayBuffer(64));
  const kindIds = Object.keys(kinds);
  ctl[5] = rows;
  const workers = [0, 1].map((t) => new Worker(new URL(import.meta.url), { workerData: { memory, ctl, times, t, flavor } }));
  await new Promise((r) => setTimeout(r, 1000));
  let gen = 0;
  const run = (kind, threads) => {
    ctl[1] = threads; ctl[2] = kindIds.indexOf(kind); Atomics.store(ctl, 3, 0);
    Atomics.store(ctl, 0, ++gen); Atomics.notify(ctl, 0);
    while (Atomics.load(ctl, 3) < threads) Atomics.wait(ctl, 3, Atomics.load(ctl, 3), 1000);
    const a = Math.min(...Array.from({ length: threads }, (_, t) => times[2 * t]));
    const b = Math.max(...Array.from({ length: threads }, (_, t) => times[2 * t + 1]));
    return b - a;
  };
  const configs = kindIds.flatMap((k) => [[k, 1], [k, 2]]);
  const res = configs.map(() => []);
  for (const [k, th] of configs) run(k, th); // warm-up
  for (let r = 0; r < R; r++) configs.forEach(([k, th], i) => res[i].push(run(k, th)));
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  configs.forEach(([k, th], i) => {
    const ms = sorted(res[i]);
    const gb = (t) => (rows * kinds[k].rowBytes) / 1e6 / t;
    console.log(`${k} ${th} thread(s)`.padEnd(20), `median ${ms[R >> 1].toFixed(2)} ms (${gb(ms[R >> 1]).toFixed(1)} GB/s)  best ${ms[0].toFixed(2)} ms (${gb(ms[0]).toFixed(1)} GB/s)`);
  });
  ctl[0] = -1; Atomics.notify(ctl, 0);
  process.exit(0);
} else {
  const { memory, ctl, times, t } = workerData;
  const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports;
  const clock = () => performance.timeOrigin + performance.now();
  const kindIds = Object.keys(kinds);
  let seen = 0, sink = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (seen < 0) break;
    const threads = ctl[1], kind = kinds[kindIds[ctl[2]]], rows = ctl[5];
    if (t >= threads) continue;
    const from = Math.round((rows * t) / threads), to = Math.round((rows * (t + 1)) / threads);
    times[2 * t] = clock();
    if (kind.fn === 'sum') sink ^= ex.sum(ROWS_AT + from * kind.rowBytes, Math.floor(((to - from) * kind.rowBytes) / 64) * 64);
    else for (let at = from; at < to; at += 4096) sink += ex[kind.fn](t * SLOT, ROWS_AT + at * kind.rowBytes, Math.min(4096, to - at), kind.width, t * SLOT + QB, kind.thr);
    times[2 * t + 1] = clock();
    Atomics.add(ctl, 3, 1); Atomics.notify(ctl, 3);
  }
}
