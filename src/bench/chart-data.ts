/**
 * Rows → chart series, kept out of the components so the shaping is unit-tested and the
 * components only draw. Missing points are null (a failed cell leaves a gap, not a zero).
 */
import type { BenchRow } from './report.ts';
import { rowKey } from './report.ts';

export interface Series {
  label: string;
  data: (number | null)[];
  /** From an imported run shown beside the current one. */
  saved?: boolean;
}

export interface ChartData {
  labels: string[];
  series: Series[];
}

/** model dtype backend workers×threads: the name of the load a row came from (runs saved before pools: one worker). */
export function variantOf(r: BenchRow): string {
  const pool = Number(r.pool ?? 1) || 1;
  const backend = r.backend === 'wasm' && Number(r.threads) > 0 ? `wasm ${pool}×${r.threads}` : pool > 1 && r.backend ? `${r.backend} pool ${pool}` : r.backend;
  return [r.model, r.dtype, backend, r.software ? '(software)' : ''].filter((x) => x !== undefined && x !== null && x !== '').join(' ');
}

const isThroughput = (r: BenchRow) => r.metric === 'sentences_per_s' && r.backend !== 'native' && typeof r.batch === 'number';

/** Sentences/s against batch size, one line per variant (per run when a saved run is shown). */
export function throughputChart(current: BenchRow[], saved: BenchRow[] = []): ChartData {
  const rows = [...current, ...saved].filter(isThroughput);
  const batches = [...new Set(rows.map((r) => Number(r.batch)))].sort((a, b) => a - b);
  const series: Series[] = [];
  for (const [runRows, isSaved] of [[current, false], [saved, true]] as const) {
    const variants = [...new Set(runRows.filter(isThroughput).map(variantOf))];
    for (const v of variants) {
      series.push({
        label: isSaved ? `saved · ${v}` : v,
        saved: isSaved,
        data: batches.map((b) => runRows.find((r) => isThroughput(r) && variantOf(r) === v && r.batch === b)?.value ?? null),
      });
    }
  }
  return { labels: batches.map(String), series };
}

/** Per-call latency, median and p95, one bar pair per variant and batch size. */
export function latencyChart(rows: BenchRow[]): ChartData {
  const lat = rows.filter((r) => r.metric === 'latency_ms' && typeof r.batch === 'number');
  return {
    labels: lat.map((r) => `${variantOf(r)} · batch ${r.batch}`),
    series: [
      { label: 'median', data: lat.map((r) => r.value) },
      { label: 'p95', data: lat.map((r) => (typeof r.p95 === 'number' ? r.p95 : null)) },
      { label: 'max', data: lat.map((r) => (typeof r.max === 'number' ? r.max : null)) },
    ],
  };
}

/** Memory bytes per model × dtype × pool size, one bar per source (the index: per precision). */
export function memoryChart(rows: BenchRow[]): ChartData {
  const mem = rows.filter((r) => r.metric === 'memory_bytes');
  const labelOf = (r: BenchRow) => (r.source === 'index' ? `${r.model} index ${r.precision} (${Number(r.n).toLocaleString('en-US')} vectors)` : variantOf(r));
  const labels = [...new Set(mem.map(labelOf))];
  const sources = [...new Set(mem.map((r) => String(r.source)))];
  return {
    labels,
    series: sources.map((s) => ({ label: s, data: labels.map((l) => mem.find((r) => r.source === s && labelOf(r) === l)?.value ?? null) })),
  };
}

export interface ComparedRow {
  key: string;
  row: BenchRow;
  current: number | null;
  saved: number | null;
  /** current / saved, when both exist. */
  ratio: number | null;
}

/** Rows of two runs matched on what they measured (model, dtype, batch, metric, …), current run's order first. */
export function compareRuns(current: BenchRow[], saved: BenchRow[]): ComparedRow[] {
  const savedByKey = new Map(saved.map((r) => [rowKey(r), r]));
  const out: ComparedRow[] = [];
  const seen = new Set<string>();
  for (const r of current) {
    const key = rowKey(r);
    if (seen.has(key)) continue;
    seen.add(key);
    const s = savedByKey.get(key);
    out.push({ key, row: r, current: r.value, saved: s?.value ?? null, ratio: s && s.value !== 0 ? r.value / s.value : null });
  }
  for (const r of saved) {
    const key = rowKey(r);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, row: r, current: null, saved: r.value, ratio: null });
  }
  return out;
}
