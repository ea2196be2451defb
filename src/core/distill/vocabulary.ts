/**
 * The distilled model's vocabulary: words, because the result must tokenize on the fast path
 * (src/core/word-scanner.ts, a WordLevel table over WORD_PATTERN) to embed at glove-100d's speed.
 * Two sources, merged by frequency:
 * - the teacher tokenizer's own vocabulary, reduced to the entries that are whole words under
 *   WORD_PATTERN (SentencePiece "▁word", WordPiece "word" but not "##ing", BPE "Ġword");
 * - words mined from a corpus, most frequent first.
 */
import { WORD_PATTERN } from '../word-scanner.ts';
import { DistillError } from './errors.ts';

const wordRegex = new RegExp(`^(?:${WORD_PATTERN})$`, 'u');
const tokenRegex = new RegExp(WORD_PATTERN, 'gu');

/** The words of a text exactly as the fast path splits them (lowercased, WORD_PATTERN). */
export function splitWords(text: string): string[] {
  return text.toLowerCase().match(tokenRegex) ?? [];
}

/**
 * Whole-word entries of a tokenizer.json's vocabulary, lowercased and deduplicated, in the
 * tokenizer's order (Unigram and BPE list frequent pieces first). Throws when the vocabulary
 * cannot be enumerated — then the distillation needs a corpus to mine words from.
 */
export function teacherWords(tokenizerJson: unknown): string[] {
  const model = (tokenizerJson as { model?: { type?: string; vocab?: unknown } } | null)?.model;
  const vocab = model?.vocab;
  let pieces: string[];
  if (Array.isArray(vocab)) pieces = vocab.map((e) => (Array.isArray(e) ? String(e[0]) : String(e)));
  else if (vocab && typeof vocab === 'object') {
    pieces = Object.entries(vocab as Record<string, number>).sort((a, b) => a[1] - b[1]).map(([p]) => p);
  } else {
    throw new DistillError(
      `the teacher's tokenizer (${model?.type ?? 'no model section'}) has no vocabulary we can enumerate: give a corpus so words can be mined from it`,
    );
  }
  const wordPiece = model?.type === 'WordPiece';
  const seen = new Set<string>();
  const out: string[] = [];
  for (const piece of pieces) {
    // A piece that continues a word is not a word of its own.
    if (wordPiece && piece.startsWith('##')) continue;
    const word = piece.replace(/^[▁Ġ]/u, '').toLowerCase();
    if (!word || !wordRegex.test(word) || seen.has(word)) continue;
    seen.add(word);
    out.push(word);
  }
  if (out.length === 0) throw new DistillError(`the teacher's tokenizer lists ${pieces.length} pieces but none is a whole word: give a corpus so words can be mined from it`);
  return out;
}

export interface WordCounts {
  /** Most frequent first (ties in first-seen order). */
  words: string[];
  counts: Int32Array;
  /** All word occurrences counted, kept or not: the denominator of p(word). */
  total: number;
}

/** Counts of the corpus's words, those seen at least `minCount` times. */
export function mineWords(sentences: Iterable<string>, minCount = 2): WordCounts {
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of sentences) {
    for (const w of splitWords(s)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      total++;
    }
  }
  const kept = [...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1]);
  return { words: kept.map(([w]) => w), counts: Int32Array.from(kept.map(([, c]) => c)), total };
}

/**
 * The vocabulary: mined words first (most frequent first), then the teacher's and any extra
 * list's words the corpus did not have, up to `maxWords`.
 */
export function mergeVocabulary(lists: readonly (readonly string[])[], maxWords: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const list of lists) {
    for (const w of list) {
      if (out.length >= maxWords) return out;
      if (seen.has(w)) continue;
      seen.add(w);
      out.push(w);
    }
  }
  return out;
}

/** Sentences as lists of word ids (CSR: offsets[s]..offsets[s+1] into ids); unknown words left out. */
export interface EncodedCorpus {
  offsets: Int32Array;
  ids: Int32Array;
}

export function encodeCorpus(sentences: readonly string[], words: readonly string[]): EncodedCorpus {
  const index = new Map(words.map((w, i) => [w, i]));
  const offsets = new Int32Array(sentences.length + 1);
  const ids: number[] = [];
  sentences.forEach((s, i) => {
    for (const w of splitWords(s)) {
      const id = index.get(w);
      if (id !== undefined) ids.push(id);
    }
    offsets[i + 1] = ids.length;
  });
  return { offsets, ids: Int32Array.from(ids) };
}
