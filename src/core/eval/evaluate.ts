/**
 * Quality of a model × precision on labelled data, with the same precision and search code the
 * store uses: STS (Spearman of similarity vs gold score) and BEIR retrieval (NDCG@10, recall@100).
 * The model enters only as `embed`, so the CLI (Node) and the page can both call these.
 */
import { calibrate, isHamming, precisionById, truncateDims, type Calibration, type PrecisionId } from '../precision/index.ts';
import { searchWithRescore } from '../search/rescore.ts';
import { rowCosine, spearman } from './metrics.ts';
import { ndcgAtK, recallAtK, type BeirData } from './retrieval.ts';
import type { StsPair } from './sts.ts';

export type Embed = (texts: string[]) => Promise<{ vectors: Float32Array; dims: number }>;

export interface PrecisionOptions {
  precision: PrecisionId;
  /** Matryoshka: keep the first `dims` dimensions. */
  dims?: number;
  /** int8/uint8 ranges; default: computed from the data being encoded (the corpus). */
  calibration?: Calibration;
}

/** Vectors as the precision sees them (dequantized int8, ±1 bits), for pairwise similarity. */
function asPrecision(rows: Float32Array, dims: number, opts: PrecisionOptions, cal: Calibration | undefined): Float32Array {
  const p = precisionById(opts.precision);
  const packed = p.encode(rows, dims, cal);
  const n = rows.length / dims;
  const out = new Float32Array(rows.length);
  const row = new Float32Array(dims);
  for (let r = 0; r < n; r++) {
    p.rescoreRow(packed, dims, r, row, cal);
    // Bits become ±1 so that cosine equals 1 − 2·Hamming/dims.
    if (isHamming(opts.precision)) for (let d = 0; d < dims; d++) row[d] = row[d] * 2 - 1;
    out.set(row, r * dims);
  }
  return out;
}

export async function evaluateSts(pairs: StsPair[], embed: Embed, opts: PrecisionOptions): Promise<{ spearman: number; n: number }> {
  const a = await embed(pairs.map((p) => p.sentence1));
  const b = await embed(pairs.map((p) => p.sentence2));
  const dims = opts.dims ?? a.dims;
  const ra = truncateDims(a.vectors, a.dims, dims);
  const rb = truncateDims(b.vectors, b.dims, dims);
  const cal = opts.calibration ?? (precisionById(opts.precision).needsCalibration ? calibrate(concat(ra, rb), dims) : undefined);
  const qa = asPrecision(ra, dims, opts, cal);
  const qb = asPrecision(rb, dims, opts, cal);
  const sims = pairs.map((_, i) => rowCosine(qa, qb, dims, i));
  return { spearman: spearman(sims, pairs.map((p) => p.score)), n: pairs.length };
}

export async function evaluateRetrieval(
  data: BeirData,
  embed: Embed,
  opts: PrecisionOptions & { rescore?: number },
): Promise<{ ndcg10: number; recall100: number; n: number }> {
  const corpus = await embed(data.corpus.map((d) => d.text));
  const queries = await embed(data.queries.map((q) => q.text));
  const dims = opts.dims ?? corpus.dims;
  const docs = truncateDims(corpus.vectors, corpus.dims, dims);
  const qs = truncateDims(queries.vectors, queries.dims, dims);
  const p = precisionById(opts.precision);
  const cal = opts.calibration ?? (p.needsCalibration ? calibrate(docs, dims) : undefined);
  const stored = p.encode(docs, dims, cal);
  const float32 = precisionById('float32');
  const rich = opts.rescore && opts.rescore > 1 ? float32.encode(docs, dims) : null;
  let ndcg = 0;
  let recall = 0;
  for (let i = 0; i < data.queries.length; i++) {
    const query = qs.subarray(i * dims, (i + 1) * dims);
    const hits = rich
      ? searchWithRescore({
          query, dims, k: 100, multiplier: opts.rescore!,
          candidates: { precision: p, stored, calibration: cal },
          rescoreWith: { precision: float32, stored: rich },
        })
      : p.topK(query, stored, dims, 100, cal);
    const ranked = hits.map((h) => data.corpus[h.index].id);
    const relevant = data.qrels.get(data.queries[i].id)!;
    ndcg += ndcgAtK(ranked, relevant, 10);
    recall += recallAtK(ranked, relevant, 100);
  }
  const n = data.queries.length;
  return { ndcg10: ndcg / n, recall100: recall / n, n };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
