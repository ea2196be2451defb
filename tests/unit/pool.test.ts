/** A pool's split of one call over its workers (src/bench/pool.ts): every text once, padded work balanced. */
import { describe, expect, it } from 'vitest';
import { shareByLength } from '../../src/bench/pool.ts';

/** Padded characters a worker runs for `rows`: sorted by length, batches of `b`, each padded to its longest. */
function padded(texts: string[], rows: number[], b = 32): number {
  const lens = rows.map((r) => texts[r].length + 1).sort((x, y) => x - y);
  let cost = 0;
  for (let i = 0; i < lens.length; i += b) cost += lens.slice(i, i + b).length * Math.max(...lens.slice(i, i + b));
  return cost;
}

describe('a pool shares a call by length', () => {
  it('runs of similar length, cut so the slowest worker pads least; every text once, in call order', () => {
    const texts = ['x'.repeat(100), 'x'.repeat(90), 'a', 'b', 'c', 'd', 'x'.repeat(10), 'x'.repeat(10)];
    const shares = shareByLength(texts, 2);
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const s of shares) expect(s).toEqual([...s].sort((a, b) => a - b));
    // The two long texts together (2 × 101 padded), the short ones together (6 × 11).
    expect(shares).toEqual([[0, 1], [2, 3, 4, 5, 6, 7]]);
    // Mixed shares (one long text each, the earlier rule) padded each worker to ~100: 4 × 101.
    expect(Math.max(...shares.map((s) => padded(texts, s)))).toBe(202);
  });

  it('counts padding per batch: long shares of many texts are balanced on what the worker runs', () => {
    const texts = Array.from({ length: 200 }, (_, i) => 'x'.repeat(5 + ((i * 37) % 120)));
    const shares = shareByLength(texts, 2, 32);
    const one = padded(texts, texts.map((_, i) => i));
    const work = shares.map((s) => padded(texts, s));
    expect(Math.max(...work)).toBeLessThan(one * 0.6);
    expect(shares.flat()).toHaveLength(200);
  });

  it('never more shares than texts; as many as workers when the texts allow', () => {
    expect(shareByLength(['one'], 4)).toEqual([[0]]);
    expect(shareByLength(['a', 'b'], 3)).toHaveLength(2);
    expect(shareByLength(['a', 'b', 'c'], 3)).toHaveLength(3);
    expect(shareByLength(['same', 'same', 'same', 'same'], 2)).toHaveLength(2);
    expect(shareByLength([], 2)).toEqual([]);
  });
});
