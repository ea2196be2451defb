/**
 * int8 and uint8 as sentence-transformers' `quantize_embeddings` defines them: each dimension's
 * [min, max] from calibration embeddings is cut into 255 steps;
 *   uint8 = trunc((x − min) / step),  int8 = trunc((x − min) / step − 128).
 * One deviation: values outside the calibrated range are clamped (numpy's astype wraps them
 * around, turning a slightly-too-large value into a very small one).
 *
 * Search scores the float32 query against the rows dequantized to their bucket's middle:
 * uint8 truncates toward zero on [0, 255], so x ≈ min + (code + ½)·step; int8 truncates after
 * subtracting 128, toward zero from both sides, so a code c ≥ 0 stands for [c, c + 1) and c < 0
 * for (c − 1, c]: x ≈ min + (m(c) + 128.5)·step with m(c) = c − 1 for c < 0 (−128 stays −128:
 * it holds only the calibrated minimum and values clamped there), else c. (Code 0 stands for
 * (−1, 1); ½ a step off its middle made no difference below.)
 * Σ_d q_d·x_d = Σ_d (q_d·step_d)·m(code_d) + Σ_d q_d·(min_d + center·step_d): the per-dimension
 * scale and offset fold into the query (weights, plus one constant), and the scan is one pass
 * over the codes (kernels.wat dot_i8: m is two i8x16 ops, lt_s and add_sat_s; dot_u8 reads the
 * codes as they are). The weights are rounded to int16 so the kernel is i32x4.dot_i16x8_s
 * (pmaddwd) over the codes widened to i16, exact in i32; the largest weight gets the most bits
 * that cannot overflow an i32 over a row (32,767 up to 512 dims for int8, 257 for uint8).
 *
 * Measured (Moby-Dick split into 9,751 sentences, glove-100d, calibrated on the first 1,024,
 * 200 evenly spaced sentences as queries), overlap@10 with float32: int8 0.9715 with bucket
 * middles (0.9665 with code + 128 for every code, as before; 0.9715 also with code 0's exact
 * middle, which costs four i16 ops per 8 codes instead of two i8 ops per 16), uint8 0.974; the
 * int16 weights give the same overlap as float weights. Speed (Node 20, AMD EPYC AVX2, 100k × 512, median of 7):
 * see src/core/search/scan.ts. A plain integer dot product of two asymmetric codes does not
 * work: every code carries the +128 shift of its dimension's range, so rows with large codes win
 * whatever their direction (overlap@10 0.380).
 */
import { int8Offset } from '../search/kernels.ts';
import { scanTopK } from '../search/scan.ts';
import { normalizeRows } from '../util/vectors.ts';
import { bytesOf, PrecisionError, type Calibration, type CalibrationJson, type KernelQuery, type Precision } from './types.ts';

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
  const signed = id === 'int8';
  const offset = signed ? 128 : 0;
  const encode = (rows: Float32Array, dims: number, cal?: Calibration) =>
    quantize(rows, dims, cal, offset, signed ? new Int8Array(rows.length) : new Uint8Array(rows.length));
  const self: Precision = {
    id,
    label: `${id} (calibrated, dequantized dot product)`,
    scoring: 'cosine',
    storage: signed ? Int8Array : Uint8Array,
    numpyDtype: signed ? '|i1' : '|u1',
    kernel: signed ? 'dot_i8' : 'dot_u8',
    needsCalibration: true,
    bytesPerVector: (dims) => dims,
    encode,
    kernelQuery: (query, dims, cal) => dequantizedQuery(query, dims, requireCalibration(cal, dims), signed),
    topK: (query, stored, dims, k, cal) => scanTopK(self.kernelQuery(query, dims, cal), bytesOf(stored), dims, k),
    rescoreRow(stored, dims, row, out, cal) {
      const s = stored as Int8Array | Uint8Array;
      const c = requireCalibration(cal, dims);
      for (let d = 0; d < dims; d++) out[d] = dequantize(s[row * dims + d], c.min[d], c.max[d], signed);
    },
  };
  return self;
}

/** A code's bucket middle (see the comment at the top). */
export function dequantize(code: number, min: number, max: number, signed: boolean): number {
  const step = (max - min) / 255;
  return min + (signed ? int8Offset(code) + 128.5 : code + 0.5) * step;
}

/**
 * Σ_d q_d·x_d with x_d a code's bucket middle, as raw·scale + bias with raw = Σ_d w_d·c_d in
 * integers (int8 c = m(code), uint8 c = code). `float` holds the weights before rounding to int16.
 */
export function dequantizedQuery(query: Float32Array, dims: number, cal: Calibration, signed: boolean): KernelQuery & { float: Float32Array } {
  const q = normalizeRows(query.subarray(0, dims), dims);
  const float = new Float32Array(dims);
  let bias = 0;
  let largest = 0;
  for (let d = 0; d < dims; d++) {
    const step = (cal.max[d] - cal.min[d]) / 255;
    float[d] = q[d] * step;
    bias += q[d] * (cal.min[d] + (signed ? 128.5 : 0.5) * step);
    largest = Math.max(largest, Math.abs(float[d]));
  }
  // |Σ w·c| ≤ dims · max|c| · max|w| must stay below 2^31.
  const limit = Math.min(32767, Math.floor((2 ** 31 - 1) / ((signed ? 128 : 255) * dims)));
  const toInt = largest > 0 ? limit / largest : 0;
  const weights = new Int16Array(dims);
  for (let d = 0; d < dims; d++) weights[d] = Math.round(float[d] * toInt);
  return { kernel: signed ? 'dot_i8' : 'dot_u8', bytes: bytesOf(weights), raw: 'i32', scale: toInt > 0 ? 1 / toInt : 0, bias, float };
}

/** Calibration as IndexedDB and export manifests keep it (plain arrays), and back. */
export const calibrationToJson = (cal: Calibration): CalibrationJson => ({ min: Array.from(cal.min), max: Array.from(cal.max) });
export function calibrationFromJson(json: CalibrationJson): Calibration;
export function calibrationFromJson(json: CalibrationJson | null | undefined): Calibration | undefined;
export function calibrationFromJson(json: CalibrationJson | null | undefined): Calibration | undefined {
  return json ? { min: Float32Array.from(json.min), max: Float32Array.from(json.max) } : undefined;
}

function requireCalibration(cal: Calibration | undefined, dims: number): Calibration {
  if (!cal) throw new PrecisionError('int8/uint8 need calibration ranges (calibrate on a sample of embeddings first)');
  if (cal.min.length !== dims) throw new PrecisionError(`calibration has ${cal.min.length} dims, the vectors have ${dims}`);
  return cal;
}

export const int8 = makeIntPrecision('int8');
export const uint8 = makeIntPrecision('uint8');
