/**
 * Bounded top-k: a min-heap of the k best (highest) scores seen, O(n log k) over n candidates.
 * Ties go to the lower index, at the boundary too, so results match a sort of all scores.
 */
export interface Hit {
  index: number;
  score: number;
}

export class TopK {
  private readonly scores: Float64Array;
  private readonly indices: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(k, 1));
    this.indices = new Int32Array(Math.max(k, 1));
  }

  /** The score a candidate must beat to get in (−∞ until the heap is full). */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0];
  }

  push(index: number, score: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      // sift up
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, index, this.scores[parent], this.indices[parent])) break;
        this.scores[i] = this.scores[parent];
        this.indices[i] = this.indices[parent];
        i = parent;
      }
      this.scores[i] = score;
      this.indices[i] = index;
    } else if (worse(this.scores[0], this.indices[0], score, index)) {
      // replace the root and sift down
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= this.size) break;
        const right = left + 1;
        const child =
          right < this.size && worse(this.scores[right], this.indices[right], this.scores[left], this.indices[left]) ? right : left;
        if (!worse(this.scores[child], this.indices[child], score, index)) break;
        this.scores[i] = this.scores[child];
        this.indices[i] = this.indices[child];
        i = child;
      }
      this.scores[i] = score;
      this.indices[i] = index;
    }
  }

  /** Best first; ties broken by the lower index so results are deterministic. */
  result(): Hit[] {
    const hits: Hit[] = [];
    for (let i = 0; i < this.size; i++) hits.push({ index: this.indices[i], score: this.scores[i] });
    return hits.sort((a, b) => b.score - a.score || a.index - b.index);
  }
}

/** Whether hit a ranks below hit b: a lower score, or the same score at a higher index. */
function worse(aScore: number, aIndex: number, bScore: number, bIndex: number): boolean {
  return aScore < bScore || (aScore === bScore && aIndex > bIndex);
}

/** The best k of several top-k lists (each worker's part of a scan), ties to the lower index. */
export function mergeHits(parts: Hit[][], k: number): Hit[] {
  const top = new TopK(k);
  for (const part of parts) for (const h of part) top.push(h.index, h.score);
  return top.result();
}
