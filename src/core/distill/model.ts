/**
 * The distilled table as an ordinary static model in the model2vec layout (config.json,
 * tokenizer.json with a WordLevel vocabulary over WORD_PATTERN, model.safetensors with
 * `embeddings` and `weights`), so src/core/models/static.ts loads it on the word-scanner fast path.
 */
import { wordTableToStaticModel, type StaticModelFiles } from '../models/word-vectors.ts';

export interface DistilledTable {
  words: string[];
  /** words.length × dims. */
  table: Float32Array;
  dims: number;
  /** Per-word weights (SIF, learned, or both), multiplied into each looked-up row. */
  weights: Float32Array;
}

export function distilledModelFiles(t: DistilledTable, opts: { precision: 'int8' | 'fp32'; config: Record<string, unknown> }): StaticModelFiles {
  return wordTableToStaticModel(
    { words: t.words, vectors: t.table, dims: t.dims },
    { precision: opts.precision, normalize: true, wordWeights: t.weights, extraConfig: { embedscope: opts.config } },
  );
}

/**
 * Sentence vectors of the table as the static loader pools them (unknown words left out, weighted
 * mean, L2): what the distillation scores itself with, before any file is written.
 */
export function poolSentences(t: DistilledTable, corpus: { offsets: Int32Array; ids: Int32Array }): Float32Array {
  const { dims, table, weights } = t;
  const n = corpus.offsets.length - 1;
  const out = new Float32Array(n * dims);
  const acc = new Float64Array(dims);
  for (let s = 0; s < n; s++) {
    acc.fill(0);
    for (let k = corpus.offsets[s]; k < corpus.offsets[s + 1]; k++) {
      const id = corpus.ids[k];
      const w = weights[id];
      for (let d = 0; d < dims; d++) acc[d] += w * table[id * dims + d];
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += acc[d] * acc[d];
    const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let d = 0; d < dims; d++) out[s * dims + d] = acc[d] * inv;
  }
  return out;
}
