/**
 * The distilled table as an ordinary static model in the model2vec layout (config.json,
 * tokenizer.json with a word vocabulary over WORD_PATTERN — WordPiece with no continuation prefix,
 * for the subword fallback below —, model.safetensors with `embeddings` and `weights`), so
 * src/core/models/static.ts loads it on the word-scanner fast path.
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

export function distilledModelFiles(t: DistilledTable, opts: { precision: 'int8' | 'fp32'; config: Record<string, unknown>; subwordFallback?: boolean }): StaticModelFiles {
  const files = wordTableToStaticModel(
    { words: t.words, vectors: t.table, dims: t.dims },
    { precision: opts.precision, normalize: true, wordWeights: t.weights, extraConfig: { embedscope: opts.config } },
  );
  return opts.subwordFallback === false ? files : { ...files, 'tokenizer.json': withSubwordFallback(files['tokenizer.json']) };
}

/**
 * The WordLevel tokenizer.json as WordPiece with no continuation prefix: the same ids for every
 * word the table has, and for one it lacks its greedy longest-match pieces from the table (the
 * whole word unknown, so dropped, when a position matches nothing) instead of dropping it. Plain
 * tokenizer.json, so model2vec's readers and Tokenizers.js do the same; our WordScanner does it
 * on the fast path. use-lite-static (1.8 % of STS-B test words unknown): test 0.6668 → 0.6765,
 * dev 0.7416 → 0.7565 (scripts/distill-oov.ts).
 */
export function withSubwordFallback(tokenizerJson: string): string {
  const json = JSON.parse(tokenizerJson) as { model: { vocab: Record<string, number>; unk_token: string } };
  const { vocab, unk_token } = json.model;
  return JSON.stringify({ ...json, model: { type: 'WordPiece', unk_token, continuing_subword_prefix: '', max_input_chars_per_word: 100, vocab } });
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
