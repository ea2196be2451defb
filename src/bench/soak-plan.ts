/**
 * The soak run's plan and verdicts, with no browser: how much of "a day of use" fits in the
 * minutes given, and what the measured series say against the targets of issue #15. Pure
 * functions, so the scaling and the arithmetic of every pass/fail are unit-tested in Node
 * (tests/unit/soak.test.ts); the run itself is src/bench/soak.ts.
 */
import { median } from './stats.ts';

/** The full-size run (the figures), done at the default 10 minutes when the machine allows. */
export const FULL = { minutes: 10, cycles: 30, chunks: 300_000, searches: 1000 } as const;

/** The targets, as ratios and counts: the short CI form checks the same ones. */
export const TARGETS = {
  /** Memory at the end ÷ memory after the first load/unload cycle. */
  memoryGrowthRatio: 1.1,
  /** Least-squares slope of memory after each cycle, MB per cycle. */
  memorySlopeMbPerCycle: 1,
  /** Median of the last 100 searches ÷ median of the first 100. */
  searchSlowdownRatio: 1.2,
} as const;

/** Searches timed at the start and again at the end (the slowdown ratio's two medians). */
export const TIMED_SEARCHES = 100;

export interface SoakPlan {
  minutes: number;
  /** Time for each phase, ms (the run stops a phase when its time is spent and says what it did). */
  cyclesMs: number;
  ingestMs: number;
  /** At most this many rounds of load → embed → unload over every model × dtype × backend × pool. */
  cycles: number;
  /** Chunks to embed into the big collection at most (fewer when the measured rate says they will not fit). */
  chunks: number;
  /** Searches interleaved with the ingest (the first and last 100 come on top). */
  interleavedSearches: number;
}

/** The run scaled to `minutes`: the full figures at 10 minutes, proportionally fewer below. */
export function planSoak(minutes: number): SoakPlan {
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--minutes must be a positive number, not ${minutes}`);
  const scale = Math.min(1, minutes / FULL.minutes);
  const ms = minutes * 60_000;
  return {
    minutes,
    // Measured at 10 min (load 3–9): the cycles take ~40 % of the time, the ingest with its
    // searches and faults ~45 %; export, re-import and the checks the rest.
    cyclesMs: ms * 0.4,
    ingestMs: ms * 0.42,
    cycles: Math.max(3, Math.round(FULL.cycles * scale)),
    chunks: Math.max(20_000, Math.round(FULL.chunks * scale)),
    interleavedSearches: Math.max(100, Math.round((FULL.searches - 2 * TIMED_SEARCHES) * scale)),
  };
}

/**
 * Chunks that fit the ingest's time at a measured rate (chunks/s), leaving room for the searches,
 * the faults and the check: at most the plan's, at least enough for each fault to land mid-ingest.
 */
export function chunksThatFit(plan: SoakPlan, ratePerS: number): number {
  if (!(ratePerS > 0)) return Math.min(plan.chunks, 20_000);
  const fit = Math.floor(ratePerS * (plan.ingestMs / 1000) * 0.5);
  return Math.max(10_000, Math.min(plan.chunks, Math.round(fit / 1000) * 1000));
}

/** Least-squares slope of `ys` against their index (units of y per step); 0 for fewer than 2 points. */
export function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** What the store holds against what was submitted, from the texts alone (multiset compare). */
export function compareTexts(submitted: Iterable<string>, stored: Iterable<string>): { lost: number; duplicated: number; unexpected: number; stored: number } {
  const want = new Set(submitted);
  const seen = new Set<string>();
  let duplicated = 0;
  let unexpected = 0;
  let count = 0;
  for (const t of stored) {
    count++;
    if (seen.has(t)) duplicated++;
    else if (!want.has(t)) unexpected++;
    seen.add(t);
  }
  let lost = 0;
  for (const t of want) if (!seen.has(t)) lost++;
  return { lost, duplicated, unexpected, stored: count };
}

/**
 * The texts of the big collection: Moby-Dick's and the State of the Union's sentences, each once
 * (the store keeps one row per distinct text: a repeat is its embedding cache), then again with a
 * pass mark so that every repeat is a new chunk, until `n`.
 */
export function soakTexts(base: string[], n: number): string[] {
  const distinct = [...new Set(base.map((t) => t.trim()).filter(Boolean))];
  if (distinct.length === 0) throw new Error('no base texts for the soak');
  const out: string[] = [];
  for (let pass = 0; out.length < n; pass++) {
    for (const t of distinct) {
      if (out.length >= n) break;
      out.push(pass === 0 ? t : `${t} (soak pass ${pass})`);
    }
  }
  return out;
}

export interface SoakRow {
  suite: 'soak';
  metric: string;
  value: number;
  [key: string]: string | number | boolean | null | undefined;
}

export interface SoakMeasurements {
  /** Renderer memory (bytes) after the first round of load/unload cycles, after each round, and at the end. */
  memoryAfterFirstCycle: number;
  memoryAfterCycles: number[];
  memoryEnd: number;
  memorySource: string;
  /** What one step of the slope is: a round over every cell, or one load/unload. */
  cycleUnit?: string;
  chunksSubmitted: number;
  lost: number;
  duplicated: number;
  /** Rows each kept precision holds. */
  precisionRows: Record<string, number>;
  firstSearchesMs: number[];
  lastSearchesMs: number[];
  /** Model workers still alive after each unload (should all be 0). */
  workersAfterUnload: number[];
}

/** The headline rows with their targets and verdicts. */
export function verdictRows(m: SoakMeasurements): SoakRow[] {
  const rows: SoakRow[] = [];
  const growth = m.memoryEnd / m.memoryAfterFirstCycle;
  const mbSlope = slope(m.memoryAfterCycles) / 2 ** 20;
  rows.push({ suite: 'soak', metric: 'memory_growth_ratio', value: growth, target: `≤ ${TARGETS.memoryGrowthRatio}`, pass: growth <= TARGETS.memoryGrowthRatio, source: m.memorySource, after_first_cycle_mb: mb(m.memoryAfterFirstCycle), end_mb: mb(m.memoryEnd) });
  // Fewer than 3 points fit no slope worth a verdict: the row says so instead of passing.
  const measurable = m.memoryAfterCycles.length >= 3;
  rows.push({ suite: 'soak', metric: 'memory_slope_mb_per_cycle', value: measurable ? mbSlope : 0, target: `≤ ${TARGETS.memorySlopeMbPerCycle}`, ...(measurable ? { pass: mbSlope <= TARGETS.memorySlopeMbPerCycle } : { note: `not measured: ${m.memoryAfterCycles.length} cycles in the time` }), source: m.memorySource, cycles: m.memoryAfterCycles.length, cycle: m.cycleUnit ?? 'round' });
  rows.push({ suite: 'soak', metric: 'chunks_lost', value: m.lost, target: '0', pass: m.lost === 0, submitted: m.chunksSubmitted });
  rows.push({ suite: 'soak', metric: 'chunks_duplicated', value: m.duplicated, target: '0', pass: m.duplicated === 0, submitted: m.chunksSubmitted });
  for (const [precision, n] of Object.entries(m.precisionRows)) {
    rows.push({ suite: 'soak', metric: 'precision_rows', precision, value: n, target: String(m.chunksSubmitted), pass: n === m.chunksSubmitted });
  }
  const first = median(m.firstSearchesMs);
  const last = median(m.lastSearchesMs);
  const slowdown = last / first;
  rows.push({ suite: 'soak', metric: 'search_slowdown_ratio', value: slowdown, target: `≤ ${TARGETS.searchSlowdownRatio}`, pass: slowdown <= TARGETS.searchSlowdownRatio, first_median_ms: round(first), last_median_ms: round(last), first_n: m.firstSearchesMs.length, last_n: m.lastSearchesMs.length });
  const alive = Math.max(0, ...m.workersAfterUnload);
  rows.push({ suite: 'soak', metric: 'workers_after_unload', value: alive, target: '0', pass: alive === 0, unloads: m.workersAfterUnload.length });
  return rows;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (x: number) => Math.round(x * 100) / 100;
