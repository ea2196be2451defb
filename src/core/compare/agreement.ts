/**
 * Quality without labels: how far a variant's results stray from a reference result list.
 *
 * Results are compared by chunk text, not by row number, so variants from different
 * collections over the same corpus (one model each, embedded in any order) can be compared:
 * the store keeps each text once per collection (content-hash dedup), so a text names a chunk.
 */

/**
 * overlap@k = |top-k ∩ reference top-k| / k — the share of the reference's first k results this
 * variant also returns in its first k, order ignored.
 */
export function overlapAtK(variant: readonly string[], reference: readonly string[], k: number): number {
  if (k < 1) throw new RangeError(`overlap@k needs k ≥ 1 (got ${k})`);
  const ref = new Set(reference.slice(0, k));
  const denominator = Math.min(k, ref.size);
  if (denominator === 0) return 0;
  let found = 0;
  for (const key of new Set(variant.slice(0, k))) if (ref.has(key)) found++;
  return found / denominator;
}

/**
 * recall k@n = the share of the reference's top-k found anywhere in the variant's top-n (n ≥ k):
 * the reference's first k are the relevant set, and the question is whether this variant
 * retrieves them at all within n results — what a re-ranker over its top-n could still recover.
 * With n = k it equals overlap@k.
 */
export function recallAtDepth(variant: readonly string[], reference: readonly string[], k: number, n: number): number {
  if (n < k) throw new RangeError(`recall k@n needs n ≥ k (got k = ${k}, n = ${n})`);
  const relevant = new Set(reference.slice(0, k));
  if (relevant.size === 0) return 0;
  const pool = new Set(variant.slice(0, n));
  let found = 0;
  for (const key of relevant) if (pool.has(key)) found++;
  return found / relevant.size;
}

/** For each of the variant's results: true when the reference's top-k does not hold it (shown highlighted). */
export function differsFromReference(variant: readonly string[], reference: readonly string[], k: number): boolean[] {
  const ref = new Set(reference.slice(0, k));
  return variant.map((key) => !ref.has(key));
}
