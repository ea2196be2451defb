/**
 * The statistics every benchmark figure goes through: a median (robust to one scheduler hiccup
 * on a shared machine), a nearest-rank p95 for latencies, and the spread (min, max) so a noisy
 * run is visible rather than averaged away. Framework-free: runs in the page, workers and Node.
 */

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100): always one of the measured values, never interpolated. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export interface Summary {
  /** The median. */
  value: number;
  min: number;
  max: number;
  repeats: number;
}

export function summarize(values: number[]): Summary {
  return { value: median(values), min: Math.min(...values), max: Math.max(...values), repeats: values.length };
}

/** Relative spread (max − min) / median: 0.05 means the slowest and fastest pass differ by 5 %. */
export function relativeSpread(s: Pick<Summary, 'value' | 'min' | 'max'>): number {
  return s.value === 0 ? 0 : (s.max - s.min) / Math.abs(s.value);
}
