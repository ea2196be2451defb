/** Every precision by id, plus the transform that runs before one: Matryoshka truncation. */
import { truncateRows } from '../util/vectors.ts';
import { binary, ubinary } from './binary.ts';
import { float32 } from './float32.ts';
import { calibrate, calibrationFromJson, calibrationToJson, int8, uint8 } from './int8.ts';
import { PrecisionError, type Precision, type PrecisionId, type ScoringKind } from './types.ts';

export const precisions: Record<PrecisionId, Precision> = { float32, int8, uint8, binary, ubinary };
export { calibrate, calibrationFromJson, calibrationToJson };
export type { Calibration, CalibrationJson, KernelQuery, NpyDtype, Packed, Precision, PrecisionId, ScoringKind } from './types.ts';

export function precisionById(id: string): Precision {
  const p = precisions[id as PrecisionId];
  if (!p) throw new PrecisionError(`unknown precision "${id}": use one of ${Object.keys(precisions).join(', ')}`);
  return p;
}

/** How a precision compares vectors: 'cosine' or 'hamming' (scores are −distance). */
export const scoringOf = (id: string): ScoringKind => precisionById(id).scoring;
export const isHamming = (id: string): boolean => scoringOf(id) === 'hamming';

/**
 * Matryoshka truncation: keep the first `to` dimensions of each row and L2-normalise again
 * (models trained with Matryoshka loss front-load information, so a prefix is a usable embedding).
 */
export function truncateDims(rows: Float32Array, dims: number, to: number): Float32Array {
  if (!Number.isInteger(to) || to < 1 || to > dims) throw new PrecisionError(`cannot truncate ${dims}-dim vectors to ${to} dims`);
  return truncateRows(rows, dims, to);
}
