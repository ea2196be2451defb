/**
 * 2-D PCA for the map: the two leading principal axes by orthogonal (block power) iteration on
 * the covariance, never formed — each step is two passes over the rows (Xᵀ(X·V)), so memory
 * stays at the data plus 2 × dims numbers, and time is O(iterations × rows × dims).
 * Axes are fitted on at most `fitRows` evenly spaced rows (a sample of 20k already fixes the
 * top two directions of sentence embeddings), then every row is projected.
 */
export interface Projection {
  /** rows × 2, row-major: x = first component, y = second. */
  points: Float32Array;
  /** The two unit axes, dims each. */
  axes: [Float64Array, Float64Array];
  /** Share of the total variance each axis explains (of the fitted rows). */
  explained: [number, number];
  iterations: number;
  fittedRows: number;
}

export interface PcaOptions {
  fitRows?: number;
  maxIterations?: number;
  /** Stop when both axes move less than this (1 − |cos| between successive iterates). */
  tolerance?: number;
}

export function pca2(rows: Float32Array, dims: number, opts: PcaOptions = {}): Projection {
  if (!Number.isInteger(dims) || dims < 2) throw new RangeError(`a 2-D map needs vectors of ≥ 2 dims (got ${dims})`);
  const n = rows.length / dims;
  if (!Number.isInteger(n)) throw new RangeError(`${rows.length} numbers are not whole rows of ${dims}`);
  if (n < 2) throw new RangeError(`a map needs at least 2 vectors (got ${n})`);
  const fitRows = Math.min(n, opts.fitRows ?? 20_000);
  const stride = n / fitRows;
  const sample = Array.from({ length: fitRows }, (_, i) => Math.floor(i * stride));

  const mean = new Float64Array(dims);
  for (const r of sample) for (let d = 0; d < dims; d++) mean[d] += rows[r * dims + d];
  for (let d = 0; d < dims; d++) mean[d] /= fitRows;
  let total = 0;
  for (const r of sample) for (let d = 0; d < dims; d++) total += (rows[r * dims + d] - mean[d]) ** 2;
  total /= fitRows;

  // Deterministic, non-degenerate start: two different fixed patterns, orthonormalised.
  let a: Float64Array = Float64Array.from({ length: dims }, (_, d) => 1 + ((d * 7919) % 13) / 13);
  let b: Float64Array = Float64Array.from({ length: dims }, (_, d) => (d % 2 ? 1 : -1) * (1 + ((d * 104729) % 7) / 7));
  [a, b] = orthonormalise(a, b);
  const maxIterations = opts.maxIterations ?? 200;
  const tolerance = opts.tolerance ?? 1e-7;
  let iterations = 0;
  let va = 0;
  let vb = 0;
  for (; iterations < maxIterations; ) {
    iterations++;
    const ca = new Float64Array(dims);
    const cb = new Float64Array(dims);
    for (const r of sample) {
      const o = r * dims;
      let pa = 0;
      let pb = 0;
      for (let d = 0; d < dims; d++) {
        const x = rows[o + d] - mean[d];
        pa += x * a[d];
        pb += x * b[d];
      }
      for (let d = 0; d < dims; d++) {
        const x = rows[o + d] - mean[d];
        ca[d] += x * pa;
        cb[d] += x * pb;
      }
    }
    va = dot(ca, a) / fitRows;
    vb = dot(cb, b) / fitRows;
    const [na, nb] = orthonormalise(ca, cb);
    const moved = Math.max(1 - Math.abs(dot(na, a)), 1 - Math.abs(dot(nb, b)));
    a = na;
    b = nb;
    if (moved < tolerance) break;
  }
  // Keep the larger-variance axis first (orthogonal iteration converges to them in order,
  // but a start aligned with the second can leave them swapped for a while).
  if (vb > va) [a, b, va, vb] = [b, a, vb, va];

  const points = new Float32Array(n * 2);
  for (let r = 0; r < n; r++) {
    let x = 0;
    let y = 0;
    const o = r * dims;
    for (let d = 0; d < dims; d++) {
      const v = rows[o + d] - mean[d];
      x += v * a[d];
      y += v * b[d];
    }
    points[r * 2] = x;
    points[r * 2 + 1] = y;
  }
  const share = (v: number) => (total > 0 ? Math.max(0, v) / total : 0);
  return { points, axes: [a, b], explained: [share(va), share(vb)], iterations, fittedRows: fitRows };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Gram–Schmidt on two vectors; a vector that collapses to zero is replaced by a fixed one. */
function orthonormalise(a: Float64Array, b: Float64Array): [Float64Array, Float64Array] {
  const ua = unit(a) ?? unit(Float64Array.from({ length: a.length }, (_, i) => (i === 0 ? 1 : 0)))!;
  const p = dot(b, ua);
  const rb = b.map((x, i) => x - p * ua[i]);
  let ub = unit(rb);
  if (!ub) {
    // b was parallel to a (or zero): any direction orthogonal to a will do as a restart.
    const e = Float64Array.from({ length: a.length }, (_, i) => (i === 1 ? 1 : 0));
    const q = dot(e, ua);
    ub = unit(e.map((x, i) => x - q * ua[i]))!;
  }
  return [ua, ub];
}

function unit(v: Float64Array): Float64Array | null {
  const norm = Math.sqrt(dot(v, v));
  return norm > 1e-300 ? v.map((x) => x / norm) : null;
}
