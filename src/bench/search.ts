/**
 * The search suite, run inside the search worker (where searches really run), over synthetic
 * 512-d vectors at each n:
 * - top10_ms per precision × kernel (WASM relaxed SIMD or SIMD128, and the plain JS kernels at
 *   one worker for comparison; binary also with the loop kernel, "… loop", beside the one unrolled
 *   for its row width) × workers (1…cores; several only where rows can be shared);
 * - binary + rescore ×4 with float32 through the same kernels, timed beside binary alone
 *   (vs_binary) and beside each worker rescoring its own candidates;
 * - scan_gbps per precision and the read ceiling of the same bytes with the same workers
 *   (read_ceiling_gbps: the SIMD sum pass, kernels.wat `sum`), and pct_of_ceiling;
 * - IndexedDB ingest rate through the real commit path and cold load into WebAssembly memory,
 *   each with where the time went.
 * Each precision's rows are written straight into its WebAssembly memory a block at a time, so
 * the largest allocation is the one the search itself needs (1M × 512 float32: 2 GiB).
 */
import { calibrate, precisions, type Calibration, type PrecisionId } from '../core/precision/index.ts';
import { scanJs } from '../core/search/kernels.ts';
import { ScanPool, type HelperPort } from '../core/search/pool.ts';
import { ScanIndex } from '../core/search/scan.ts';
import { TopK } from '../core/search/topk.ts';
import { VectorStore } from '../core/store/store.ts';
import { availableCores } from '../core/util/threads.ts';
import type { BenchRow } from './report.ts';
import { roundOrder } from './auto.ts';
import { median, summarize, type Summary } from './stats.ts';

export interface SearchBenchOptions {
  sizes: number[];
  dims: number;
  repeats: number;
  ingest: number;
  /** Workers per scan (default 1…the cores available, at most 4). */
  workers?: number[];
  precisions?: PrecisionId[];
}

export interface SearchBenchEnv {
  spawnHelper: () => HelperPort;
  /** Whether rows can live in shared memory (cross-origin isolated); else only 1 worker runs. */
  shared: boolean;
}

const BLOCK = 8192;
const DEFAULT_PRECISIONS: PrecisionId[] = ['float32', 'int8', 'uint8', 'binary', 'ubinary'];

/** Deterministic pseudo-random values, a block of rows at a time (the same rows for every precision). */
function synthetic(n: number, dims: number, seed: number, each: (rows: Float32Array, start: number) => void) {
  let s = seed >>> 0;
  const block = new Float32Array(BLOCK * dims);
  for (let start = 0; start < n; start += BLOCK) {
    const count = Math.min(BLOCK, n - start);
    const rows = block.subarray(0, count * dims);
    for (let i = 0; i < rows.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      rows[i] = (s / 4294967296 - 0.5) * 0.1;
    }
    each(rows, start);
  }
}

async function time(fn: () => unknown, repeats: number): Promise<Summary> {
  await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return summarize(ms);
}

/**
 * Several ways timed in rotating rounds (A B C, B C A, C A B, …), each round after one warm-up of
 * each: a slow moment on this shared machine hits them all alike, so their ratios hold.
 */
async function timeRotating<K extends string>(fns: Record<K, () => unknown>, rounds: number): Promise<Record<K, Summary>> {
  const names = Object.keys(fns) as K[];
  for (const name of names) await fns[name]();
  const ms = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    for (const name of roundOrder(names, r)) {
      const t = performance.now();
      await fns[name]();
      ms[name].push(performance.now() - t);
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(ms[name])])) as Record<K, Summary>;
}

export async function runSearchBench(opts: SearchBenchOptions, log: (line: string) => void, env: SearchBenchEnv): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { dims, repeats } = opts;
  const workerAxis = (opts.workers ?? Array.from({ length: Math.min(4, availableCores()) }, (_, i) => i + 1)).filter((w) => env.shared || w === 1);
  const ids = opts.precisions ?? DEFAULT_PRECISIONS;
  let queryRow = new Float32Array(0);
  synthetic(1, dims, 99, (r) => (queryRow = r.slice()));
  const query = queryRow;
  const pools = new Map(workerAxis.map((w) => [w, new ScanPool(env.spawnHelper, w)]));
  try {
    for (const n of opts.sizes) {
      let cal: Calibration | undefined;
      synthetic(Math.min(n, 10_000), dims, 7, (r, start) => {
        if (start === 0) cal = calibrate(r, dims);
      });
      let float32Index: ScanIndex | null = null;
      for (const id of ids) {
        const p = precisions[id];
        const index = ScanIndex.allocate({ kernel: p.kernel, dims, rows: n }, { shared: env.shared });
        if (!index) {
          log(`search: no WebAssembly SIMD here; ${id} skipped`);
          continue;
        }
        const width = p.bytesPerVector(dims);
        synthetic(n, dims, 7, (r, start) => {
          const packed = p.encode(r, dims, cal);
          index.rowBytesView(start, start + r.length / dims).set(new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength));
        });
        const bytes = n * width;
        const gbps = (ms: number) => bytes / 1e9 / (ms / 1000);
        const kq = p.kernelQuery(query, dims, cal);
        const key = `bench:${id}:${n}`;
        // backend: wasm or js; kernel: which (the Benchmark view labels search rows by it).
        const kernel = index.flavor === 'relaxed' ? 'wasm-relaxed' : 'wasm-simd128';
        const backend = 'wasm';
        let oneWorkerCeilingMs = 0;
        for (const [w, pool] of pools) {
          if (pool.partsFor(index) !== w) continue; // too few rows for w workers: the same scan as fewer
          const t = await time(() => pool.topK(index, key, kq, 10), repeats);
          const ceiling = await time(() => pool.sum(index, key, kq), repeats);
          if (w === 1) oneWorkerCeilingMs = ceiling.value;
          const base = { suite: 'search', precision: id, backend, kernel, workers: w, n, dims, repeats };
          rows.push({ ...base, metric: 'top10_ms', ...t });
          rows.push({ ...base, metric: 'scan_gbps', value: gbps(t.value), bytes, pct_of_ceiling: Math.round((100 * ceiling.value) / t.value) });
          rows.push({ ...base, metric: 'read_ceiling_gbps', value: gbps(ceiling.value), min: gbps(ceiling.max), max: gbps(ceiling.min), bytes });
          log(`search: ${id} n=${n} workers=${w} top-10 ${t.value.toFixed(1)} ms, ${gbps(t.value).toFixed(2)} GB/s (${Math.round((100 * ceiling.value) / t.value)} % of ${gbps(ceiling.value).toFixed(2)} GB/s)`);
        }
        if (index.flavor === 'relaxed') {
          // The SIMD128 kernels over the same memory, one worker: what relaxed SIMD is worth here.
          const plain = ScanIndex.attach(index.memory, index.layout, 'simd128');
          const t = await time(() => plain.scan(kq, 10), repeats);
          rows.push({ suite: 'search', metric: 'top10_ms', precision: id, backend, kernel: 'wasm-simd128', workers: 1, n, dims, ...t, repeats });
          log(`search: ${id} n=${n} simd128 (no relaxed) top-10 ${t.value.toFixed(1)} ms`);
        }
        if (index.fixedWidth) {
          // The loop kernel over the same memory, one worker: what the kernel unrolled for this row width is worth.
          const loop = ScanIndex.attach(index.memory, index.layout, index.flavor, { anyWidth: true });
          const t = await time(() => loop.scan(kq, 10), repeats);
          const row: BenchRow = { suite: 'search', metric: 'top10_ms', precision: id, backend, kernel: `${kernel} loop`, workers: 1, n, dims, ...t, repeats };
          if (oneWorkerCeilingMs) row.pct_of_ceiling = Math.round((100 * oneWorkerCeilingMs) / t.value);
          rows.push(row);
          log(`search: ${id} n=${n} loop kernel (not unrolled for ${index.rowBytes}-byte rows) top-10 ${t.value.toFixed(1)} ms`);
        }
        if (id === 'float32' || id === 'int8' || id === 'binary') {
          // The plain JS kernel (the fallback; what searches ran on before the SIMD kernels), one worker.
          const stored = index.rowBytesView();
          const js = await time(() => scanJs(kq, stored, dims, new TopK(10)), Math.min(repeats, 3));
          rows.push({ suite: 'search', metric: 'top10_ms', precision: id, backend: 'js', kernel: 'js', workers: 1, n, dims, ...js, repeats: Math.min(repeats, 3) });
          log(`search: ${id} n=${n} js top-10 ${js.value.toFixed(1)} ms`);
        }
        if (id === 'float32') float32Index = index;
        if (id === 'binary' && float32Index) {
          const f32 = float32Index;
          const rescoreWith = { index: f32, key: `bench:float32:${n}`, query: precisions.float32.kernelQuery(query, dims) };
          // Rescoring as the page does it (the global top 40 merged, then scored by the calling
          // worker, search/pool.ts), timed in rotating rounds beside binary alone, binary's top 40
          // alone, and each worker rescoring its own candidates: their ratios come from the same moments.
          const rounds = Math.max(repeats, 101);
          // The rescoring pass alone: 40 candidate rows scored on one worker.
          const candidates = (await pools.values().next().value!.topK(index, key, kq, 40)).map((h) => h.index);
          const pass = await time(() => f32.scoreRows(rescoreWith.query, candidates), rounds);
          for (const [w, pool] of pools) {
            if (pool.partsFor(index) !== w) continue;
            const t = await timeRotating(
              {
                alone: () => pool.topK(index, key, kq, 10),
                // The candidates alone: what fetching 40 instead of 10 costs, without rescoring.
                top40: () => pool.topK(index, key, kq, 40),
                caller: () => pool.topKRescored(index, key, kq, 40, 10, rescoreWith),
                inWorkers: () => pool.topKRescored(index, key, kq, 40, 10, rescoreWith, 'workers'),
              },
              rounds,
            );
            const base = { suite: 'search', metric: 'top10_ms', precision: 'binary', rescore: 'float32 ×4', backend, workers: w, n, dims, repeats: rounds };
            // vs_binary: the medians' ratio; vs_binary_min: the fastest rounds' (the least disturbed on a busy machine).
            const ratios = (r: { value: number; min: number }) => ({ vs_binary: r.value / t.alone.value, vs_binary_min: r.min / t.alone.min, binary_ms: t.alone.value, binary_min_ms: t.alone.min });
            rows.push({ ...base, kernel, ...t.caller, ...ratios(t.caller), rescore_pass_ms: pass.value, top40_ms: t.top40.value });
            rows.push({ ...base, kernel: `${kernel}, rescored in each worker`, ...t.inWorkers, ...ratios(t.inWorkers) });
            log(
              `search: binary + rescore ×4 n=${n} workers=${w} ${t.caller.value.toFixed(2)} ms = ${(t.caller.value / t.alone.value).toFixed(2)}× binary alone (${t.alone.value.toFixed(2)} ms); ` +
                `rescored in each worker ${t.inWorkers.value.toFixed(2)} ms = ${(t.inWorkers.value / t.alone.value).toFixed(2)}×; the top 40 alone ${t.top40.value.toFixed(2)} ms, the rescoring pass alone ${(pass.value * 1000).toFixed(0)} µs`,
            );
          }
        }
        // The helpers keep an instance (and so the memory) of every key until it is released, as
        // the search worker releases what it lets go of; float32 stays for binary's rescoring.
        const done = id === 'float32' ? [] : [key];
        if (id === 'binary' || id === ids[ids.length - 1]) done.push(`bench:float32:${n}`);
        for (const pool of pools.values()) await pool.release(done);
      }
      float32Index = null;
    }
  } finally {
    for (const pool of pools.values()) pool.dispose();
  }
  rows.push(...(await ingestAndLoad(opts, log)));
  return rows;
}

/** IndexedDB: persist synthetic vectors through the store's own commit path, then load cold into WASM memory. */
async function ingestAndLoad(opts: SearchBenchOptions, log: (line: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { dims } = opts;
  const n = opts.ingest;
  if (n <= 0) return rows;
  const store = await VectorStore.open(`embedscope-bench-${Date.now()}`);
  try {
    const kept: PrecisionId[] = ['float32', 'int8', 'binary'];
    const c = await store.createCollection({ name: 'bench', modelId: 'synthetic', modelDims: dims, precisions: kept });
    const job = await store.enqueue(c.id, Array.from({ length: n }, (_, i) => ({ text: `synthetic row ${i}`, source: 'bench' })));
    const vectors = new Float32Array(n * dims);
    synthetic(n, dims, 3, (r, start) => vectors.set(r, start * dims));
    const started = performance.now();
    const profile = { nextBatchMs: 0, commitMs: 0 };
    for (;;) {
      let t = performance.now();
      const batch = await store.nextBatch(job.id, 2048);
      profile.nextBatchMs += performance.now() - t;
      if (batch.length === 0) break;
      t = performance.now();
      await store.commitBatch(job.id, batch, vectors.subarray(batch[0].seq * dims, (batch[0].seq + batch.length) * dims), dims);
      profile.commitMs += performance.now() - t;
    }
    const totalMs = performance.now() - started;
    // Where a commit's time goes: encoding every kept precision (the rest is IndexedDB).
    const cal = calibrate(vectors.subarray(0, 2048 * dims), dims);
    let encodeMs = performance.now();
    for (let at = 0; at < n; at += 2048) for (const p of kept) precisions[p].encode(vectors.subarray(at * dims, Math.min(n, at + 2048) * dims), dims, cal);
    encodeMs = performance.now() - encodeMs;
    const perS = n / (totalMs / 1000);
    rows.push({
      suite: 'search', metric: 'ingest_per_s', n, dims, precisions: kept.join('+'), value: perS, repeats: 1,
      note: `of ${Math.round(totalMs)} ms: encoding ${Math.round(encodeMs)} ms, IndexedDB commits ${Math.round(profile.commitMs - encodeMs)} ms, reading pending ${Math.round(profile.nextBatchMs)} ms`,
    });
    log(`search: ingest ${Math.round(perS)} vectors/s (encode ${Math.round(encodeMs)} of ${Math.round(totalMs)} ms)`);
    for (const p of ['binary', 'int8', 'float32'] as const) {
      const loads: number[] = [];
      const kernel = precisions[p].kernel;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await store.loadVectorsInto(c.id, p, (bytes, count) => ScanIndex.allocate({ kernel, dims, rows: count })?.rowBytesView() ?? new Uint8Array(bytes));
        loads.push(performance.now() - t);
      }
      // Where the time went: the same bytes copied into a fresh WebAssembly memory from one
      // buffer already in memory (allocation, page faults, copy); the rest is IndexedDB's.
      const bytes = n * precisions[p].bytesPerVector(dims);
      const source = new Uint8Array(bytes);
      let copyMs = performance.now();
      ScanIndex.allocate({ kernel, dims, rows: n })?.rowBytesView().set(source);
      copyMs = performance.now() - copyMs;
      const value = median(loads);
      rows.push({
        suite: 'search', metric: 'cold_load_ms', precision: p, n, dims, value, min: Math.min(...loads), max: Math.max(...loads), repeats: 3,
        note: `allocating and copying ${Math.round(bytes / 1e6)} MB into WebAssembly memory alone: ${Math.round(copyMs)} ms; the rest is IndexedDB`,
      });
      log(`search: cold load ${p} ${value.toFixed(0)} ms (a copy alone ${copyMs.toFixed(0)} ms)`);
    }
  } finally {
    const name = store.db.name;
    store.close();
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = req.onerror = req.onblocked = resolve;
    });
  }
  return rows;
}
