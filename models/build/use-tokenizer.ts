/**
 * The USE-lite vocabulary (SentencePiece pieces + scores in vocab.json) as a Hugging Face
 * `Unigram` tokenizer.json that transformers.js loads.
 *
 * The original tokenizer (@tensorflow-models/universal-sentence-encoder) normalises with NFKC,
 * then, for non-empty text, prepends ▁ and turns every space into ▁ (not collapsing runs;
 * tabs and newlines stay and become unknown), and runs Viterbi over the pieces, never matching
 * the 6 reserved ones. Here: a normalizer sequence NFKC → Prepend ▁ → Replace " " → ▁, a split
 * rule for a leading "▁:" (below), and the reserved pieces renamed to strings with a space in
 * them, which no normalised text can contain. Pieces with a null score score 0, as the original's arithmetic
 * does. Ids agree on ordinary text; tests/unit/use-tokenizer.test.ts shows where exact score
 * ties are broken differently.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RESERVED = 6;

export async function buildUseTokenizer(dir: string): Promise<string> {
  const vocab: [string, number | null][] = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8'));
  const pieces = vocab.map(([piece, score], id) => [id < RESERVED ? `<reserved ${id}: ${piece}>` : piece, score ?? 0] as [string, number]);
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    // The original treats a best path score of exactly 0 as "no path yet". Only a leading
    // null-scored piece (▁:, ▁:), ▁:( …) can score 0, so those never start a text there: split
    // the leading ▁ off before a colon to do the same.
    pre_tokenizer: { type: 'Split', pattern: { Regex: '^▁(?=:)' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  };
  return JSON.stringify(tokenizer);
}
