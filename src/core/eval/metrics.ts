/** Quality metrics shared by `npm run eval`, the model build's report and the page. */
import { cosine } from '../util/vectors.ts';

/** Ranks with ties averaged (the definition scipy.stats.spearmanr uses). */
export function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]] = rank;
    i = j + 1;
  }
  return out;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length || n < 2) throw new Error(`pearson needs two equal series of ≥ 2 values (got ${a.length} and ${b.length})`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** Cosine of row i of `a` and row j of `b` (both rows × dims); 0 when either is all zeros. */
export function rowCosine(a: Float32Array, b: Float32Array, dims: number, i: number, j = i): number {
  return cosine(a, b, dims, i * dims, j * dims);
}
