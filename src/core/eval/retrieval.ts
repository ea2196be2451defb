/**
 * Retrieval quality the way BEIR reports it (pytrec_eval): NDCG@k with linear gains
 * (gain = relevance, discount log2(rank + 1)) and recall@k over documents with relevance > 0.
 */
import type { Hit } from '../search/topk.ts';

export type Qrels = Map<string, Map<string, number>>;

export function ndcgAtK(ranked: string[], relevant: Map<string, number>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) dcg += (relevant.get(ranked[i]) ?? 0) / Math.log2(i + 2);
  const ideal = [...relevant.values()].filter((r) => r > 0).sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  ideal.forEach((r, i) => (idcg += r / Math.log2(i + 2)));
  return idcg === 0 ? 0 : dcg / idcg;
}

export function recallAtK(ranked: string[], relevant: Map<string, number>, k: number): number {
  const wanted = [...relevant.entries()].filter(([, r]) => r > 0).map(([id]) => id);
  if (wanted.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return wanted.filter((id) => top.has(id)).length / wanted.length;
}

/** Overlap@k of two result lists (quality without labels: how much of the reference a variant keeps). */
export function overlapAtK(a: Hit[], reference: Hit[], k: number): number {
  const ref = new Set(reference.slice(0, k).map((h) => h.index));
  return a.slice(0, k).filter((h) => ref.has(h.index)).length / Math.max(1, Math.min(k, reference.length));
}

export interface BeirData {
  corpus: { id: string; text: string }[];
  queries: { id: string; text: string }[];
  qrels: Qrels;
}

/** A BEIR folder's three files, already read: corpus.jsonl, queries.jsonl, qrels/test.tsv. */
export function parseBeir(corpusJsonl: string, queriesJsonl: string, qrelsTsv: string): BeirData {
  const jsonl = (text: string, file: string) =>
    text.split('\n').filter((l) => l.trim()).map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`${file}, line ${i + 1}: not JSON`);
      }
    });
  const corpus = jsonl(corpusJsonl, 'corpus.jsonl').map((d) => ({ id: String(d._id), text: [d.title, d.text].filter(Boolean).join(' ') }));
  const qrels: Qrels = new Map();
  for (const [i, line] of qrelsTsv.split('\n').entries()) {
    const cols = line.trim().split('\t');
    if (cols.length < 3 || (i === 0 && !Number.isFinite(Number(cols[2])))) continue; // header
    const [q, d, score] = cols;
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(d, Number(score));
  }
  const queries = jsonl(queriesJsonl, 'queries.jsonl').map((q) => ({ id: String(q._id), text: String(q.text) })).filter((q) => qrels.has(q.id));
  if (corpus.length === 0 || queries.length === 0) throw new Error('the BEIR folder has no documents, or no queries with judgements in qrels/test.tsv');
  return { corpus, queries, qrels };
}
