/**
 * binary and ubinary as sentence-transformers defines them: threshold at 0 (x > 0 → 1), 8 dims
 * per byte, first dimension in the most significant bit (numpy.packbits); ubinary keeps the
 * bytes as uint8, binary subtracts 128 and stores int8. Compared by Hamming distance (the −128
 * flips the top bit of both sides, so XOR and popcount are the same for either form).
 * Rows whose dims are not a multiple of 8 are padded with zero bits per row.
 */
import { scanTopK } from '../search/scan.ts';
import { bytesOf, type Precision } from './types.ts';

export const bytesPerRow = (dims: number) => Math.ceil(dims / 8);

function pack(rows: Float32Array, dims: number, signed: boolean): Uint8Array | Int8Array {
  const width = bytesPerRow(dims);
  const n = rows.length / dims;
  const out = new Uint8Array(n * width);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dims; d++) {
      if (rows[r * dims + d] > 0) out[r * width + (d >> 3)] |= 0x80 >> (d & 7);
    }
  }
  if (!signed) return out;
  const signedOut = new Int8Array(out.length);
  for (let i = 0; i < out.length; i++) signedOut[i] = out[i] - 128;
  return signedOut;
}

function makeBinaryPrecision(id: 'binary' | 'ubinary'): Precision {
  const signed = id === 'binary';
  const self: Precision = {
    id,
    label: `${id} (1 bit a dimension, Hamming)`,
    scoring: 'hamming',
    storage: signed ? Int8Array : Uint8Array,
    numpyDtype: signed ? '|i1' : '|u1',
    kernel: 'hamming',
    needsCalibration: false,
    bytesPerVector: bytesPerRow,
    encode: (rows, dims) => pack(rows, dims, signed),
    // Scored −distance, so "higher is better" holds for every precision.
    kernelQuery: (query, dims) => ({ kernel: 'hamming', bytes: bytesOf(pack(query.subarray(0, dims), dims, signed)), raw: 'i32', scale: -1, bias: 0 }),
    topK: (query, stored, dims, k) => scanTopK(self.kernelQuery(query, dims), bytesOf(stored), dims, k),
    rescoreRow(stored, dims, row, out) {
      // The unpacked bits, as numpy.unpackbits gives them for sentence-transformers' rescoring.
      const bytes = bytesOf(stored);
      const at = row * bytesPerRow(dims);
      const flip = signed ? 0x80 : 0;
      for (let d = 0; d < dims; d++) out[d] = ((bytes[at + (d >> 3)] ^ flip) & (0x80 >> (d & 7))) !== 0 ? 1 : 0;
    },
  };
  return self;
}

export const binary = makeBinaryPrecision('binary');
export const ubinary = makeBinaryPrecision('ubinary');
