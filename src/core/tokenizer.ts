/**
 * Tokenizers from `tokenizer.json`.
 *
 * Every tokenizer.json loads through @huggingface/tokenizers (Tokenizers.js, the tokenizer library
 * transformers.js itself wraps: ~37 kB minified and no dependencies, where importing
 * @huggingface/transformers for its PreTrainedTokenizer pulled in the whole library and its ONNX
 * runtime import; scripts/tokenizer-speed.ts checks both give the same ids and measures them). One
 * shape gets fast paths of our own: a WordLevel vocabulary whose pre-tokenizer is a single regex
 * (`Split`, invert: true) after an optional `Lowercase` — the shape of word-vector tables like
 * glove-100d, whose whole cost is tokenizing. Measured on Moby-Dick sentences (30 words each)
 * in Node 20: transformers.js 21 µs a sentence, lowercase + String.match + Map.get 8 µs, and
 * for glove-100d's own pattern the WordScanner 2.2 µs (1.3 µs of CPU time since its ASCII-first
 * scan and packed table, word-scanner.ts). tests/unit/tokenizer.test.ts checks
 * both fast paths against the library id for id.
 */
import { ModelLoadError } from './errors.ts';
import { decodeUtf8 } from './util/utf8.ts';
import { WORD_PATTERN, WordScanner } from './word-scanner.ts';

export interface TextTokenizer {
  /** Which implementation runs: shown in model info so a speed difference has a visible cause. */
  readonly implementation: 'word-scanner' | 'fast-wordlevel' | 'tokenizers.js';
  readonly vocabSize: number;
  /** The unknown token's id, or null when the vocabulary has none. */
  readonly unkId: number | null;
  /** Token ids without special tokens ([CLS]/[SEP] would skew a mean). */
  encode(text: string): number[];
  /**
   * The same ids written into `out` (no allocation per text: the static model's hot loop);
   * returns how many there are, which may exceed out.length — then call again with a bigger one.
   */
  encodeInto(text: string, out: Int32Array): number;
  /** Median length in characters of the vocabulary's tokens (model2vec uses it to pre-truncate). */
  readonly medianTokenChars: number;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: unknown; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
  normalizer?: { type?: string } | null;
  pre_tokenizer?: { type?: string; pattern?: { Regex?: string }; behavior?: string; invert?: boolean } | null;
  added_tokens?: unknown[];
}

export function parseTokenizerJson(bytes: ArrayBuffer | null, file = 'tokenizer.json'): TokenizerJson {
  if (bytes === null) throw new ModelLoadError(file, 'is missing: the model cannot turn text into tokens without it');
  let json: unknown;
  try {
    // Not TextDecoder: its string could outlive the worker (core/util/utf8.ts).
    json = JSON.parse(decodeUtf8(new Uint8Array(bytes)));
  } catch (err) {
    throw new ModelLoadError(file, `is not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelLoadError(file, 'is not a tokenizer: expected a JSON object');
  const model = (json as TokenizerJson).model;
  if (!model || typeof model !== 'object') throw new ModelLoadError(file, 'has no "model" section, so it is not a Hugging Face tokenizer.json');
  const vocab = model.vocab;
  const size = Array.isArray(vocab) ? vocab.length : vocab && typeof vocab === 'object' ? Object.keys(vocab).length : 0;
  if (size === 0) throw new ModelLoadError(file, 'has no vocabulary (model.vocab is missing or empty)');
  return json as TokenizerJson;
}

export async function loadTokenizer(
  json: TokenizerJson,
  opts: { allowFastPath?: boolean; file?: string } = {},
): Promise<TextTokenizer> {
  const file = opts.file ?? 'tokenizer.json';
  if (opts.allowFastPath !== false) {
    const fast = fastWordLevel(json);
    if (fast) return fast;
  }
  // Loaded on demand: word-vector models never pay for the library.
  const { Tokenizer } = await import('@huggingface/tokenizers');
  let tok: InstanceType<typeof Tokenizer>;
  try {
    // The unknown token is read from tokenizer_config.json by default, and WordLevel falls back to a
    // lookup that needs it to map unknown words: give it from the model section.
    tok = new Tokenizer(json, { unk_token: json.model?.unk_token });
  } catch (err) {
    throw new ModelLoadError(file, `could not be loaded by Tokenizers.js: ${(err as Error).message}`);
  }
  const vocab = tok.get_vocab();
  const unkToken = json.model?.unk_token;
  const unkId = unkToken !== undefined ? (vocab.get(unkToken) ?? null) : null;
  const encode = (text: string) => tok.encode(text, { add_special_tokens: false }).ids;
  return {
    implementation: 'tokenizers.js',
    vocabSize: vocab.size,
    unkId,
    medianTokenChars: medianLength(vocab.keys()),
    encode,
    encodeInto(text, out) {
      const ids = encode(text);
      if (ids.length <= out.length) out.set(ids);
      return ids.length;
    },
  };
}

/** Oniguruma escapes that Tokenizers.js rewrites before compiling; with them the fast path could disagree. */
const REWRITTEN_ESCAPES = /\\[wWbBAzZhHGKRX]/;

function fastWordLevel(json: TokenizerJson): TextTokenizer | null {
  const { model, normalizer, pre_tokenizer: pre } = json;
  // WordPiece with no continuation prefix: the same words, plus pieces for a word the table lacks
  // (distilled models, src/core/distill/model.ts). On the WordScanner only, and with an unknown token.
  const wordPiece = model?.type === 'WordPiece' && model.continuing_subword_prefix === '';
  if ((model?.type !== 'WordLevel' && !wordPiece) || !model?.vocab || Array.isArray(model.vocab)) return null;
  if (normalizer && normalizer.type !== 'Lowercase') return null;
  if (json.added_tokens && json.added_tokens.length > 0) return null;
  if (!pre || pre.type !== 'Split' || pre.invert !== true || typeof pre.pattern?.Regex !== 'string') return null;
  if (REWRITTEN_ESCAPES.test(pre.pattern.Regex)) return null;
  const pattern = new RegExp(pre.pattern.Regex, 'gu');
  const vocab = new Map(Object.entries(model.vocab as Record<string, number>));
  const unkId = model.unk_token !== undefined ? (vocab.get(model.unk_token) ?? null) : null;
  const lowercase = normalizer?.type === 'Lowercase';
  if (wordPiece && (unkId === null || !lowercase || pre.pattern.Regex !== WORD_PATTERN)) return null;
  if (lowercase && pre.pattern.Regex === WORD_PATTERN) {
    const scanner = new WordScanner(vocab, unkId, wordPiece ? { wordPieceMaxChars: model.max_input_chars_per_word ?? 100 } : {});
    return {
      implementation: 'word-scanner',
      vocabSize: vocab.size,
      unkId,
      medianTokenChars: medianLength(vocab.keys()),
      encode: (text) => encodeWith(text, (t, out) => scanner.encodeInto(t, out)),
      encodeInto: (text, out) => scanner.encodeInto(text, out),
    };
  }
  return {
    implementation: 'fast-wordlevel',
    vocabSize: vocab.size,
    unkId,
    medianTokenChars: medianLength(vocab.keys()),
    encode(text) {
      return encodeWith(text, this.encodeInto);
    },
    encodeInto(text, out) {
      // String.match (one array of strings) allocates less than an exec loop (an array per match).
      const pieces = (lowercase ? text.toLowerCase() : text).match(pattern);
      if (!pieces) return 0;
      let n = 0;
      for (let i = 0; i < pieces.length; i++) {
        const id = vocab.get(pieces[i]) ?? unkId;
        if (id !== null) {
          if (n < out.length) out[n] = id;
          n++;
        }
      }
      return n;
    },
  };
}

function encodeWith(text: string, encodeInto: (text: string, out: Int32Array) => number): number[] {
  const out = new Int32Array(text.length + 1); // never more tokens than characters
  return Array.from(out.subarray(0, encodeInto(text, out)));
}

function medianLength(tokens: Iterable<string>): number {
  const lengths = Array.from(tokens, (t) => t.length).sort((a, b) => a - b);
  return lengths[lengths.length >> 1] ?? 1;
}
