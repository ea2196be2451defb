/**
 * int8 and uint8 as sentence-transformers' `quantize_embeddings` defines them: each dimension's
 * [min, max] from calibration embeddings is cut into 255 steps;
 *   uint8 = trunc((x − min) / step),  int8 = trunc((x − min) / step − 128).
 * One deviation: values outside the calibrated range are clamped (numpy's astype wraps them
 * around, turning a slightly-too-large value into a very small one).
 *
 * Search scores the float32 query against the dequantized rows, x ≈ min + (code + center)·step:
 * uint8 truncates toward zero on [0, 255], so a code's bucket middle is code + ½; int8 truncates
 * after subtracting 128, toward zero from both sides, so code + 128 is within half a step.
 * This
 * which is still one pass of multiply-adds over the int8 codes (weights q·step, plus a constant)
 * and estimates the cosine. A plain integer dot product of two asymmetric codes does not: every
 * code carries the +128 shift of its dimension's range, so rows with large codes win whatever
 * their direction. Measured on Moby-Dick with glove-100d (200 sentences as queries), overlap@10
 * with float32: dequantized 0.970, integer dot product 0.380.
 */
import { topKDotCodes } from '../search/kernels.ts';
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

function quantize(rows: Float32Array, dims: number, calibration: Calibration | undefined, offset: number, out: Int8Array | Uint8Array) {
  const cal = requireCalibration(calibration, dims);
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
  const center = id === 'int8' ? 128 : 0.5;
  const encode = (rows: Float32Array, dims: number, cal?: Calibration) =>
    quantize(rows, dims, cal, offset, id === 'int8' ? new Int8Array(rows.length) : new Uint8Array(rows.length));
  return {
    id,
    label: `${id} (calibrated, dequantized dot product)`,
    needsCalibration: true,
    bytesPerVector: (dims) => dims,
    encode,
    topK(query, stored, dims, k, cal) {
      const { weights, bias } = dequantizedQuery(query, dims, requireCalibration(cal, dims), center);
      const top = new TopK(k);
      topKDotCodes(weights, bias, stored as Int8Array | Uint8Array, dims, top);
      return top.result();
    },
    rescoreRow(stored, dims, row, out, cal) {
      const s = stored as Int8Array | Uint8Array;
      const c = requireCalibration(cal, dims);
      for (let d = 0; d < dims; d++) {
        const step = (c.max[d] - c.min[d]) / 255;
        out[d] = c.min[d] + (s[row * dims + d] + center) * step;
      }
    },
  };
}

/** Σ_d q_d·x_d with x_d = min_d + (code_d + center)·step_d, split into weights·codes + bias. */
function dequantizedQuery(query: Float32Array, dims: number, cal: Calibration, center: number) {
  let norm = 0;
  for (let d = 0; d < dims; d++) norm += query[d] * query[d];
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const weights = new Float32Array(dims);
  let bias = 0;
  for (let d = 0; d < dims; d++) {
    const q = query[d] * inv;
    const step = (cal.max[d] - cal.min[d]) / 255;
    weights[d] = q * step;
    bias += q * (cal.min[d] + center * step);
  }
  return { weights, bias };
}

function requireCalibration(cal: Calibration | undefined, dims: number): Calibration {
  if (!cal) throw new PrecisionError('int8/uint8 need calibration ranges (calibrate on a sample of embeddings first)');
  if (cal.min.length !== dims) throw new PrecisionError(`calibration has ${cal.min.length} dims, the vectors have ${dims}`);
  return cal;
}

export const int8 = makeIntPrecision('int8');
export const uint8 = makeIntPrecision('uint8');
