/**
 * Rescoring (sentence-transformers' semantic_search_usearch): fetch k × multiplier candidates
 * with a cheap precision (binary, int8), then score only those with the float32 query against a
 * richer form of the same rows — the stored float32 vectors, the dequantized int8 rows, or the
 * unpacked bits as the quantization blog does — and keep the best k.
 */
import type { Calibration, Packed, Precision } from '../precision/types.ts';
import { dot, normalizeRows } from '../util/vectors.ts';
import { TopK, type Hit } from './topk.ts';

export interface RescoreSearch {
  query: Float32Array;
  dims: number;
  k: number;
  /** Candidates fetched = k × multiplier (1 = no rescoring). */
  multiplier: number;
  candidates: { precision: Precision; stored: Packed; calibration?: Calibration };
  rescoreWith: { precision: Precision; stored: Packed; calibration?: Calibration };
}

export function searchWithRescore(s: RescoreSearch): Hit[] {
  const { query, dims, k, multiplier } = s;
  const first = s.candidates.precision.topK(query, s.candidates.stored, dims, k * Math.max(1, multiplier), s.candidates.calibration);
  return multiplier <= 1 ? first.slice(0, k) : rescore(first, query, dims, k, s.rescoreWith);
}

/** Scores candidates with the float32 query against `rescoreWith`'s rows; keeps the best k. */
export function rescore(candidates: Hit[], query: Float32Array, dims: number, k: number, rescoreWith: RescoreSearch['rescoreWith']): Hit[] {
  const unit = normalizeRows(query.subarray(0, dims), dims);
  const row = new Float32Array(dims);
  const top = new TopK(k);
  for (const hit of candidates) {
    rescoreWith.precision.rescoreRow(rescoreWith.stored, dims, hit.index, row, rescoreWith.calibration);
    top.push(hit.index, dot(unit, row, dims));
  }
  return top.result();
}
