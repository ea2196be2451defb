/**
 * int8 and uint8 as sentence-transformers' `quantize_embeddings` defines them: each dimension's
 * [min, max] from calibration embeddings is cut into 255 steps;
 *   uint8 = trunc((x − min) / step),  int8 = trunc((x − min) / step − 128).
 * One deviation: values outside the calibrated range are clamped (numpy's astype wraps them
 * around, turning a slightly-too-large value into a very small one).
 */
import { topKDotInt } from '../search/kernels.ts';
import { TopK } from '../search/topk.ts';
import { PrecisionError, type Calibration, type Precision } from './types.ts';

export function calibrate(sample: Float32Array, dims: number): Calibration {
  if (sample.length < dims) throw new PrecisionError('int8 calibration needs at least one embedding');
  const min = new Float32Array(dims).fill(Infinity);
  const max = new Float32Array(dims).fill(-Infinity);
  for (let at = 0; at < sample.length; at += dims) {
    for (let d = 0; d < dims; d++) {
      const v = sample[at + d];
      if (v < min[d]) min[d] = v;
      if (v > max[d]) max[d] = v;
    }
  }
  return { min, max };
}

function quantize(rows: Float32Array, dims: number, cal: Calibration | undefined, offset: number, out: Int8Array | Uint8Array) {
  if (!cal) throw new PrecisionError('int8/uint8 need calibration ranges (calibrate on a sample of embeddings first)');
  if (cal.min.length !== dims) throw new PrecisionError(`calibration has ${cal.min.length} dims, the vectors have ${dims}`);
  const lo = -offset;
  const hi = 255 - offset;
  for (let at = 0; at < rows.length; at += dims) {
    for (let d = 0; d < dims; d++) {
      const step = (cal.max[d] - cal.min[d]) / 255;
      // A dimension that never varied during calibration has no range: it maps to the lowest bucket.
      const q = step > 0 ? Math.trunc((rows[at + d] - cal.min[d]) / step - offset) : lo;
      out[at + d] = q < lo ? lo : q > hi ? hi : q;
    }
  }
  return out;
}

function makeIntPrecision(id: 'int8' | 'uint8'): Precision {
  const offset = id === 'int8' ? 128 : 0;
  const encode = (rows: Float32Array, dims: number, cal?: Calibration) =>
    quantize(rows, dims, cal, offset, id === 'int8' ? new Int8Array(rows.length) : new Uint8Array(rows.length));
  return {
    id,
    label: `${id} (calibrated, integer dot product)`,
    needsCalibration: true,
    bytesPerVector: (dims) => dims,
    encode,
    topK(query, stored, dims, k, cal) {
      const top = new TopK(k);
      topKDotInt(encode(query, dims, cal), stored as Int8Array | Uint8Array, dims, top);
      return top.result();
    },
    rescoreRow(stored, dims, row, out) {
      const s = stored as Int8Array | Uint8Array;
      for (let d = 0; d < dims; d++) out[d] = s[row * dims + d];
    },
  };
}

export const int8 = makeIntPrecision('int8');
export const uint8 = makeIntPrecision('uint8');
