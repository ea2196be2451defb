import { describe, expect, it } from 'vitest';
import { pearson, ranks, rowCosine, spearman } from '../../src/core/eval/metrics.ts';
import { parseSts } from '../../src/core/eval/sts.ts';

describe('metrics', () => {
  it('ranks ties by their average rank', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
  });
  it('spearman of a monotone but non-linear relation is 1, pearson is not', () => {
    const x = [1, 2, 3, 4, 5];
    const y = x.map((v) => v ** 3);
    expect(spearman(x, y)).toBeCloseTo(1, 12);
    expect(pearson(x, y)).toBeLessThan(0.99);
  });
  it('spearman matches a hand computation with ties', () => {
    // ranks a = [1,2.5,2.5,4], b = [2,1,3,4]; deviations [-1.5,0,0,1.5] and [-0.5,-1.5,0.5,1.5]:
    // r = 3 / sqrt(4.5 · 5)
    expect(spearman([1, 2, 2, 3], [20, 10, 30, 40])).toBeCloseTo(3 / Math.sqrt(22.5), 12);
  });
  it('rowCosine', () => {
    const a = new Float32Array([1, 0, 1, 1]);
    expect(rowCosine(a, a, 2, 0, 1)).toBeCloseTo(Math.SQRT1_2, 6);
    expect(rowCosine(new Float32Array([0, 0]), a, 2, 0, 0)).toBe(0);
  });
});

describe('parseSts', () => {
  it('reads STS-B rows (extra columns ignored) and rejects malformed ones with the line number', () => {
    const text = 'g\tf\t2012\t1\t2.5\tA girl.\tA woman.\ng\tf\t2012\t2\t5.0\tx\ty\textra\tcols\n';
    expect(parseSts(text)).toEqual([
      { score: 2.5, sentence1: 'A girl.', sentence2: 'A woman.' },
      { score: 5, sentence1: 'x', sentence2: 'y' },
    ]);
    expect(() => parseSts('g\tf\t2012\t1\t2.5\tA\tB\nbroken line\n', 'sts.tsv')).toThrow('sts.tsv, line 2: expected 7 tab-separated columns');
  });
});
