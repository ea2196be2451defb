/**
 * Model output → the columns a file keeps, with the page's own transforms: Matryoshka truncation
 * (truncateDims), float32's L2 normalisation and each precision's `encode` — so a vector in a
 * Parquet file is bit for bit the one the page would store.
 */
import { precisionById, truncateDims } from '../precision/index.ts';
import type { Calibration, PrecisionId } from '../precision/types.ts';
import { CODE_PRECISIONS, type ChunkColumns, type CodePrecision } from './format.ts';

export function encodeVectors(
  vectors: Float32Array,
  modelDims: number,
  opts: { dims: number; precisions: PrecisionId[]; calibration?: Calibration },
): Pick<ChunkColumns, 'embedding' | 'codes'> {
  const truncated = truncateDims(vectors, modelDims, opts.dims);
  const embedding = precisionById('float32').encode(truncated, opts.dims) as Float32Array;
  const codes: ChunkColumns['codes'] = {};
  for (const p of opts.precisions) {
    if (p === 'float32') continue;
    if (!CODE_PRECISIONS.includes(p as CodePrecision)) throw new Error(`unknown precision ${p}`);
    codes[p as CodePrecision] = precisionById(p).encode(embedding, opts.dims, opts.calibration) as Int8Array | Uint8Array;
  }
  return { embedding, codes };
}
