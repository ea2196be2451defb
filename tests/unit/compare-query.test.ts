/**
 * The Compare orchestration (src/core/compare/query.ts) over a real search: exact top-k by cosine
 * over small in-memory collections (the same exactTopK the search worker runs), a toy model that
 * counts its calls, and the real evaluateSts / evaluateRetrieval as the quality worker's scorers.
 */
import { describe, expect, it } from 'vitest';
import { checkQuery, evaluateVariants, runQuery, embedInBatches, type CompareCollection, type CompareDeps, type QualityRow, type SearchAsk } from '../../src/core/compare/query.ts';
import { variantKey, type Variant } from '../../src/core/compare/variants.ts';
import { evaluateRetrieval, evaluateSts } from '../../src/core/eval/evaluate.ts';
import { cosine } from '../../src/core/util/vectors.ts';

type Model = { key: string; label: string };
const texts = ['whale', 'ship', 'sea', 'harpoon', 'captain', 'sailor'];
/** 2-d toy vectors: texts at angles, so cosine order is known. */
const vecOf = (t: string) => {
  const a = (t.length * 0.7 + t.charCodeAt(0) * 0.13) % (2 * Math.PI);
  return [Math.cos(a), Math.sin(a)];
};

function setup(opts: { loaded?: string[]; failSearch?: string } = {}) {
  const collections: CompareCollection[] = [
    { id: 'ref', name: 'Ref', modelId: 'toy', modelDims: 2, dims: 2, precisions: ['float32', 'int8'] },
    { id: 'bin', name: 'Bits', modelId: 'toy', modelDims: 2, dims: 2, precisions: ['binary'] },
    { id: 'gl', name: 'Other', modelId: 'glove-100d', modelDims: 2, dims: 2, precisions: ['float32'] },
  ];
  const models: Record<string, Model> = { toy: { key: 'toy#1', label: 'Toy · fp32' } };
  const embedCalls: string[][] = [];
  const searches: SearchAsk[] = [];
  const deps: CompareDeps<Model, { text: string; score: number }> = {
    collection: (id) => collections.find((c) => c.id === id),
    modelFor: (c) => ((opts.loaded ?? ['toy']).includes(c.modelId) ? models[c.modelId] : undefined),
    embed: async (_m, batch) => {
      embedCalls.push(batch);
      return { vectors: Float32Array.from(batch.flatMap(vecOf)), dims: 2 };
    },
    search: async (ask) => {
      searches.push(ask);
      if (ask.collectionId === opts.failSearch) throw new Error('worker gone');
      // The binary collection answers in a deliberately different order: its bits are coarse.
      const ranked = texts
        .map((text) => ({ text, score: cosine(ask.query, Float32Array.from(vecOf(text))) * (ask.precision === 'binary' && text === 'sea' ? -1 : 1) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, ask.k);
      return { hits: ranked, searchMs: 1, loadMs: 0, kernel: 'js', bytes: 0, workers: 1 };
    },
    loadable: (id) => id === 'glove-100d',
  };
  return { deps, embedCalls, searches };
}

describe('checkQuery', () => {
  it('says what is wrong with the query, k or the depth', () => {
    expect(checkQuery('  ', 10, 100, 1)).toEqual({ error: 'Type a query first.' });
    expect(checkQuery('q', 10, 100, 0)).toMatchObject({ error: expect.stringMatching(/Add at least one variant/) });
    expect(checkQuery('q', 0, 100, 1)).toMatchObject({ error: 'top-k must be a whole number from 1 to 100 (got 0).' });
    expect(checkQuery('q', undefined, 100, 1)).toMatchObject({ error: 'top-k must be a whole number from 1 to 100 (got nothing).' });
    expect(checkQuery('q', 10, 5, 1)).toMatchObject({ error: 'The recall depth must be a whole number from k (10) to 1000 (got 5).' });
    expect(checkQuery(' the whale ', '3.7', 20, 1)).toEqual({ text: 'the whale', k: 3, depth: 20 });
  });
});

describe('runQuery', () => {
  const ref: Variant = { collectionId: 'ref', precision: 'float32' };
  const bits: Variant = { collectionId: 'bin', precision: 'binary' };

  it('embeds once per model, measures each variant against the float32 reference', async () => {
    const { deps, embedCalls, searches } = setup();
    const { columns, referenceError } = await runQuery(deps, { text: 'ship', k: 3, depth: 6, variants: [ref, bits], referenceIndex: 0 });
    expect(referenceError).toBeNull();
    expect(embedCalls).toEqual([['ship']]); // the reference and both variants share one embedding
    const refCol = columns[variantKey(ref)];
    const bitCol = columns[variantKey(bits)];
    if (refCol.state !== 'ok' || bitCol.state !== 'ok') throw new Error('expected results');
    expect(refCol.result.overlap).toBe(1);
    expect(refCol.result.recall).toBe(1);
    expect(refCol.result.differs).toEqual([false, false, false]);
    expect(refCol.result.modelLabel).toBe('Toy · fp32');
    // The binary variant's top-3 loses 'sea' only if 'sea' was in the reference's top-3.
    const refTop = refCol.result.hits.map((h) => h.text);
    const bitTop = bitCol.result.hits.map((h) => h.text);
    const shared = bitTop.filter((t) => refTop.includes(t)).length;
    expect(bitCol.result.overlap).toBeCloseTo(shared / 3);
    expect(bitCol.result.differs).toEqual(bitTop.map((t) => !refTop.includes(t)));
    expect(bitCol.result.recall).toBe(1); // at depth 6 every text is there
    // Deep searches (k = depth) only for recall: reference k=3, then each variant k=3 and k=6.
    expect(searches.map((s) => `${s.collectionId}/${s.precision}/${s.k}`)).toEqual(['ref/float32/3', 'ref/float32/3', 'ref/float32/6', 'bin/binary/3', 'bin/binary/6']);
  });

  it('gives each variant its own state: no model (loadable or not), deleted, a failed search', async () => {
    const { deps } = setup({ failSearch: 'bin' });
    const gone: Variant = { collectionId: 'nope', precision: 'float32' };
    const glove: Variant = { collectionId: 'gl', precision: 'float32' };
    const { columns } = await runQuery(deps, { text: 'sea', k: 2, depth: 2, variants: [ref, bits, glove, gone], referenceIndex: 0 });
    expect(columns[variantKey(bits)]).toEqual({ state: 'error', message: 'worker gone' });
    expect(columns[variantKey(glove)]).toEqual({ state: 'no-model', modelId: 'glove-100d', loadable: true });
    expect(columns[variantKey(gone)]).toEqual({ state: 'error', message: 'This collection was deleted.' });
    expect(columns[variantKey(ref)].state).toBe('ok');
  });

  it('explains a reference that cannot be computed, and still answers without agreement', async () => {
    const noFloat = await runQuery(setup().deps, { text: 'sea', k: 2, depth: 2, variants: [bits, ref], referenceIndex: 0 });
    expect(noFloat.referenceError).toMatch(/"Bits" keeps no float32 vectors \(only binary\)/);
    const col = noFloat.columns[variantKey(bits)];
    expect(col.state === 'ok' && [col.result.overlap, col.result.recall, col.result.differs]).toEqual([null, null, [false, false]]);
    const unloaded = await runQuery(setup({ loaded: [] }).deps, { text: 'sea', k: 2, depth: 2, variants: [ref], referenceIndex: 0 });
    expect(unloaded.referenceError).toBe('Load toy to compute the reference (the float32 exact top-2 of "Ref").');
  });
});

describe('evaluateVariants', () => {
  const scorers = { sts: evaluateSts, retrieval: evaluateRetrieval };
  const sts = {
    kind: 'sts' as const,
    name: 'toy-sts',
    pairs: [
      { sentence1: 'whale', sentence2: 'whale', score: 5 },
      { sentence1: 'whale', sentence2: 'ship', score: 3 },
      { sentence1: 'sea', sentence2: 'captain', score: 1 },
      { sentence1: 'harpoon', sentence2: 'sailor', score: 2 },
    ],
  };

  it('scores each variant, shares embeddings within a model, reports rows as they change', async () => {
    const { deps, embedCalls } = setup();
    const seen: string[] = [];
    const rows = await evaluateVariants(deps, scorers, sts, [{ collectionId: 'ref', precision: 'float32' }, { collectionId: 'ref', precision: 'int8' }, { collectionId: 'gl', precision: 'float32' }], (i, r: QualityRow) =>
      seen.push(`${i}:${r.state}`),
    );
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'no-model']);
    expect(rows[0].metrics?.[0].name).toBe('Spearman');
    expect(rows[0].n).toBe(4);
    expect(rows[2].message).toBe("glove-100d is not loaded, so this variant's texts cannot be embedded.");
    // The second variant of the same model reuses the first's embeddings of the same text lists.
    const calls = embedCalls.length;
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(2);
    expect(seen.slice(0, 3)).toEqual(['0:waiting', '1:waiting', '2:waiting']);
    expect(seen).toContain('0:running');
    expect(seen.filter((s) => s.startsWith('0:')).at(-1)).toBe('0:done');
  });

  it('a scorer failure marks only its row', async () => {
    const { deps } = setup();
    const rows = await evaluateVariants(deps, { ...scorers, sts: async () => Promise.reject(new Error('no pairs')) }, sts, [{ collectionId: 'ref', precision: 'float32' }], () => {});
    expect(rows[0]).toMatchObject({ state: 'error', message: 'no pairs' });
  });

  it('embeds long lists in batches and keeps the rows in order', async () => {
    const sizes: number[] = [];
    const list = Array.from({ length: 600 }, (_, i) => `t${i}`);
    const r = await embedInBatches(list, async (batch) => {
      sizes.push(batch.length);
      return { vectors: Float32Array.from(batch.map((t) => Number(t.slice(1)))), dims: 1 };
    });
    expect(sizes).toEqual([256, 256, 88]);
    expect(Array.from(r.vectors)).toEqual(list.map((_, i) => i));
  });
});
