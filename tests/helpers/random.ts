/** Deterministic pseudo-random rows in [−1, 1) from a small LCG, so a failing test reproduces. */
export function pseudoRandomRows(n: number, dims: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n * dims);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = s / 2 ** 30 - 1;
  }
  return out;
}
