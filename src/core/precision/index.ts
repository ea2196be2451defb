/** Every precision by id, plus the two transforms that run before one: Matryoshka truncation. */
import { binary, ubinary } from './binary.ts';
import { float32 } from './float32.ts';
import { calibrate, int8, uint8 } from './int8.ts';
import { PrecisionError, type Precision, type PrecisionId } from './types.ts';

export const precisions: Record<PrecisionId, Precision> = { float32, int8, uint8, binary, ubinary };
export { calibrate };
export type { Calibration, Packed, Precision, PrecisionId } from './types.ts';

export function precisionById(id: string): Precision {
  const p = precisions[id as PrecisionId];
  if (!p) throw new PrecisionError(`unknown precision "${id}": use one of ${Object.keys(precisions).join(', ')}`);
  return p;
}

/**
 * Matryoshka truncation: keep the first `to` dimensions of each row and L2-normalise again
 * (models trained with Matryoshka loss front-load information, so a prefix is a usable embedding).
 */
export function truncateDims(rows: Float32Array, dims: number, to: number): Float32Array {
  if (!Number.isInteger(to) || to < 1 || to > dims) throw new PrecisionError(`cannot truncate ${dims}-dim vectors to ${to} dims`);
  if (to === dims) return rows;
  const n = rows.length / dims;
  const out = new Float32Array(n * to);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let d = 0; d < to; d++) norm += rows[r * dims + d] ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < to; d++) out[r * to + d] = rows[r * dims + d] * inv;
  }
  return out;
}
