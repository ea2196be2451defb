/**
 * Exact scoring loops over packed vectors. Each writes into a TopK; callers pick the kernel
 * matching the precision. Plain JS, unrolled by 4: V8 turns these into tight scalar loops.
 */
import { TopK } from './topk.ts';

/** Dot products of a float32 query with every row (rows are L2-normalised, so this is cosine). */
export function topKDotFloat32(query: Float32Array, stored: Float32Array, dims: number, top: TopK): void {
  const n = stored.length / dims;
  for (let r = 0, at = 0; r < n; r++, at += dims) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let d = 0;
    for (; d + 4 <= dims; d += 4) {
      s0 += query[d] * stored[at + d];
      s1 += query[d + 1] * stored[at + d + 1];
      s2 += query[d + 2] * stored[at + d + 2];
      s3 += query[d + 3] * stored[at + d + 3];
    }
    for (; d < dims; d++) s0 += query[d] * stored[at + d];
    const score = s0 + s1 + s2 + s3;
    if (score > top.threshold) top.push(r, score);
  }
}

/**
 * Dot products of float weights with int8/uint8 codes, plus a constant: the int8 precisions
 * score Σ w_d·code_d + bias, a dequantized dot product (see precision/int8.ts). The same loop as
 * topKDotFloat32 on purpose: one search worker runs both, and a shared function would see
 * Float32Array and Int8Array rows and lose V8's single-type fast path in its hottest loop.
 */
export function topKDotCodes(weights: Float32Array, bias: number, stored: Int8Array | Uint8Array, dims: number, top: TopK): void {
  const n = stored.length / dims;
  for (let r = 0, at = 0; r < n; r++, at += dims) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let d = 0;
    for (; d + 4 <= dims; d += 4) {
      s0 += weights[d] * stored[at + d];
      s1 += weights[d + 1] * stored[at + d + 1];
      s2 += weights[d + 2] * stored[at + d + 2];
      s3 += weights[d + 3] * stored[at + d + 3];
    }
    for (; d < dims; d++) s0 += weights[d] * stored[at + d];
    const score = s0 + s1 + s2 + s3 + bias;
    if (score > top.threshold) top.push(r, score);
  }
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Hamming distance of packed bit rows, scored as −distance so "higher is better" holds for
 * every precision. Reads 32-bit words when a row is a whole number of words (any dims that is
 * a multiple of 32), else bytes.
 */
export function topKHamming(query: Uint8Array, stored: Uint8Array, bytesPerRow: number, top: TopK): void {
  const n = stored.length / bytesPerRow;
  if (bytesPerRow % 4 === 0 && stored.byteOffset % 4 === 0 && query.byteOffset % 4 === 0) {
    const words = bytesPerRow / 4;
    // Int32 views: XOR and popcount only need the bits, and V8 keeps int32 values unboxed.
    const q = new Int32Array(query.buffer, query.byteOffset, words);
    const s = new Int32Array(stored.buffer, stored.byteOffset, stored.length / 4);
    for (let r = 0, at = 0; r < n; r++, at += words) {
      let dist = 0;
      for (let w = 0; w < words; w++) dist += popcount32(q[w] ^ s[at + w]);
      const score = -dist;
      if (score > top.threshold) top.push(r, score);
    }
    return;
  }
  for (let r = 0, at = 0; r < n; r++, at += bytesPerRow) {
    let dist = 0;
    for (let b = 0; b < bytesPerRow; b++) dist += popcount32(query[b] ^ stored[at + b]);
    const score = -dist;
    if (score > top.threshold) top.push(r, score);
  }
}
