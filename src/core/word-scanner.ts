/**
 * A tokenizer for one pattern only — WORD_PATTERN, the word-vector tokenizer of glove-100d:
 * runs of letters/marks/digits joined by single hyphens, or any other non-space character alone —
 * over lowercased text. It scans characters and finds each word in an open-addressing table by
 * a hash computed while scanning, so it makes no substrings, no match arrays and no Map lookups.
 *
 * Why it exists: measured on Moby-Dick (9,751 sentences, 253k words) it tokenizes in 21 ms where
 * lowercase + String.match + Map.get takes 42 ms, and tokenizing is most of a static model's
 * cost. tests/unit/tokenizer.test.ts checks it against Tokenizers.js (the library transformers.js wraps) id for id.
 */
/**
 * Word pieces the way GloVe's corpus was tokenized, closely enough: runs of letters/digits
 * (hyphenated compounds kept whole, as the GloVe vocabulary has them), and each other
 * non-space character alone. Written without \w or \b so Tokenizers.js compiles it unchanged.
 */
export const WORD_PATTERN = '[\\p{L}\\p{M}\\p{N}]+(?:-[\\p{L}\\p{M}\\p{N}]+)*|[^\\s\\p{L}\\p{M}\\p{N}]';

const WORD = 1;
const SPACE = 2;
const OTHER = 3;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const HYPHEN = 0x2d;

const wordChar = /^[\p{L}\p{M}\p{N}]$/u;
const spaceChar = /^\s$/u;
const asciiClass = new Uint8Array(128);
for (let c = 0; c < 128; c++) asciiClass[c] = classifySlow(c);
const classCache = new Map<number, number>();

function classifySlow(codePoint: number): number {
  const ch = String.fromCodePoint(codePoint);
  return wordChar.test(ch) ? WORD : spaceChar.test(ch) ? SPACE : OTHER;
}

function classify(codePoint: number): number {
  if (codePoint < 128) return asciiClass[codePoint];
  let c = classCache.get(codePoint);
  if (c === undefined) classCache.set(codePoint, (c = classifySlow(codePoint)));
  return c;
}

function hashString(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  return h;
}

export class WordScanner {
  private readonly words: string[] = [];
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(
    vocab: Map<string, number>,
    private readonly unkId: number | null,
  ) {
    const size = 1 << Math.ceil(Math.log2(Math.max(2, vocab.size * 2)));
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    for (const [word, id] of vocab) {
      this.words[id] = word;
      let at = hashString(word) & this.mask;
      while (this.slots[at] !== -1) at = (at + 1) & this.mask;
      this.slots[at] = id;
    }
  }

  /** Ids of the lowercased text's words (unknown words as unkId, or left out without one). */
  encodeInto(text: string, out: Int32Array): number {
    const s = text.toLowerCase();
    const n = s.length;
    let i = 0;
    let count = 0;
    while (i < n) {
      let cp = s.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff) cp = s.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      const kind = classify(cp);
      if (kind === SPACE) {
        i += width;
        continue;
      }
      const start = i;
      let h = FNV_OFFSET;
      if (kind === OTHER) {
        for (let k = 0; k < width; k++) h = Math.imul(h ^ s.charCodeAt(i + k), FNV_PRIME);
        i += width;
      } else {
        for (;;) {
          while (i < n) {
            let q = s.charCodeAt(i);
            if (q >= 0xd800 && q <= 0xdbff) q = s.codePointAt(i)!;
            if (classify(q) !== WORD) break;
            const w = q > 0xffff ? 2 : 1;
            for (let k = 0; k < w; k++) h = Math.imul(h ^ s.charCodeAt(i + k), FNV_PRIME);
            i += w;
          }
          // A hyphen joins two runs only when a word character follows it.
          if (i + 1 < n && s.charCodeAt(i) === HYPHEN) {
            let q = s.charCodeAt(i + 1);
            if (q >= 0xd800 && q <= 0xdbff) q = s.codePointAt(i + 1)!;
            if (classify(q) === WORD) {
              h = Math.imul(h ^ HYPHEN, FNV_PRIME);
              i++;
              continue;
            }
          }
          break;
        }
      }
      const id = this.lookup(s, start, i, h);
      if (id !== -1) {
        if (count < out.length) out[count] = id;
        count++;
      }
    }
    return count;
  }

  private lookup(s: string, start: number, end: number, hash: number): number {
    const length = end - start;
    for (let at = hash & this.mask; ; at = (at + 1) & this.mask) {
      const id = this.slots[at];
      if (id === -1) return this.unkId ?? -1;
      const word = this.words[id];
      if (word.length !== length) continue;
      let k = 0;
      while (k < length && word.charCodeAt(k) === s.charCodeAt(start + k)) k++;
      if (k === length) return id;
    }
  }
}
