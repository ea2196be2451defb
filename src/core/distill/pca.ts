/**
 * PCA to k dimensions (model2vec reduces its token table this way; src/core/compare/pca.ts finds
 * only the two axes a map needs). The covariance of evenly spaced sample rows is formed once
 * (as compare/pca.ts does), then fully diagonalised: exact
 * (Householder + QL, see symmetricEigen).
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
  const { values, vectors } = symmetricEigen(cov, dims);
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

/**
 * Eigen-decomposition of a symmetric matrix: Householder reduction to tridiagonal form, then the
 * implicit QL algorithm (EISPACK tred2/tql2, as ported in the public-domain JAMA). About 4n³
 * flops in all; cyclic Jacobi, tried first, took ~10 sweeps of 6n³ each (PCA 512 → 256 took
 * tens of seconds on a loaded machine). vectors[i*n + j] = component i of eigenvector j.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  // V as rows of columns: V[i][j].
  const V: Float64Array[] = Array.from({ length: n }, (_, i) => matrix.slice(i * n, i * n + n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vectors.set(V[i], i * n);
  return { values: d, vectors };
}

function tred2(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[n - 1][j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1][j];
        V[i][j] = 0;
        V[j][i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j][i] = f;
        g = e[j] + V[j][j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k][j] * d[k];
          e[k] += V[k][j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k][j] -= f * e[k] + g * d[k];
        d[j] = V[i - 1][j];
        V[i][j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[n - 1][i] = V[i][i];
    V[i][i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k][i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k][i + 1] * V[k][j];
        for (let k = 0; k <= i; k++) V[k][j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k][i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[n - 1][j];
    V[n - 1][j] = 0;
  }
  V[n - 1][n - 1] = 1;
  e[0] = 0;
}

function tql2(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      do {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = V[k][i + 1];
            V[k][i + 1] = s * V[k][i] + c * h;
            V[k][i] = c * V[k][i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}
