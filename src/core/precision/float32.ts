import { normalizeRows } from '../util/vectors.ts';
import { scanTopK } from '../search/scan.ts';
import { bytesOf, type Precision } from './types.ts';

/** Rows stored L2-normalised, so a dot product is the cosine. */
export const float32: Precision = {
  id: 'float32',
  label: 'float32 (exact cosine)',
  scoring: 'cosine',
  storage: Float32Array,
  numpyDtype: '<f4',
  kernel: 'dot_f32',
  needsCalibration: false,
  bytesPerVector: (dims) => dims * 4,
  encode: (rows, dims) => normalizeRows(rows, dims),
  kernelQuery: (query, dims) => ({
    kernel: 'dot_f32',
    bytes: bytesOf(normalizeRows(query.subarray(0, dims), dims)),
    raw: 'f32',
    scale: 1,
    bias: 0,
  }),
  topK: (query, stored, dims, k) => scanTopK(float32.kernelQuery(query, dims), bytesOf(stored), dims, k),
  rescoreRow(stored, dims, row, out) {
    out.set((stored as Float32Array).subarray(row * dims, (row + 1) * dims));
  },
};
