/**
 * Vector math every layer shares: one L2 rule, one dot product, one cosine. Rows are row-major
 * Float32Arrays (rows × dims), as models return them and the store keeps them.
 */

/**
 * Below this norm a row is treated as zero and left as zeros: sentence-transformers' normalize
 * uses max(norm, 1e-12), so a zero row stays zero instead of becoming NaN.
 */
export const NORM_EPSILON = 1e-12;

/** L2-normalises each row of `rows` into `out` (default: a new array; pass `rows` to do it in place). */
export function normalizeRows(rows: Float32Array, dims: number, out: Float32Array = new Float32Array(rows.length)): Float32Array {
  for (let at = 0; at < rows.length; at += dims) {
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += rows[at + d] * rows[at + d];
    // Already unit length within float32 rounding: kept bit for bit. Scaling by 1/‖x‖ ≈ 1 ± 1e-7
    // moved a last bit in rows of few nonzero values (short texts under a static model), so a
    // collection exported and imported again differed (npm run soak: 39 of 60,000 rows).
    if (Math.abs(norm - 1) <= 2 ** -22) {
      if (out !== rows) out.set(rows.subarray(at, at + dims), at);
      continue;
    }
    const inv = 1 / Math.max(Math.sqrt(norm), NORM_EPSILON);
    for (let d = 0; d < dims; d++) out[at + d] = rows[at + d] * inv;
  }
  return out;
}

/** Keeps the first `to` of `dims` values per row (Matryoshka) and L2-normalises the result. */
export function truncateRows(rows: Float32Array, dims: number, to: number): Float32Array {
  if (to === dims) return rows;
  const n = rows.length / dims;
  const out = new Float32Array(n * to);
  for (let r = 0; r < n; r++) out.set(rows.subarray(r * dims, r * dims + to), r * to);
  return normalizeRows(out, to, out);
}

/** Σ a[aAt + i]·b[bAt + i] for i < n. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length, aAt = 0, bAt = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[aAt + i] * b[bAt + i];
  return s;
}

/** Cosine similarity of two vectors; 0 when either is all zeros. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length, aAt = 0, bAt = 0): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[aAt + i];
    const y = b[bAt + i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}
