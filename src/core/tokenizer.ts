/**
 * Tokenizers from `tokenizer.json`.
 *
 * Every tokenizer.json loads through @huggingface/transformers (`PreTrainedTokenizer`). One
 * shape gets a fast path of our own: a WordLevel vocabulary whose pre-tokenizer is a single
 * regex (`Split`, invert: true) after an optional `Lowercase` — the shape of word-vector tables
 * like glove-100d. For it the library spends ~35 µs a sentence in its pipeline stages while a
 * lowercase + `String.match` + `Map.get` does the same work ~10× faster, and the static model's
 * whole cost is tokenization. tests/unit/tokenizer.test.ts checks the fast path against the
 * library token for token.
 */
import { ModelLoadError } from './errors.ts';

export interface TextTokenizer {
  /** Which implementation runs: shown in model info so a speed difference has a visible cause. */
  readonly implementation: 'fast-wordlevel' | 'transformers.js';
  readonly vocabSize: number;
  /** The unknown token's id, or null when the vocabulary has none. */
  readonly unkId: number | null;
  /** Token ids without special tokens ([CLS]/[SEP] would skew a mean). */
  encode(text: string): number[];
  /** Median length in characters of the vocabulary's tokens (model2vec uses it to pre-truncate). */
  readonly medianTokenChars: number;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: unknown; unk_token?: string };
  normalizer?: { type?: string } | null;
  pre_tokenizer?: { type?: string; pattern?: { Regex?: string }; behavior?: string; invert?: boolean } | null;
  added_tokens?: unknown[];
}

export function parseTokenizerJson(bytes: ArrayBuffer | null, file = 'tokenizer.json'): TokenizerJson {
  if (bytes === null) throw new ModelLoadError(file, 'is missing: a static model needs its tokenizer.json');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
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
  // Loaded on demand: word-vector models never pay for the library (and the ONNX runtime it imports).
  const { PreTrainedTokenizer } = await import('@huggingface/transformers');
  let tok: InstanceType<typeof PreTrainedTokenizer>;
  try {
    tok = new PreTrainedTokenizer(json, {});
  } catch (err) {
    throw new ModelLoadError(file, `could not be loaded by transformers.js: ${(err as Error).message}`);
  }
  const vocab = tok.get_vocab();
  const unkToken = json.model?.unk_token;
  const unkId = unkToken !== undefined ? (vocab.get(unkToken) ?? null) : null;
  return {
    implementation: 'transformers.js',
    vocabSize: vocab.size,
    unkId,
    medianTokenChars: medianLength(vocab.keys()),
    encode: (text) => tok.encode(text, { add_special_tokens: false }),
  };
}

/** Oniguruma escapes that transformers.js rewrites before compiling; with them the fast path could disagree. */
const REWRITTEN_ESCAPES = /\\[wWbBAzZhHGKRX]/;

function fastWordLevel(json: TokenizerJson): TextTokenizer | null {
  const { model, normalizer, pre_tokenizer: pre } = json;
  if (model?.type !== 'WordLevel' || !model.vocab || Array.isArray(model.vocab)) return null;
  if (normalizer && normalizer.type !== 'Lowercase') return null;
  if (json.added_tokens && json.added_tokens.length > 0) return null;
  if (!pre || pre.type !== 'Split' || pre.invert !== true || typeof pre.pattern?.Regex !== 'string') return null;
  if (REWRITTEN_ESCAPES.test(pre.pattern.Regex)) return null;
  const pattern = new RegExp(pre.pattern.Regex, 'gu');
  const vocab = new Map(Object.entries(model.vocab as Record<string, number>));
  const unkId = model.unk_token !== undefined ? (vocab.get(model.unk_token) ?? null) : null;
  const lowercase = normalizer?.type === 'Lowercase';
  return {
    implementation: 'fast-wordlevel',
    vocabSize: vocab.size,
    unkId,
    medianTokenChars: medianLength(vocab.keys()),
    encode(text) {
      const pieces = (lowercase ? text.toLowerCase() : text).match(pattern);
      if (!pieces) return [];
      const ids = new Array<number>(pieces.length);
      let n = 0;
      for (const piece of pieces) {
        const id = vocab.get(piece) ?? unkId;
        if (id !== null) ids[n++] = id;
      }
      ids.length = n;
      return ids;
    },
  };
}

function medianLength(tokens: Iterable<string>): number {
  const lengths = Array.from(tokens, (t) => t.length).sort((a, b) => a - b);
  return lengths[lengths.length >> 1] ?? 1;
}
