/**
 * One way to print a byte count, everywhere (model files, memory, index sizes): pretty-bytes'
 * decimal units (kB, MB, GB — what browsers' and the hub's download sizes use), one decimal.
 * Figures measured in MiB in the README are labelled as such where they are quoted.
 */
import prettyBytes from 'pretty-bytes';

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return prettyBytes(n, { maximumFractionDigits: 1 });
}
