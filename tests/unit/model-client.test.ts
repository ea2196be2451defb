/** The padding arithmetic (framework-free parts of the throughput work). */
import { describe, expect, it } from 'vitest';
import { paddedFraction } from '../../src/bench/padding.ts';

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
