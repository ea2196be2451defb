/**
 * Tiny models the tests write themselves, so the suite needs no files from outside the repository.
 * Values are exactly representable in f16 and int8, so expected vectors can be computed by hand.
 */
import { writeSafetensors, type Dtype } from '../../src/core/safetensors.ts';
import { DataType, encodeModel, rawOf } from '../../src/core/onnx/proto.ts';

export const TINY_VOCAB = ['[UNK]', 'apple', 'banana', 'cherry', 'dog'];
/** Row i is the vector of token i. */
export const TINY_TABLE = [
  [0, 0, 0],
  [1, 0, 0],
  [0, 2, 0],
  [0, 0, 4],
  [-1, 1, 2],
];

export function wordLevelTokenizer(vocab: string[] = TINY_VOCAB, opts: { regex?: string; lowercase?: boolean } = {}) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: opts.lowercase === false ? null : { type: 'Lowercase' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: opts.regex ?? '[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]' }, behavior: 'Removed', invert: true },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab.map((w, i) => [w, i])), unk_token: '[UNK]' },
  };
}

/** The same vocabulary as a BERT-style WordPiece tokenizer: this shape takes the Tokenizers.js path. */
export function wordPieceTokenizer(vocab: string[] = TINY_VOCAB) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) },
  };
}

export function float32ToFloat16(x: number): number {
  // Enough for the exactly representable values above (normal numbers, zero).
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const exp = Math.floor(Math.log2(a));
  const frac = Math.round((a / 2 ** exp - 1) * 1024);
  return sign | ((exp + 15) << 10) | frac;
}

export interface TinyModelOptions {
  dtype?: 'F32' | 'F16' | 'I8';
  layout?: 'model2vec' | 'sentence-transformers';
  weights?: number[];
  mapping?: number[];
  table?: number[][];
  tokenizer?: object;
  config?: object;
}

export function tinyModelFiles(opts: TinyModelOptions = {}): Record<string, Uint8Array> {
  const table = opts.table ?? TINY_TABLE;
  const dims = table[0].length;
  const flat = table.flat();
  const dtype: Dtype = opts.dtype ?? 'F32';
  const data =
    dtype === 'F32' ? new Float32Array(flat) : dtype === 'F16' ? new Uint16Array(flat.map(float32ToFloat16)) : new Int8Array(flat);
  const tensors: Parameters<typeof writeSafetensors>[0] = {
    [opts.layout === 'sentence-transformers' ? 'embedding.weight' : 'embeddings']: { dtype, shape: [table.length, dims], data },
  };
  if (opts.weights) tensors.weights = { dtype: 'F32', shape: [opts.weights.length], data: new Float32Array(opts.weights) };
  if (opts.mapping) tensors.mapping = { dtype: 'I32', shape: [opts.mapping.length], data: new Int32Array(opts.mapping) };
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array> = {
    'model.safetensors': writeSafetensors(tensors),
    'tokenizer.json': enc.encode(JSON.stringify(opts.tokenizer ?? wordLevelTokenizer())),
  };
  if (opts.layout !== 'sentence-transformers') {
    files['config.json'] = enc.encode(JSON.stringify(opts.config ?? { model_type: 'model2vec', hidden_dim: dims, normalize: true }));
  }
  return files;
}

/** The files as a ModelFiles source (what a drop in the page gives the loader). */
export function memoryFiles(files: Record<string, Uint8Array>) {
  return {
    label: 'test files',
    async read(name: string) {
      const f = files[name];
      return f ? (f.slice().buffer as ArrayBuffer) : null;
    },
  };
}

/**
 * A tiny ONNX "encoder" that does not pool in its graph (as Xenova/all-MiniLM-L6-v2): token id → a
 * row of `table`, output `last_hidden_state` [batch, length, 3]. Row 0 ([UNK], also the padding id)
 * is large, so any padding that leaks into a mean shows.
 */
export const LOOKUP_TABLE = [9, 9, 9, 1, 0, 0, 0, 2, 0, 0, 0, 4, -1, 1, 2];
export function lookupEncoderOnnx(opts: { tokenTypeIds?: boolean } = {}): Uint8Array {
  // With tokenTypeIds, a BERT-style third input: a segment-type row is added to each token's row.
  // Segment 0's row is zeros and segment 1's is large, so feeding anything but zeros shows.
  const types = opts.tokenTypeIds === true;
  return encodeModel({
    graphName: 'lookup', producer: 'test', opsets: [{ domain: '', version: 17 }],
    inputs: [
      { name: 'input_ids', elemType: DataType.INT64, shape: ['b', 'l'] },
      { name: 'attention_mask', elemType: DataType.INT64, shape: ['b', 'l'] },
      ...(types ? [{ name: 'token_type_ids', elemType: DataType.INT64, shape: ['b', 'l'] }] : []),
    ],
    outputs: [{ name: 'last_hidden_state', elemType: DataType.FLOAT, shape: ['b', 'l', 3] }],
    initializers: [
      { name: 'table', dataType: DataType.FLOAT, dims: [5, 3], raw: rawOf(new Float32Array(LOOKUP_TABLE)) },
      ...(types ? [{ name: 'type_table', dataType: DataType.FLOAT, dims: [2, 3], raw: rawOf(new Float32Array([0, 0, 0, 100, 100, 100])) }] : []),
    ],
    nodes: types
      ? [
          { op: 'Gather', inputs: ['table', 'input_ids'], outputs: ['tokens'], attributes: { axis: 0 } },
          { op: 'Gather', inputs: ['type_table', 'token_type_ids'], outputs: ['segments'], attributes: { axis: 0 } },
          { op: 'Add', inputs: ['tokens', 'segments'], outputs: ['last_hidden_state'] },
        ]
      : [{ op: 'Gather', inputs: ['table', 'input_ids'], outputs: ['last_hidden_state'], attributes: { axis: 0 } }],
  });
}
