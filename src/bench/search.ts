/**
 * The search suite, run inside the search worker (where searches really run): exact top-10
 * over synthetic unit vectors for float32, int8 and binary at each n, the binary scan's
 * throughput against a plain pass over the same bytes, IndexedDB ingest rate, and cold load.
 */
import { calibrate, precisions, type Packed, type PrecisionId } from '../core/precision/index.ts';
import { topKHamming } from '../core/search/kernels.ts';
import { TopK } from '../core/search/topk.ts';
import { HammingIndex } from '../core/search/hamming-index.ts';
import { VectorStore } from '../core/store/store.ts';
import type { BenchRow } from './run.ts';

export interface SearchBenchOptions {
  sizes: number[];
  dims: number;
  repeats: number;
  ingest: number;
}

function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Deterministic pseudo-random unit-ish vectors; fast enough to make a million rows. */
function synthetic(n: number, dims: number, seed = 7): Float32Array {
  const out = new Float32Array(n * dims);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 0.1;
  }
  return out;
}

function time(fn: () => void, repeats: number): { value: number; min: number; max: number } {
  fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return { value: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
}

export async function runSearchBench(opts: SearchBenchOptions, log: (line: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { dims, repeats } = opts;
  const query = synthetic(1, dims, 99);
  for (const n of opts.sizes) {
    // Build each precision from a block of rows at a time so a million float32 rows are the only big array.
    const vectors = synthetic(n, dims);
    const cal = calibrate(vectors.subarray(0, Math.min(n, 10_000) * dims), dims);
    const stored: Partial<Record<PrecisionId, Packed>> = {};
    for (const p of ['float32', 'int8', 'binary'] as const) stored[p] = precisions[p].encode(vectors, dims, cal);
    for (const p of ['float32', 'int8', 'binary'] as const) {
      const t = time(() => precisions[p].topK(query, stored[p]!, dims, 10, cal), repeats);
      rows.push({ suite: 'search', metric: 'top10_ms', precision: p, kernel: 'js', n, dims, ...t, repeats });
      log(`search: ${p} n=${n} top-10 ${t.value.toFixed(1)} ms`);
    }
    // What the search worker runs for binary where it can: the WASM SIMD kernel.
    const bin = stored.binary!;
    const binBytes = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
    const qBits = new Uint8Array(precisions.binary.encode(query, dims).buffer);
    const index = HammingIndex.create(binBytes, dims / 8);
    const simd = index ? time(() => index.topK(qBits, 10), repeats) : null;
    if (simd) {
      rows.push({ suite: 'search', metric: 'top10_ms', precision: 'binary', kernel: 'wasm-simd', n, dims, ...simd, repeats });
      log(`search: binary (wasm-simd) n=${n} top-10 ${simd.value.toFixed(1)} ms`);
    }
    if (n === Math.max(...opts.sizes)) {
      const bytes = binBytes;
      const scan = time(() => topKHamming(qBits, bytes, dims / 8, new TopK(10)), repeats);
      // Int32 words: Uint32 values above 2^31 are heap numbers in V8 and would slow the reference down.
      const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      let sink = 0;
      const pass = time(() => {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let i = 0; i < words.length; i += 4) {
          a0 = (a0 + words[i]) | 0;
          a1 = (a1 + words[i + 1]) | 0;
          a2 = (a2 + words[i + 2]) | 0;
          a3 = (a3 + words[i + 3]) | 0;
        }
        sink ^= a0 ^ a1 ^ a2 ^ a3;
      }, repeats);
      const gbps = (ms: number) => bytes.byteLength / 1e9 / (ms / 1000);
      rows.push({ suite: 'search', metric: 'scan_gbps', precision: 'binary', kernel: 'js', n, dims, value: gbps(scan.value), repeats });
      if (simd) rows.push({ suite: 'search', metric: 'scan_gbps', precision: 'binary', kernel: 'wasm-simd', n, dims, value: gbps(simd.value), repeats });
      rows.push({ suite: 'search', metric: 'bandwidth_gbps', n, dims, value: gbps(pass.value), repeats, note: `plain pass summing the same ${bytes.byteLength} bytes (${sink & 1})` });
    }
  }

  // IndexedDB: persist synthetic vectors through the store's own commit path, then load cold.
  const store = await VectorStore.open(`embedscope-bench-${Date.now()}`);
  try {
    const n = opts.ingest;
    const c = await store.createCollection({ name: 'bench', modelId: 'synthetic', modelDims: dims, precisions: ['float32', 'int8', 'binary'] });
    const job = await store.enqueue(c.id, Array.from({ length: n }, (_, i) => ({ text: `synthetic row ${i}`, source: 'bench' })));
    const vectors = synthetic(n, dims, 3);
    const started = performance.now();
    for (;;) {
      const batch = await store.nextBatch(job.id, 2048);
      if (batch.length === 0) break;
      await store.commitBatch(job.id, batch, vectors.subarray(batch[0].seq * dims, (batch[0].seq + batch.length) * dims), dims);
    }
    const perS = n / ((performance.now() - started) / 1000);
    rows.push({ suite: 'search', metric: 'ingest_per_s', n, dims, precisions: 'float32+int8+binary', value: perS, repeats: 1 });
    log(`search: ingest ${Math.round(perS)} vectors/s`);
    for (const p of ['binary', 'int8', 'float32'] as const) {
      const loads: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await store.loadVectors(c.id, p);
        loads.push(performance.now() - t);
      }
      rows.push({ suite: 'search', metric: 'cold_load_ms', precision: p, n, dims, value: median(loads), min: Math.min(...loads), max: Math.max(...loads), repeats: 3 });
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
