import { describe, expect, it } from 'vitest';
import { differsFromReference, overlapAtK, recallAtDepth } from '../../src/core/compare/agreement.ts';
import { suggestVariants, variantCost, variantLabel, variantsOf, type VariantCollection } from '../../src/core/compare/variants.ts';
import { pca2 } from '../../src/core/compare/pca.ts';
import { coloursBySource, fitToBox, nearestPoint } from '../../src/core/compare/map-layout.ts';
import { LabelledDataError, readLabelledFiles } from '../../src/core/eval/labelled-files.ts';

describe('agreement with a reference result list (quality without labels)', () => {
  const ref = ['a', 'b', 'c', 'd'];
  it('overlap@k ignores order and counts only the first k of each', () => {
    expect(overlapAtK(['d', 'c', 'b', 'a'], ref, 4)).toBe(1);
    expect(overlapAtK(['a', 'x', 'c', 'y'], ref, 4)).toBe(0.5);
    expect(overlapAtK(['x', 'y', 'a', 'b'], ref, 2)).toBe(0); // a and b sit below k
    expect(overlapAtK(ref, ref, 3)).toBe(1);
  });
  it('recall k@n finds the reference top-k anywhere in the first n', () => {
    expect(recallAtDepth(['x', 'y', 'a', 'b'], ref, 2, 4)).toBe(1);
    expect(recallAtDepth(['x', 'y', 'a', 'b'], ref, 2, 3)).toBe(0.5);
    expect(recallAtDepth(['x', 'a'], ref, 2, 2)).toBe(overlapAtK(['x', 'a'], ref, 2));
    expect(() => recallAtDepth(ref, ref, 4, 2)).toThrow(/n ≥ k/);
  });
  it('marks the rows the reference top-k does not hold', () => {
    expect(differsFromReference(['a', 'x', 'c'], ref, 3)).toEqual([false, true, false]);
    expect(differsFromReference(['d'], ref, 3)).toEqual([true]);
  });
});

describe('variants', () => {
  const moby: VariantCollection = { id: 'm', name: 'Moby', modelId: 'glove-100d', dims: 100, modelDims: 100, precisions: ['float32', 'int8', 'binary'], count: 1000 };
  const mat: VariantCollection = { id: 'n', name: 'Moby 64', modelId: 'use-lite', dims: 64, modelDims: 512, precisions: ['int8', 'ubinary'], count: 1000 };
  it('a collection offers each precision and its cheaper ones rescored with the richest', () => {
    expect(variantsOf(moby).map((v) => variantLabel(v, moby))).toEqual([
      'Moby · glove-100d · float32',
      'Moby · glove-100d · int8',
      'Moby · glove-100d · binary',
      'Moby · glove-100d · int8 + rescore ×4 (float32)',
      'Moby · glove-100d · binary + rescore ×4 (float32)',
    ]);
    expect(variantsOf(mat).map((v) => variantLabel(v, mat))).toEqual([
      'Moby 64 · use-lite · 64 of 512 dims · int8',
      'Moby 64 · use-lite · 64 of 512 dims · ubinary',
      'Moby 64 · use-lite · 64 of 512 dims · ubinary + rescore ×4 (int8)',
    ]);
  });
  it('suggests float32, binary alone and rescored, then other collections — at most four', () => {
    const s = suggestVariants([moby, mat, { ...moby, id: 'o' }]);
    expect(s).toEqual([
      { collectionId: 'm', precision: 'float32' },
      { collectionId: 'm', precision: 'binary' },
      { collectionId: 'm', precision: 'binary', rescore: { multiplier: 4, with: 'float32' } },
      { collectionId: 'n', precision: 'int8' },
    ]);
    expect(suggestVariants([{ ...moby, count: 0 }])).toEqual([]);
  });
  it('costs: bytes per vector, index and what rescoring reads', () => {
    expect(variantCost({ collectionId: 'm', precision: 'binary', rescore: { multiplier: 4, with: 'float32' } }, moby)).toEqual({
      bytesPerVector: 13,
      indexBytes: 13_000,
      rescoreBytes: 400_000,
    });
    expect(variantCost({ collectionId: 'm', precision: 'int8' }, moby).indexBytes).toBe(100_000);
  });
});

describe('2-D PCA by power iteration', () => {
  /** Points spread 10 : 3 : 0.5 along three known orthonormal directions in 6-D, plus an offset. */
  function spread(n: number) {
    const dims = 6;
    const s = Math.SQRT1_2;
    const u = [s, s, 0, 0, 0, 0];
    const v = [0, 0, s, -s, 0, 0];
    const w = [s, -s, 0, 0, 0, 0];
    const rows = new Float32Array(n * dims);
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let r = 0; r < n; r++) {
      const [x, y, z] = [10 * rand(), 3 * rand(), 0.5 * rand()];
      for (let d = 0; d < dims; d++) rows[r * dims + d] = 5 + x * u[d] + y * v[d] + z * w[d];
    }
    return { rows, dims, u, v };
  }
  it('finds the two leading axes in order, and their variance share', () => {
    const { rows, dims, u, v } = spread(4000);
    const p = pca2(rows, dims);
    const cos = (a: ArrayLike<number>, b: number[]) => Math.abs(b.reduce((s, x, i) => s + x * a[i], 0));
    expect(cos(p.axes[0], u)).toBeGreaterThan(0.9999);
    expect(cos(p.axes[1], v)).toBeGreaterThan(0.999);
    // Uniform on [−a, a] has variance a²/3: shares 100 : 9 : 0.25.
    expect(p.explained[0]).toBeCloseTo(100 / 109.25, 2);
    expect(p.explained[1]).toBeCloseTo(9 / 109.25, 2);
    expect(p.points.length).toBe(4000 * 2);
    // Projections are centred.
    const meanX = p.points.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x, 0) / 4000;
    expect(Math.abs(meanX)).toBeLessThan(1e-3);
  });
  it('fits on a sample and still projects every row', () => {
    const { rows, dims, u } = spread(3000);
    const p = pca2(rows, dims, { fitRows: 500 });
    expect(p.fittedRows).toBe(500);
    expect(p.points.length).toBe(6000);
    expect(Math.abs(p.axes[0].reduce((s, x, i) => s + x * u[i], 0))).toBeGreaterThan(0.999);
  });
  it('refuses what cannot be mapped, saying why', () => {
    expect(() => pca2(new Float32Array(5), 5)).toThrow(/at least 2 vectors/);
    expect(() => pca2(new Float32Array(7), 2)).toThrow(/whole rows/);
  });
});

describe('labelled files picked in the page', () => {
  const file = (path: string, text: string) => ({ path, text: async () => text });
  const sts = 'main-captions\tMSRvid\t2012test\t0001\t5.000\tA man is eating.\tA man eats.\n';
  it('one TSV is STS, read by the same parser as npm run eval', async () => {
    const d = await readLabelledFiles([file('sts-test.csv', sts)]);
    expect(d.kind).toBe('sts');
    expect(d.kind === 'sts' && d.pairs).toEqual([{ score: 5, sentence1: 'A man is eating.', sentence2: 'A man eats.' }]);
  });
  it('a BEIR folder needs its three files and says which is missing', async () => {
    const corpus = file('scifact/corpus.jsonl', '{"_id":"d1","text":"one"}\n');
    const queries = file('scifact/queries.jsonl', '{"_id":"q1","text":"q"}\n');
    const qrels = file('scifact/qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    const d = await readLabelledFiles([corpus, queries, qrels, file('scifact/qrels/train.tsv', 'x')]);
    expect(d.kind === 'beir' && d.name).toBe('scifact');
    expect(d.kind === 'beir' && d.data.corpus.length).toBe(1);
    await expect(readLabelledFiles([corpus, qrels])).rejects.toThrow(/queries\.jsonl is missing/);
    await expect(readLabelledFiles([corpus])).rejects.toThrow(/queries\.jsonl and qrels\/test\.tsv are missing/);
  });
  it('bad files get a message naming the file and the line', async () => {
    await expect(readLabelledFiles([file('x.tsv', 'header\nnot\tenough\n')])).rejects.toThrow(/x\.tsv, line 2: expected 7 tab-separated columns/);
    await expect(readLabelledFiles([file('a.tsv', sts), file('b.tsv', sts)])).rejects.toThrow(LabelledDataError);
    await expect(readLabelledFiles([])).rejects.toThrow(/No files picked/);
  });
});

describe('map layout', () => {
  it('fits points into the box with y up, and centres a degenerate axis', () => {
    const s = fitToBox(Float32Array.from([0, 0, 10, 5, 5, 10]), 120, 100, 10);
    expect(Array.from(s)).toEqual([10, 90, 110, 50, 60, 10]);
    expect(Array.from(fitToBox(Float32Array.from([3, 1, 3, 2]), 100, 100, 0))).toEqual([50, 100, 50, 0]);
  });
  it('colours the largest sources first; the rest share one colour and one legend line', () => {
    const { colourOf, legend } = coloursBySource(['b', 'a', 'b', 'c', 'd', 'b', 'a'], ['red', 'blue'], 'grey');
    expect([...colourOf]).toEqual([['b', 'red'], ['a', 'blue'], ['c', 'grey'], ['d', 'grey']]);
    expect(legend).toEqual([
      { source: 'b', colour: 'red', count: 3 },
      { source: 'a', colour: 'blue', count: 2 },
      { source: '2 more files', colour: 'grey', count: 2 },
    ]);
  });
  it('finds the point under the pointer within the radius, else none', () => {
    const screen = Float32Array.from([10, 10, 20, 20, 30, 30]);
    expect(nearestPoint(screen, 19, 22, 8)).toBe(1);
    expect(nearestPoint(screen, 50, 50, 8)).toBeNull();
  });
});
