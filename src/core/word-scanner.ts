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
/** BAIL: a BMP character the ASCII-first scan does not take (a word character or one that lowercasing changes). */
const BAIL = 4;
const asciiClass = new Uint8Array(128);
for (let c = 0; c < 128; c++) asciiClass[c] = classifySlow(c);
/** ASCII lowercased, by code. */
const asciiLower = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));
const classCache = new Map<number, number>();
/** What the ASCII-first scan does with each BMP code unit ≥ 128: 0 until asked, then SPACE, OTHER or BAIL. */
const bmpScan = new Uint8Array(0x10000);

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

function scanClassSlow(unit: number): number {
  // Surrogates (astral characters) and word characters take the full path; so does anything
  // lowercasing changes (circled letters such as Ⓐ are symbols with a lowercase form).
  if (unit >= 0xd800 && unit <= 0xdfff) return BAIL;
  const kind = classify(unit);
  if (kind === WORD || String.fromCharCode(unit).toLowerCase() !== String.fromCharCode(unit)) return BAIL;
  return kind;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

function hashString(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  return h;
}

export class WordScanner {
  /**
   * Open addressing, 4 ints a slot: id (−1 empty), the word's hash, where its characters start in
   * `chars`, its length. A probe reads one slot and, when the hash matches, the characters: no
   * string objects. Measured on Moby-Dick sentences (CPU time, Node 20, one run, medians of 21):
   * lookups were ~1.1 µs of the scan's 1.5–1.8 µs a sentence with a string per word (a slot, the
   * word array, the string: a cache miss each); this layout with the ASCII-first scan takes the
   * whole scan from 1.72 to 1.30 µs (2.01 → 1.42 in a second run).
   */
  private readonly slots: Int32Array;
  /** Every word's characters, in id order (frequent words first in frequency-ordered vocabularies: they share cache lines). */
  private readonly chars: Uint16Array;
  private readonly mask: number;

  /**
   * WordPiece's rule for a word the table lacks (tokenizer.json `WordPiece` with
   * continuing_subword_prefix ""): its greedy longest-match pieces from the start, the whole word
   * unknown when a position matches nothing or it is longer than this many characters; 0 = off
   * (WordLevel: the word is unknown). Only misses pay for it: 1.8 % of STS-B test words for
   * use-lite-static, whose STS-B test Spearman it lifts 0.6668 → 0.6765 (scripts/distill-oov.ts).
   */
  private readonly maxPieceChars: number;

  constructor(
    vocab: Map<string, number>,
    private readonly unkId: number | null,
    opts: { wordPieceMaxChars?: number } = {},
  ) {
    this.maxPieceChars = opts.wordPieceMaxChars ?? 0;
    const size = 1 << Math.ceil(Math.log2(Math.max(2, vocab.size * 2)));
    this.mask = size - 1;
    this.slots = new Int32Array(size * 4).fill(-1);
    const byId = [...vocab].sort((x, y) => x[1] - y[1]);
    let total = 0;
    for (const [word] of byId) total += word.length;
    this.chars = new Uint16Array(total);
    let from = 0;
    for (const [word, id] of byId) {
      for (let k = 0; k < word.length; k++) this.chars[from + k] = word.charCodeAt(k);
      const hash = hashString(word);
      let at = hash & this.mask;
      while (this.slots[at * 4] !== -1) at = (at + 1) & this.mask;
      this.slots.set([id, hash, from, word.length], at * 4);
      from += word.length;
    }
  }

  /**
   * Ids of the lowercased text's words (unknown words as unkId, or left out without one).
   *
   * ASCII-first: most text is ASCII words with a little non-ASCII punctuation (Moby-Dick: curly
   * quotes and dashes in most sentences), so the scan lowercases by table as it hashes and
   * makes no lowercased copy; the first non-ASCII word character (or anything lowercasing could
   * change) sends the whole text down the full path (its own copy lowercased, as before).
   */
  encodeInto(text: string, out: Int32Array): number {
    const n = text.length;
    let i = 0;
    let count = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      let kind = c < 128 ? asciiClass[c] : bmpScan[c] || (bmpScan[c] = scanClassSlow(c));
      if (kind === SPACE) {
        i++;
        continue;
      }
      if (kind === BAIL) return this.encodeLowered(text.toLowerCase(), out);
      const start = i;
      let h = FNV_OFFSET;
      if (kind === OTHER) {
        h = Math.imul(h ^ (c < 128 ? asciiLower[c] : c), FNV_PRIME);
        i++;
      } else {
        for (;;) {
          while (i < n) {
            c = text.charCodeAt(i);
            if (c >= 128) {
              kind = bmpScan[c] || (bmpScan[c] = scanClassSlow(c));
              if (kind === BAIL) return this.encodeLowered(text.toLowerCase(), out);
              break;
            }
            if (asciiClass[c] !== WORD) break;
            h = Math.imul(h ^ asciiLower[c], FNV_PRIME);
            i++;
          }
          // A hyphen joins two runs only when a word character follows it.
          if (i + 1 < n && text.charCodeAt(i) === HYPHEN) {
            const q = text.charCodeAt(i + 1);
            if (q >= 128 && (bmpScan[q] || (bmpScan[q] = scanClassSlow(q))) === BAIL) return this.encodeLowered(text.toLowerCase(), out);
            if (q < 128 && asciiClass[q] === WORD) {
              h = Math.imul(h ^ HYPHEN, FNV_PRIME);
              i++;
              continue;
            }
          }
          break;
        }
      }
      const id = this.lookupAscii(text, start, i, h);
      if (id !== -1) {
        if (count < out.length) out[count] = id;
        count++;
      } else count = this.maxPieceChars > 0 ? this.pieces(text, start, i, out, count, true) : this.unknown(out, count);
    }
    return count;
  }

  private unknown(out: Int32Array, count: number): number {
    if (this.unkId === null) return count;
    if (count < out.length) out[count] = this.unkId;
    return count + 1;
  }

  /**
   * WordPiece over the word text[start, end) (see maxPieceChars): for each start, the longest
   * piece the table has, hashed as it grows (one lookup per length, no substrings). `ascii`: the
   * text is not lowercased yet (the ASCII-first scan); otherwise it is, and pieces end only on
   * code-point boundaries, as Tokenizers.js splits a word into code points.
   */
  private pieces(text: string, start: number, end: number, out: Int32Array, count: number, ascii: boolean): number {
    let chars = end - start;
    if (!ascii) for (let k = start; k < end; k++) if (isHighSurrogate(text.charCodeAt(k))) chars--;
    if (chars > this.maxPieceChars) return this.unknown(out, count);
    const first = count;
    for (let at = start; at < end; ) {
      let best = -1;
      let bestEnd = at;
      let h = FNV_OFFSET;
      for (let j = at; j < end; j++) {
        const c = text.charCodeAt(j);
        h = Math.imul(h ^ (ascii && c < 128 ? asciiLower[c] : c), FNV_PRIME);
        if (!ascii && isHighSurrogate(c) && j + 1 < end) continue;
        const id = ascii ? this.lookupAscii(text, at, j + 1, h) : this.lookup(text, at, j + 1, h);
        if (id !== -1) {
          best = id;
          bestEnd = j + 1;
        }
      }
      if (best === -1) return this.unknown(out, first);
      if (count < out.length) out[count] = best;
      count++;
      at = bestEnd;
    }
    return count;
  }

  /** The full path, over the lowercased text: any character, astral ones included. */
  private encodeLowered(s: string, out: Int32Array): number {
    const n = s.length;
    let i = 0;
    let count = 0;
    while (i < n) {
      let cp = s.charCodeAt(i);
      if (isHighSurrogate(cp)) cp = s.codePointAt(i)!;
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
            if (isHighSurrogate(q)) q = s.codePointAt(i)!;
            if (classify(q) !== WORD) break;
            const w = q > 0xffff ? 2 : 1;
            for (let k = 0; k < w; k++) h = Math.imul(h ^ s.charCodeAt(i + k), FNV_PRIME);
            i += w;
          }
          // A hyphen joins two runs only when a word character follows it.
          if (i + 1 < n && s.charCodeAt(i) === HYPHEN) {
            let q = s.charCodeAt(i + 1);
            if (isHighSurrogate(q)) q = s.codePointAt(i + 1)!;
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
      } else count = this.maxPieceChars > 0 ? this.pieces(s, start, i, out, count, false) : this.unknown(out, count);
    }
    return count;
  }

  /** lookup() over text not yet lowercased, in which only ASCII characters can change. −1: not in the table. */
  private lookupAscii(s: string, start: number, end: number, hash: number): number {
    const { slots, chars, mask } = this;
    const length = end - start;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const p = at * 4;
      const id = slots[p];
      if (id === -1) return -1;
      if (slots[p + 1] !== hash || slots[p + 3] !== length) continue;
      const from = slots[p + 2];
      let k = 0;
      for (; k < length; k++) {
        const c = s.charCodeAt(start + k);
        if (chars[from + k] !== (c < 128 ? asciiLower[c] : c)) break;
      }
      if (k === length) return id;
    }
  }

  private lookup(s: string, start: number, end: number, hash: number): number {
    const { slots, chars, mask } = this;
    const length = end - start;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const p = at * 4;
      const id = slots[p];
      if (id === -1) return -1;
      if (slots[p + 1] !== hash || slots[p + 3] !== length) continue;
      const from = slots[p + 2];
      let k = 0;
      while (k < length && chars[from + k] === s.charCodeAt(start + k)) k++;
      if (k === length) return id;
    }
  }
}
