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
  /** Theil–Sen slope of memory after each load/unload of one cell, MB per cycle. */
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
  /** Load → embed → unload cycles of each measured cell (the slope is fitted over one cell's cycles). */
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
    // Measured at 10 min (load 9–14): the ingest with its searches, faults, export and checks took
    // ~100 s of the 375 s the run used; the cycles ran out of time first. So the measured cycles
    // get 65 %, the ingest 25 %, and the warm round (every cell loaded once: 45–90 s here) comes on
    // top. A cell's 30 cycles are never scaled down: a slope from fewer is noise (6 cycles with
    // ±5 MB of noise fit ±2 MB per cycle), so fewer minutes measure fewer cells, each fully.
    cyclesMs: ms * 0.65,
    ingestMs: ms * 0.25,
    cycles: FULL.cycles,
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

/**
 * Which cells get their `cycles` measured cycles in `budgetMs`, from each one's cost in the warm
 * round (ms for one load → embed → unload and its memory reading). In the order given (the
 * priority: one of each kind first), skipping a cell whose cycles would not fit so that a cheaper
 * later one still can; a 10 % margin for the noise of a shared machine (the warm round's cost is
 * already high: it holds each kind's first compile).
 */
export function cellsThatFit<C>(cells: { cell: C; costMs: number }[], cycles: number, budgetMs: number): C[] {
  const chosen: C[] = [];
  let left = budgetMs;
  for (const { cell, costMs } of cells) {
    const need = costMs * cycles * 1.1;
    if (need <= left) {
      chosen.push(cell);
      left -= need;
    }
  }
  return chosen;
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

/**
 * Theil–Sen slope of one or more series against their index: the median of the slopes between
 * every pair of points of the same series (y per step); NaN without a pair. Chosen over least
 * squares because memory read after a forced GC has outliers (a worker's freed memory not yet
 * returned, another isolate's GC late): one reading caught mid-teardown at the last of 30 cycles
 * (use-lite: 390 MB before, 200 after) reads +1.2 MB per cycle by least squares, while Theil–Sen
 * ignores up to 29 % of the points being off.
 * Pooled over several series, it is the slope they share, their offsets left out.
 */
export function theilSen(...series: number[][]): number {
  const slopes: number[] = [];
  for (const ys of series) {
    for (let i = 0; i < ys.length; i++) for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  }
  return median(slopes);
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
  /** Renderer memory (bytes) after the warm round (every cell loaded and unloaded once), and at the end. */
  memoryAfterFirstCycle: number;
  memoryEnd: number;
  memorySource: string;
  /** Memory after each measured load/unload, per cell (one cell's cycles in a row, after its warm cycle). */
  cellCycles: { cell: string; memory: number[] }[];
  /** Cells whose cycles did not fit the time: named in the slope row, not silently left out. */
  cellsNotMeasured?: string[];
  chunksSubmitted: number;
  lost: number;
  duplicated: number;
  /** Rows each kept precision holds. */
  precisionRows: Record<string, number>;
  /** The first 100 searches (at the start) and the last 100 (at the end). */
  firstSearchesMs: number[];
  lastSearchesMs: number[];
  /**
   * 100 searches in a fresh page of the same browser, interleaved with the last 100: the first
   * searches of a new session, timed under the same machine load as the last ones.
   */
  freshSearchesMs?: number[];
  /** Model workers still alive after each unload (should all be 0). */
  workersAfterUnload: number[];
}

/** Measured cycles a cell needs for its slope to get a verdict (fewer: reported, no verdict). */
export const MIN_SLOPE_CYCLES = 10;

/** The headline rows with their targets and verdicts. */
export function verdictRows(m: SoakMeasurements): SoakRow[] {
  const rows: SoakRow[] = [];
  const growth = m.memoryEnd / m.memoryAfterFirstCycle;
  rows.push({ suite: 'soak', metric: 'memory_growth_ratio', value: growth, target: `≤ ${TARGETS.memoryGrowthRatio}`, pass: growth <= TARGETS.memoryGrowthRatio, source: m.memorySource, after_first_cycle_mb: mb(m.memoryAfterFirstCycle), end_mb: mb(m.memoryEnd) });
  // The slope of one cell's own cycles (same model, dtype, backend, pool, one after the other), so
  // that cells leaving different amounts behind cannot read as growth; pooled over the cells for
  // the headline, and each cell with its own verdict.
  const measured = m.cellCycles.filter((c) => c.memory.length >= MIN_SLOPE_CYCLES);
  const pooled = theilSen(...measured.map((c) => c.memory)) / 2 ** 20;
  const notMeasured = [...(m.cellsNotMeasured ?? []), ...m.cellCycles.filter((c) => c.memory.length < MIN_SLOPE_CYCLES).map((c) => `${c.cell} (${c.memory.length} cycles)`)];
  rows.push({
    suite: 'soak',
    metric: 'memory_slope_mb_per_cycle',
    value: measured.length ? pooled : 0,
    target: `≤ ${TARGETS.memorySlopeMbPerCycle}`,
    ...(measured.length ? { pass: pooled <= TARGETS.memorySlopeMbPerCycle } : { note: `not measured: no cell had ${MIN_SLOPE_CYCLES} cycles in the time` }),
    method: 'Theil–Sen over each cell’s consecutive load/unload cycles, pooled',
    source: m.memorySource,
    cells: measured.length,
    cycles: measured.reduce((s, c) => s + c.memory.length, 0),
    not_measured: notMeasured.join('; ') || null,
  });
  for (const c of m.cellCycles) {
    const v = theilSen(c.memory) / 2 ** 20;
    const enough = c.memory.length >= MIN_SLOPE_CYCLES;
    rows.push({ suite: 'soak', metric: 'memory_slope_cell_mb_per_cycle', cell: c.cell, value: Number.isFinite(v) ? v : 0, target: `≤ ${TARGETS.memorySlopeMbPerCycle}`, ...(enough ? { pass: v <= TARGETS.memorySlopeMbPerCycle } : { note: `${c.memory.length} cycles: too few for a verdict` }), cycles: c.memory.length, least_squares: round(slope(c.memory) / 2 ** 20), first_mb: mb(c.memory[0]), last_mb: mb(c.memory[c.memory.length - 1]), min_mb: mb(Math.min(...c.memory)), max_mb: mb(Math.max(...c.memory)) });
  }
  rows.push({ suite: 'soak', metric: 'chunks_lost', value: m.lost, target: '0', pass: m.lost === 0, submitted: m.chunksSubmitted });
  rows.push({ suite: 'soak', metric: 'chunks_duplicated', value: m.duplicated, target: '0', pass: m.duplicated === 0, submitted: m.chunksSubmitted });
  for (const [precision, n] of Object.entries(m.precisionRows)) {
    rows.push({ suite: 'soak', metric: 'precision_rows', precision, value: n, target: String(m.chunksSubmitted), pass: n === m.chunksSubmitted });
  }
  const first = median(m.firstSearchesMs);
  const last = median(m.lastSearchesMs);
  const raw = last / first;
  // Against a fresh page's first searches timed beside the last ones when there are some: the
  // first 100 ran minutes earlier, under whatever else the machine was doing then (five 2-minute
  // runs read 0.26–1.99 that way with no code change); the pair shares the machine's load.
  const fresh = m.freshSearchesMs?.length ? median(m.freshSearchesMs) : null;
  const slowdown = fresh ? last / fresh : raw;
  rows.push({
    suite: 'soak',
    metric: 'search_slowdown_ratio',
    value: slowdown,
    target: `≤ ${TARGETS.searchSlowdownRatio}`,
    pass: slowdown <= TARGETS.searchSlowdownRatio,
    method: fresh ? 'last 100 ÷ a fresh page’s first 100, interleaved in blocks of 10' : 'last 100 ÷ first 100',
    last_median_ms: round(last),
    ...(fresh ? { fresh_median_ms: round(fresh) } : {}),
    first_median_ms: round(first),
    vs_first_at_start: round(raw),
    first_n: m.firstSearchesMs.length,
    last_n: m.lastSearchesMs.length,
  });
  const alive = Math.max(0, ...m.workersAfterUnload);
  rows.push({ suite: 'soak', metric: 'workers_after_unload', value: alive, target: '0', pass: alive === 0, unloads: m.workersAfterUnload.length });
  return rows;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (x: number) => Math.round(x * 100) / 100;
