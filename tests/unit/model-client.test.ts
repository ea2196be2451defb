/** The static split and the padding arithmetic (framework-free parts of the throughput work). */
import { describe, expect, it } from 'vitest';
import { shareContiguous } from '../../src/bench/pool.ts';
import { paddedFraction } from '../../src/bench/padding.ts';

describe('a pool shares a static model\'s call in contiguous parts of equal characters', () => {
  it('covers every text once, in order, with the characters split evenly', () => {
    const texts = ['x'.repeat(100), 'x'.repeat(90), 'a', 'b', 'c', 'd', 'x'.repeat(10), 'x'.repeat(10)];
    const ranges = shareContiguous(texts, 2);
    expect(ranges).toEqual([[0, 1], [1, 8]]);
    const many = Array.from({ length: 1000 }, (_, i) => 'y'.repeat(1 + ((i * 37) % 200)));
    for (const parts of [2, 3, 4]) {
      const r = shareContiguous(many, parts);
      expect(r).toHaveLength(parts);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(many.length);
      for (let i = 1; i < r.length; i++) expect(r[i][0]).toBe(r[i - 1][1]);
      const work = r.map(([a, b]) => many.slice(a, b).reduce((n, t) => n + t.length + 1, 0));
      expect(Math.max(...work) - Math.min(...work)).toBeLessThanOrEqual(2 * 201);
    }
  });
  it('never more parts than texts, and none empty', () => {
    expect(shareContiguous(['one'], 4)).toEqual([[0, 1]]);
    expect(shareContiguous(['a', 'b'], 3)).toEqual([[0, 1], [1, 2]]);
    expect(shareContiguous(['', '', ''], 2)).toEqual([[0, 2], [2, 3]]);
  });
});

describe('padding', () => {
  it('a call sorted by length pads less than one in corpus order', () => {
    const lengths = [10, 2, 10, 2, 10, 2, 10, 2];
    // Calls of 2 (unsorted pairs): every batch is [10, 2]: 8 of 20 positions padded.
    expect(paddedFraction(lengths, 2, 2)).toBeCloseTo(0.4);
    // One call of 8, sorted: [2,2] [2,2] [10,10] [10,10]: no padding.
    expect(paddedFraction(lengths, 2, 8)).toBe(0);
    expect(paddedFraction([], 2, 8)).toBe(0);
  });
});
