/**
 * PCA to k dimensions (model2vec reduces its token table this way; src/core/compare/pca.ts finds
 * only the two axes a map needs). The covariance of evenly spaced sample rows is formed once
 * (as compare/pca.ts does), then fully diagonalised by cyclic Jacobi rotations: exact, and on a
 * 512 × 512 covariance it takes about a second in V8, far less than forming the covariance.
 */
import { defaultFitRows } from '../compare/pca.ts';

export interface PcaModel {
  dims: number;
  k: number;
  mean: Float64Array;
  /** k × dims, row-major: the unit axes, largest variance first. */
  components: Float64Array;
  /** Variance along each axis. */
  variances: Float64Array;
  /** Share of the total variance the k axes keep. */
  explained: number;
}

export function fitPca(rows: Float32Array, dims: number, k: number, opts: { fitRows?: number } = {}): PcaModel {
  const n = rows.length / dims;
  if (!Number.isInteger(dims) || dims < 1 || !Number.isInteger(n)) throw new RangeError(`${rows.length} numbers are not whole rows of ${dims}`);
  if (!Number.isInteger(k) || k < 1 || k > dims) throw new RangeError(`PCA keeps 1 to ${dims} dims (asked for ${k})`);
  if (n < 2) throw new RangeError(`PCA needs at least 2 rows (got ${n})`);
  const fitRows = Math.min(n, opts.fitRows ?? defaultFitRows(dims));
  const stride = n / fitRows;
  const mean = new Float64Array(dims);
  for (let s = 0; s < fitRows; s++) {
    const o = Math.floor(s * stride) * dims;
    for (let d = 0; d < dims; d++) mean[d] += rows[o + d];
  }
  for (let d = 0; d < dims; d++) mean[d] /= fitRows;
  const cov = new Float64Array(dims * dims);
  const x = new Float64Array(dims);
  for (let s = 0; s < fitRows; s++) {
    const o = Math.floor(s * stride) * dims;
    for (let d = 0; d < dims; d++) x[d] = rows[o + d] - mean[d];
    for (let i = 0; i < dims; i++) {
      const a = x[i];
      if (a === 0) continue;
      const base = i * dims;
      for (let j = i; j < dims; j++) cov[base + j] += a * x[j];
    }
  }
  for (let i = 0; i < dims; i++) {
    for (let j = i; j < dims; j++) {
      cov[i * dims + j] /= fitRows - 1;
      cov[j * dims + i] = cov[i * dims + j];
    }
  }
  const { values, vectors } = jacobiEigen(cov, dims);
  const order = Array.from({ length: dims }, (_, i) => i).sort((a, b) => values[b] - values[a]);
  const components = new Float64Array(k * dims);
  const variances = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < dims; i++) total += Math.max(0, values[i]);
  let kept = 0;
  for (let c = 0; c < k; c++) {
    const e = order[c];
    variances[c] = values[e];
    kept += Math.max(0, values[e]);
    // Column e of the rotation is the eigenvector.
    for (let d = 0; d < dims; d++) components[c * dims + d] = vectors[d * dims + e];
  }
  return { dims, k, mean, components, variances, explained: total > 0 ? kept / total : 1 };
}

/** Rows projected onto the model's axes (centred first): n × k. */
export function applyPca(model: PcaModel, rows: Float32Array): Float32Array {
  const { dims, k, mean, components } = model;
  const n = rows.length / dims;
  const out = new Float32Array(n * k);
  const x = new Float64Array(dims);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dims; d++) x[d] = rows[r * dims + d] - mean[d];
    for (let c = 0; c < k; c++) {
      let s = 0;
      const base = c * dims;
      for (let d = 0; d < dims; d++) s += x[d] * components[base + d];
      out[r * k + c] = s;
    }
  }
  return out;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi; vectors[i*n + j] = component i of eigenvector j. */
export function jacobiEigen(matrix: Float64Array, n: number, maxSweeps = 50): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  const eps = 1e-22 * Math.max(scale, 1e-300);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= eps) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q; the matrix stays symmetric, so both halves are updated.
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p];
          const arq = a[r * n + q];
          a[r * n + p] = c * arp - s * arq;
          a[r * n + q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r];
          const aqr = a[q * n + r];
          a[p * n + r] = c * apr - s * aqr;
          a[q * n + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p];
          const vrq = v[r * n + q];
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}
