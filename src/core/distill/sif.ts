/**
 * Smooth inverse frequency (Arora et al. 2017): w = a / (a + p(word)). Frequent words ("the",
 * ",") weigh little in the mean, rare content words nearly 1.
 */
import { sifWeights } from '../models/word-vectors.ts';

/** From corpus counts; a word the corpus never saw gets p = 0.5 / total (half a sighting). */
export function sifFromCounts(counts: ArrayLike<number>, total: number, a: number): Float32Array {
  if (!(a > 0)) throw new RangeError(`SIF a must be > 0 (got ${a})`);
  if (!(total > 0)) throw new RangeError('SIF weights need a corpus with at least one word');
  const out = new Float32Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const p = Math.max(counts[i], 0.5) / total;
    out[i] = a / (a + p);
  }
  return out;
}

/** From the rank alone (Zipf), model2vec's choice when only an ordered vocabulary is known. */
export const sifFromRank = sifWeights;
