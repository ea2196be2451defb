import { topKDotFloat32 } from '../search/kernels.ts';
import { TopK } from '../search/topk.ts';
import type { Precision } from './types.ts';

/** Rows stored L2-normalised, so a dot product is the cosine. */
export const float32: Precision = {
  id: 'float32',
  label: 'float32 (exact cosine)',
  needsCalibration: false,
  bytesPerVector: (dims) => dims * 4,
  encode(rows, dims) {
    const out = new Float32Array(rows.length);
    for (let at = 0; at < rows.length; at += dims) {
      let norm = 0;
      for (let d = 0; d < dims; d++) norm += rows[at + d] ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dims; d++) out[at + d] = rows[at + d] * inv;
    }
    return out;
  },
  topK(query, stored, dims, k) {
    const top = new TopK(k);
    topKDotFloat32(float32.encode(query, dims) as Float32Array, stored as Float32Array, dims, top);
    return top.result();
  },
  rescoreRow(stored, dims, row, out) {
    out.set((stored as Float32Array).subarray(row * dims, (row + 1) * dims));
  },
};
