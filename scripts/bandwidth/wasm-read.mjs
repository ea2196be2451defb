// The search bench's read-ceiling kernel (kernels.wat `sum`, SIMD128 shared build) on Node worker_threads:
// 1 vs 2 threads over the same bytes, contiguous halves (the bench's split) vs interleaved blocks.
//   node scripts/bandwidth/wasm-read.mjs [MiB] [repeats]
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';

const src = readFileSync(new URL('../../src/core/search/kernels-wasm.ts', import.meta.url), 'utf8');
const b64 = src.match(/KERNELS_SIMD128_SHARED_BASE64 =\s*'([^']+)'/)[1];
const bytesMod = Buffer.from(b64, 'base64');

if (isMainThread) {
  const mib = Number(process.argv[2] ?? 2048);
  const R = Number(process.argv[3] ?? 11);
  const bytes = mib * 2 ** 20;
  const pages = Math.ceil(bytes / 65536) + 16;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  new Uint8Array(memory.buffer).fill(1);
  const ctl = new Int32Array(new SharedArrayBuffer(64));
  const times = new Float64Array(new SharedArrayBuffer(64));
  const workers = [0, 1].map((t) => new Worker(new URL(import.meta.url), { workerData: { memory, ctl, times, t } }));
  await new Promise((r) => setTimeout(r, 500));
  // ctl[0]: generation, ctl[1]: threads, ctl[2]: mode (0 contiguous, else block bytes), ctl[3]: done
  let gen = 0;
  const run = (threads, block) => {
    ctl[1] = threads; ctl[2] = block; Atomics.store(ctl, 3, 0);
    Atomics.store(ctl, 0, ++gen); Atomics.notify(ctl, 0);
    while (Atomics.load(ctl, 3) < threads) Atomics.wait(ctl, 3, Atomics.load(ctl, 3), 1000);
    // Each thread's own clock: the first start to the last end.
    const a = Math.min(...Array.from({ length: threads }, (_, t) => times[2 * t]));
    const b = Math.max(...Array.from({ length: threads }, (_, t) => times[2 * t + 1]));
    return bytes / 1e9 / ((b - a) / 1000);
  };
  const configs = [[1, 0], [2, 0], [2, 65536], [2, 1 << 20]];
  const res = configs.map(() => []);
  for (let r = 0; r < R; r++) configs.forEach(([th, bl], i) => res[i].push(run(th, bl)));
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
  configs.forEach(([th, bl], i) => console.log(`${th} thread(s) ${bl ? `interleaved ${bl >> 10} KiB` : 'contiguous'}`.padEnd(36), `median ${med(res[i]).toFixed(1)}  p90 ${p90(res[i]).toFixed(1)}  max ${Math.max(...res[i]).toFixed(1)} GB/s`));
  ctl[0] = -1; Atomics.notify(ctl, 0);
  process.exit(0);
} else {
  const { memory, ctl, times, t } = workerData;
  const clock = () => performance.timeOrigin + performance.now();
  const { sum } = new WebAssembly.Instance(new WebAssembly.Module(bytesMod), { env: { memory } }).exports;
  const base = 16 * 65536;
  const bytes = memory.buffer.byteLength - base;
  let seen = 0, sink = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (seen < 0) break;
    const threads = ctl[1], block = ctl[2];
    if (t < threads) {
      times[2 * t] = clock();
      if (!block) { const share = Math.floor(bytes / threads / 64) * 64; sink ^= sum(base + share * t, share); }
      else for (let at = block * t; at < bytes; at += block * threads) sink ^= sum(base + at, Math.min(block, bytes - at));
      times[2 * t + 1] = clock();
      Atomics.add(ctl, 3, 1); Atomics.notify(ctl, 3);
    }
  }
  parentPort?.postMessage(sink);
}
