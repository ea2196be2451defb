/**
 * Ratios the targets are read from, computed from one run's rows (never across runs: the
 * machine is shared, so only ratios measured side by side mean anything). Framework-free.
 *
 * - `vs_transformersjs`: our best configuration (any backend and workers × threads we measured,
 *   software GPUs excluded) ÷ transformers.js with its defaults, same model, dtype and batch.
 * - `int8_vs_fp32`: each dtype at its own best configuration, int8 ÷ fp32, per model and batch.
 * - `pool_speedup`: N workers × 1 thread ÷ 1 × 1, per model, dtype and batch.
 */
import type { BenchRow } from './report.ts';

const rate = (r: BenchRow) => r.suite === 'transformer' && r.metric === 'sentences_per_s' && typeof r.batch === 'number';
const ours = (r: BenchRow) => rate(r) && (r.backend === 'wasm' || r.backend === 'webgpu') && r.software !== true;
const config = (r: BenchRow) => (r.backend === 'wasm' ? `wasm ${r.pool ?? 1}×${r.threads}` : String(r.backend));

/** The fastest of our rows for a model × dtype × batch. */
export function bestOf(rows: BenchRow[], model: unknown, dtype: unknown, batch: unknown): BenchRow | null {
  let best: BenchRow | null = null;
  for (const r of rows) if (ours(r) && r.model === model && r.dtype === dtype && r.batch === batch && (!best || r.value > best.value)) best = r;
  return best;
}

export function derivedRows(rows: BenchRow[]): BenchRow[] {
  const out: BenchRow[] = [];
  for (const t of rows.filter((r) => rate(r) && r.backend === 'transformersjs')) {
    const best = bestOf(rows, t.model, t.dtype, t.batch);
    if (best && t.value > 0) {
      out.push({ suite: 'transformer', metric: 'vs_transformersjs', model: t.model, dtype: t.dtype, batch: t.batch, value: best.value / t.value, best: config(best), transformersjs_threads: t.threads, repeats: 1 });
    }
  }
  const keys = new Set(rows.filter(ours).map((r) => `${r.model}|${r.batch}`));
  for (const key of keys) {
    const [model, b] = key.split('|');
    const batch = Number(b);
    const int8 = bestOf(rows, model, 'int8', batch);
    const fp32 = bestOf(rows, model, 'fp32', batch);
    if (int8 && fp32) out.push({ suite: 'transformer', metric: 'int8_vs_fp32', model, batch, value: int8.value / fp32.value, int8_best: config(int8), fp32_best: config(fp32), repeats: 1 });
  }
  for (const one of rows.filter((r) => rate(r) && r.backend === 'wasm' && Number(r.pool ?? 1) === 1 && r.threads === 1)) {
    for (const many of rows.filter((r) => rate(r) && r.backend === 'wasm' && Number(r.pool) > 1 && r.threads === 1 && r.model === one.model && r.dtype === one.dtype && r.batch === one.batch)) {
      out.push({ suite: 'transformer', metric: 'pool_speedup', model: one.model, dtype: one.dtype, batch: one.batch, pool: many.pool, threads: 1, value: many.value / one.value, repeats: 1 });
    }
  }
  return out;
}

/**
 * Our best configuration ÷ onnxruntime-node's best (over the thread counts it ran), per model,
 * dtype and batch: how far the browser is from native on this CPU (the environment rows name its
 * SIMD features — MLAS in WASM has SIMD128 only, native uses AVX2/AVX-512/VNNI/AMX where present).
 */
export function nativeRows(rows: BenchRow[]): BenchRow[] {
  const out: BenchRow[] = [];
  const native = rows.filter((r) => rate(r) && r.backend === 'native');
  const keys = new Set(native.map((r) => `${r.model}|${r.dtype}|${r.batch}`));
  for (const key of keys) {
    const [model, dtype, b] = key.split('|');
    const batch = Number(b);
    const nat = native.filter((r) => r.model === model && r.dtype === dtype && r.batch === batch).sort((a, c) => c.value - a.value)[0];
    const best = bestOf(rows, model, dtype, batch);
    if (best && nat) out.push({ suite: 'transformer', metric: 'best_vs_native_best', model, dtype, batch, value: best.value / nat.value, best: config(best), native_best: `native ×${nat.threads}`, repeats: 1 });
  }
  return out;
}
