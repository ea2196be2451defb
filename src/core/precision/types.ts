/** An embedding precision: what a stored vector is and how two are compared (ARCHITECTURE.md). */
import type { Hit } from '../search/topk.ts';

export type PrecisionId = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';

/** Per-dimension ranges from calibration embeddings (sentence-transformers' `ranges`). */
export interface Calibration {
  min: Float32Array;
  max: Float32Array;
}

export type Packed = Float32Array | Int8Array | Uint8Array;

export interface Precision {
  readonly id: PrecisionId;
  readonly label: string;
  /** What one stored vector costs. */
  bytesPerVector(dims: number): number;
  /** Only the int8 family needs ranges; the others ignore calibration. */
  readonly needsCalibration: boolean;
  /** rows × dims float32 → the stored form (rows × bytesPerVector). */
  encode(rows: Float32Array, dims: number, cal?: Calibration): Packed;
  /** Exact top-k of a float32 query against stored rows; higher score is better. */
  topK(query: Float32Array, stored: Packed, dims: number, k: number, cal?: Calibration): Hit[];
  /** The stored row as numbers for rescoring: float32 values, dequantized int8/uint8, or 0/1 bits. */
  rescoreRow(stored: Packed, dims: number, row: number, out: Float32Array, cal?: Calibration): void;
}

export class PrecisionError extends Error {
  override name = 'PrecisionError';
}
