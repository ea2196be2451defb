/**
 * Padding: a batch is as wide as its longest text, so every shorter one is padded and the padding
 * is computed like real tokens. The model sorts each call's texts by length before cutting them
 * into batches; how much that saves depends on how many texts one call holds (`window`). Framework-free.
 */

/** Padded positions ÷ all positions when `lengths` (tokens per text, in corpus order) are embedded in calls of `window` texts, each sorted by length and cut into batches of `batch`. */
export function paddedFraction(lengths: number[], batch: number, window: number): number {
  let real = 0;
  let total = 0;
  for (let at = 0; at < lengths.length; at += window) {
    const call = lengths.slice(at, at + window).filter((n) => n > 0).sort((a, b) => a - b);
    for (let b = 0; b < call.length; b += batch) {
      const rows = call.slice(b, b + batch);
      real += rows.reduce((s, n) => s + n, 0);
      total += rows.length * Math.max(...rows);
    }
  }
  return total === 0 ? 0 : 1 - real / total;
}
