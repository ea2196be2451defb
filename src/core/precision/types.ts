/**
 * An embedding precision: what a stored vector is and how two are compared (ARCHITECTURE.md).
 * Each precision is one self-describing entry (float32.ts, int8.ts, binary.ts): its storage
 * type, NumPy dtype, scoring kind, calibration, bytes per vector and search kernel. Code that
 * needs to know "is this Hamming?" asks `scoringOf(id)` (index.ts), never the id's spelling.
 */
import type { Hit } from '../search/topk.ts';

export type PrecisionId = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';

/** How two vectors of a precision are compared: cosine (a dot product of unit vectors) or Hamming distance of bits. */
export type ScoringKind = 'cosine' | 'hamming';

/** NumPy dtype strings as `.npy` headers spell them. */
export type NpyDtype = '<f4' | '|i1' | '|u1';

/** The WASM SIMD kernel that scans a precision's rows (src/core/search/kernels.wat). */
export type KernelName = 'dot_f32' | 'dot_i8' | 'dot_u8' | 'hamming';

/** Per-dimension ranges from calibration embeddings (sentence-transformers' `ranges`). */
export interface Calibration {
  min: Float32Array;
  max: Float32Array;
}

/** Calibration as it is stored in IndexedDB and in an export manifest. */
export interface CalibrationJson {
  min: number[];
  max: number[];
}

export type Packed = Float32Array | Int8Array | Uint8Array;
export type StorageArray = Float32ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor;

/**
 * A query made ready for a precision's kernel: the bytes the kernel reads as its query, and the
 * affine map from the kernel's raw number (an f32 dot product, an i32 dot product of codes and
 * int16 weights, or an i32 bit distance) to the score: score = raw·scale + bias, higher is better.
 */
export interface KernelQuery {
  kernel: KernelName;
  bytes: Uint8Array;
  /** Whether the kernel writes f32 (dot_f32) or i32 (the others). */
  raw: 'f32' | 'i32';
  scale: number;
  bias: number;
}

export interface Precision {
  readonly id: PrecisionId;
  readonly label: string;
  readonly scoring: ScoringKind;
  /** The typed array a packed block is read as. */
  readonly storage: StorageArray;
  readonly numpyDtype: NpyDtype;
  /** The SIMD kernel that scans this precision's rows. */
  readonly kernel: KernelName;
  /** What one stored vector costs. */
  bytesPerVector(dims: number): number;
  /** Only the int8 family needs ranges; the others ignore calibration. */
  readonly needsCalibration: boolean;
  /** rows × dims float32 → the stored form (rows × bytesPerVector). */
  encode(rows: Float32Array, dims: number, cal?: Calibration): Packed;
  /** The query as this precision's kernel reads it (see KernelQuery). */
  kernelQuery(query: Float32Array, dims: number, cal?: Calibration): KernelQuery;
  /** Exact top-k of a float32 query against stored rows; higher score is better. */
  topK(query: Float32Array, stored: Packed, dims: number, k: number, cal?: Calibration): Hit[];
  /** The stored row as numbers for rescoring: float32 values, dequantized int8/uint8, or 0/1 bits. */
  rescoreRow(stored: Packed, dims: number, row: number, out: Float32Array, cal?: Calibration): void;
}

export class PrecisionError extends Error {
  override name = 'PrecisionError';
}

/** A packed array's bytes, without copying. */
export function bytesOf(p: ArrayBufferView): Uint8Array {
  return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
}
