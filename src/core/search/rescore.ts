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

/** One worker's share of a rescored scan: its top candidates and, with rescoring, their new scores (same order). */
export interface RescoredPart {
  hits: Hit[];
  rescored?: number[];
}

/**
 * The best k by rescored score among the top `candidates` of all parts by scan score — what one
 * worker gets rescoring the global top `candidates` itself. Each part holds its share's top
 * `candidates` (ties to the lower row, a total order), and a row of the global top `candidates`
 * has fewer than `candidates` rows above it anywhere, so fewer in its own share: it is in its
 * part. Taking the top `candidates` of the union in the same order is therefore exactly the global
 * top `candidates` (rows a share ranked but the union does not keep are dropped, never rescored
 * into the result), and a row's rescored score is the same kernel on the same bytes wherever it
 * was computed.
 */
export function mergeRescored(parts: RescoredPart[], candidates: number, k: number): Hit[] {
  const first = new TopK(candidates);
  const rescoredOf = new Map<number, number>();
  for (const { hits, rescored } of parts) {
    if (!rescored || rescored.length !== hits.length) throw new Error(`a scan part answered ${rescored?.length ?? 'no'} rescored scores for ${hits.length} candidates`);
    hits.forEach((h, i) => {
      first.push(h.index, h.score);
      rescoredOf.set(h.index, rescored[i]);
    });
  }
  const top = new TopK(k);
  for (const h of first.result()) top.push(h.index, rescoredOf.get(h.index)!);
  return top.result();
}
