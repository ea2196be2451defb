/**
 * The sentence splitter's rule path (src/core/corpus/sentences.ts) against the platform's
 * Intl.Segmenter, which it replaces where it can: the same sentences on both test corpora, as the
 * page and the CLI read them, and on random strings built from every character class the rules
 * distinguish. A difference here would mean the page and the CLI chunk differently from before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkSection, defaultChunking, windows } from '../../src/core/corpus/chunk.ts';
import { newReport } from '../../src/core/corpus/decode.ts';
import { readSections } from '../../src/core/corpus/read.ts';
import { splitSentences } from '../../src/core/corpus/sentences.ts';

const root = join(import.meta.dirname, '..', '..');

async function sectionsOf(name: string, choice = {}): Promise<string[]> {
  const file = new File([readFileSync(join(root, 'public/corpora', name))], name);
  const out: string[] = [];
  for await (const s of readSections(file, choice, newReport(file))) out.push(s.text);
  return out;
}

/** chunkSection as it was before the rule path: the segmenter, then windows() on every piece. */
function referenceChunks(text: string, maxTokens: number, overlap: number): string[] {
  return splitSentences(text, { segmenterOnly: true }).flatMap((p) => (p.length > 1 ? windows(p, maxTokens, overlap) : []));
}

describe('sentence splitting by the UAX #29 rules', () => {
  for (const [name, choice] of [['moby-dick.txt', {}], ['sotu.jsonl', { field: 'text' }]] as const) {
    it(`${name}: the same sentences and chunks as Intl.Segmenter`, async () => {
      const sections = await sectionsOf(name, choice);
      expect(sections.length).toBeGreaterThan(30);
      let sentences = 0;
      for (const text of sections) {
        const ours = splitSentences(text);
        expect(ours).toEqual(splitSentences(text, { segmenterOnly: true }));
        sentences += ours.length;
        expect(chunkSection(text, defaultChunking)).toEqual(referenceChunks(text, defaultChunking.maxTokens, defaultChunking.overlap));
        // Short windows too, so sentences longer than maxTokens take the windowed path.
        expect(chunkSection(text, { mode: 'sentence', maxTokens: 8, overlap: 2 })).toEqual(referenceChunks(text, 8, 2));
      }
      expect(sentences).toBeGreaterThan(9000);
    });
  }

  it('random strings over every class the rules tell apart: the same sentences as Intl.Segmenter', () => {
    // Lower, Upper, OLetter, Numeric, ATerm, STerm, Close, SContinue, Sp, Other — ASCII and the
    // non-ASCII characters the table knows (é, É, ǅ titlecase, ß, 中, ª, curly quotes, dashes).
    const alphabet = [...'aZx Q7.!?"\'()[]{},-:;*/#&_ ', ' ', ' ', '  ', '.', '\u00a0', '\u3000', ' \n', 'é', 'É', 'ǅ', 'ß', '中', 'ª', '‘', '’', '“', '”', '«', '»', '–', '—', '\n', '\t'];
    // …and characters the table sends to the segmenter (a combining accent, a soft hyphen, an
    // Armenian full stop, an ideographic full stop, an astral letter, NEL, a non-breaking hyphen).
    const others = ['\u0301', '\u00ad', '\u0589', '\u3002', '𝒜', '\u0085', '\u2011', '\u00a0', '\u2026'];
    let seed = 17;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    let fromOthers = 0;
    for (let t = 0; t < 20_000; t++) {
      const len = 1 + rand(40);
      let s = '';
      for (let i = 0; i < len; i++) {
        if (rand(50) === 0) {
          s += others[rand(others.length)];
          fromOthers++;
        } else s += alphabet[rand(alphabet.length)];
      }
      const ours = splitSentences(s, { minChars: 1 });
      // The reference made here from scratch (flattening included): Intl.Segmenter over the text
      // with every white-space run made one space, each segment trimmed.
      const segments = [...new Intl.Segmenter('en', { granularity: 'sentence' }).segment(s.replace(/\s+/g, ' '))];
      const reference = segments.map((x) => x.segment.trim()).filter((x) => x.length >= 1);
      if (JSON.stringify(ours) !== JSON.stringify(reference)) expect({ input: s, ours }).toEqual({ input: s, ours: reference });
    }
    expect(fromOthers).toBeGreaterThan(1000);
  });

  it('the rules at work: abbreviations, numbers, quotes and lowercase continuations', () => {
    const text = 'He said "Go." Then he left. Mr. Smith paid $3.50 for it, i.e. too much. Really?! Yes… U.S. Army. etc. and so on.';
    expect(splitSentences(text)).toEqual(splitSentences(text, { segmenterOnly: true }));
    expect(splitSentences('He said "Go." Then he left.')).toEqual(['He said "Go."', 'Then he left.']);
    expect(splitSentences('It cost 3.50 dollars. i.e. a lot.')).toEqual(['It cost 3.50 dollars. i.e. a lot.']);
  });
});
