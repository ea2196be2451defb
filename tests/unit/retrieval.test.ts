import { describe, expect, it } from 'vitest';
import { ndcgAtK, overlapAtK, parseBeir, recallAtK } from '../../src/core/eval/retrieval.ts';

describe('retrieval metrics (BEIR / pytrec_eval definitions)', () => {
  const rel = new Map([['d1', 2], ['d2', 1], ['d9', 0]]);
  it('NDCG@k with linear gains', () => {
    // ranked d2, x, d1: DCG = 1/log2(2) + 0 + 2/log2(4) = 2; ideal d1, d2: 2 + 1/log2(3)
    expect(ndcgAtK(['d2', 'x', 'd1'], rel, 10)).toBeCloseTo(2 / (2 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK(['d1', 'd2'], rel, 10)).toBeCloseTo(1, 12);
    expect(ndcgAtK(['x'], rel, 10)).toBe(0);
    expect(ndcgAtK(['x', 'd1'], rel, 1)).toBe(0);
  });
  it('recall@k counts only relevance > 0', () => {
    expect(recallAtK(['d9', 'd2'], rel, 100)).toBe(0.5);
    expect(recallAtK(['d1', 'd2'], rel, 1)).toBe(0.5);
  });
  it('overlap@k', () => {
    const h = (...ix: number[]) => ix.map((index) => ({ index, score: 0 }));
    expect(overlapAtK(h(1, 2, 3), h(3, 2, 9), 3)).toBeCloseTo(2 / 3);
  });
  it('parses a BEIR folder, joining title and text and keeping only judged queries', () => {
    const data = parseBeir(
      '{"_id":"d1","title":"T","text":"body"}\n{"_id":"d2","text":"two"}\n',
      '{"_id":"q1","text":"query"}\n{"_id":"q2","text":"unjudged"}\n',
      'query-id\tcorpus-id\tscore\nq1\td1\t1\n',
    );
    expect(data.corpus).toEqual([{ id: 'd1', text: 'T body' }, { id: 'd2', text: 'two' }]);
    expect(data.queries).toEqual([{ id: 'q1', text: 'query' }]);
    expect(data.qrels.get('q1')?.get('d1')).toBe(1);
  });
});
