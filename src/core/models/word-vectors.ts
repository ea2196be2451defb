/**
 * Word-vector tables (GloVe, word2vec) as static models. They are written in the model2vec
 * layout — a WordLevel tokenizer.json, `embeddings` and a per-word `weights` tensor — so the
 * static model kind loads them with no code of its own, and any model2vec reader can too.
 */
import { writeSafetensors } from '../safetensors.ts';
import { WORD_PATTERN } from '../word-scanner.ts';

export { WORD_PATTERN };


export interface WordTable {
  /** Most frequent first: the build keeps a prefix and SIF weights use the rank. */
  words: string[];
  /** words.length × dims. */
  vectors: Float32Array;
  dims: number;
}

export interface StaticModelFiles {
  'config.json': string;
  'tokenizer.json': string;
  'model.safetensors': Uint8Array;
}

export interface WordTableOptions {
  /** Per-word multipliers baked into `weights` (e.g. SIF); 1 when absent. */
  wordWeights?: Float32Array;
  /** Store rows as int8 with a per-row scale (4× smaller), or as f32. */
  precision: 'int8' | 'fp32';
  normalize: boolean;
  extraConfig?: Record<string, unknown>;
}

export function wordTableToStaticModel(table: WordTable, opts: WordTableOptions): StaticModelFiles {
  const { words, vectors, dims } = table;
  const vocab: Record<string, number> = { '[UNK]': 0 };
  words.forEach((w, i) => (vocab[w] = i + 1));
  const rows = words.length + 1; // row 0 is [UNK]; its ids are dropped before pooling
  const weights = new Float32Array(rows);
  let embeddings: Float32Array | Int8Array;
  if (opts.precision === 'int8') {
    // Symmetric per-row int8: q = round(v / s), s = max|v| / 127, and s (× the word weight)
    // goes into `weights`, which model2vec multiplies into each looked-up row.
    embeddings = new Int8Array(rows * dims);
    for (let r = 1; r < rows; r++) {
      const src = (r - 1) * dims;
      let maxAbs = 0;
      for (let d = 0; d < dims; d++) maxAbs = Math.max(maxAbs, Math.abs(vectors[src + d]));
      const scale = maxAbs / 127 || 1;
      for (let d = 0; d < dims; d++) embeddings[r * dims + d] = Math.round(vectors[src + d] / scale);
      weights[r] = scale * (opts.wordWeights?.[r - 1] ?? 1);
    }
  } else {
    embeddings = new Float32Array(rows * dims);
    embeddings.set(vectors.subarray(0, words.length * dims), dims);
    for (let r = 1; r < rows; r++) weights[r] = opts.wordWeights?.[r - 1] ?? 1;
  }
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: WORD_PATTERN }, behavior: 'Removed', invert: true },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  const config = {
    model_type: 'model2vec',
    architectures: ['StaticModel'],
    hidden_dim: dims,
    normalize: opts.normalize,
    ...opts.extraConfig,
  };
  return {
    'config.json': JSON.stringify(config, null, 2),
    'tokenizer.json': JSON.stringify(tokenizer),
    'model.safetensors': writeSafetensors({
      embeddings: { dtype: opts.precision === 'int8' ? 'I8' : 'F32', shape: [rows, dims], data: embeddings },
      weights: { dtype: 'F32', shape: [rows], data: weights },
    }),
  };
}

/**
 * Smooth inverse frequency (Arora et al. 2017): weight a / (a + p(w)). The GloVe vocabulary is
 * ordered by frequency, so p(w) comes from Zipf's law on the rank: p(r) = 1 / ((r + 1) · H_n).
 */
export function sifWeights(n: number, a: number): Float32Array {
  let harmonic = 0;
  for (let r = 1; r <= n; r++) harmonic += 1 / r;
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) out[r] = a / (a + 1 / ((r + 1) * harmonic));
  return out;
}
