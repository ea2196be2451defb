/**
 * The search kernels in plain JS: the fallback where WebAssembly SIMD does not validate, and a
 * second implementation the WASM kernels are tested against. Each takes a KernelQuery (the query
 * as the precision prepared it, precision/types.ts) and pushes score = raw·scale + bias per row
 * into a TopK. dot_i8/dot_u8 and hamming compute the same integers as kernels.wat; dot_f32 sums
 * in float64 (the WASM kernel in float32), so its scores differ from the WASM ones in the last bits.
 */
import type { KernelQuery } from '../precision/types.ts';
import { TopK } from './topk.ts';

/** m(c): what dot_i8 reads an int8 code as (c − 1 below zero, saturating at −128; precision/int8.ts says why). */
export const int8Offset = (code: number) => (code < 0 ? Math.max(-128, code - 1) : code);

/** m(c) for each byte value (the int8 code's two's-complement byte), so the JS loop does no branching. */
const INT8_OFFSET = Int16Array.from({ length: 256 }, (_, b) => int8Offset(b < 128 ? b : b - 256));

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Scores rows [from, to) of `stored` (packed bytes, `dims` values a row) into `top` with row indices. */
export function scanJs(q: KernelQuery, stored: Uint8Array, dims: number, top: TopK, from = 0, to?: number): void {
  const { scale, bias } = q;
  if (q.kernel === 'dot_f32') {
    const query = new Float32Array(q.bytes.slice().buffer);
    // Copy when unaligned: a Float32Array view needs a 4-byte offset.
    const rows = stored.byteOffset % 4 === 0 ? new Float32Array(stored.buffer, stored.byteOffset, stored.byteLength / 4) : new Float32Array(stored.slice().buffer);
    const end = to ?? rows.length / dims;
    for (let r = from, at = from * dims; r < end; r++, at += dims) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += query[d] * rows[at + d];
      const score = s * scale + bias;
      if (score > top.threshold) top.push(r, score);
    }
  } else if (q.kernel === 'dot_i8' || q.kernel === 'dot_u8') {
    const weights = new Int16Array(q.bytes.slice().buffer);
    const signed = q.kernel === 'dot_i8';
    const codes = signed ? new Int8Array(stored.buffer, stored.byteOffset, stored.byteLength) : stored;
    const end = to ?? codes.length / dims;
    for (let r = from, at = from * dims; r < end; r++, at += dims) {
      let s = 0;
      // int8: m(code), so m + 128.5 is the code's bucket middle (precision/int8.ts), from a table by byte.
      if (signed) for (let d = 0; d < dims; d++) s += weights[d] * INT8_OFFSET[stored[at + d]];
      else for (let d = 0; d < dims; d++) s += weights[d] * codes[at + d];
      const score = s * scale + bias;
      if (score > top.threshold) top.push(r, score);
    }
  } else {
    const width = q.bytes.length;
    const end = to ?? stored.length / width;
    for (let r = from, at = from * width; r < end; r++, at += width) {
      let dist = 0;
      for (let b = 0; b < width; b++) dist += popcount32(q.bytes[b] ^ stored[at + b]);
      const score = dist * scale + bias;
      if (score > top.threshold) top.push(r, score);
    }
  }
}
