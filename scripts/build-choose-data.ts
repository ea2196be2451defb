/**
 * `npx tsx scripts/build-choose-data.ts [--from ../shared/data/stsbenchmark]`
 *
 * Builds the labelled data the app ships for the Choose view (public/data/, committed, so a
 * fresh clone without ../shared still has it):
 * - stsb/sts-test.tsv: the STS Benchmark test split, byte for byte (1379 pairs), with its LICENSE.txt.
 * - stsb-retrieval/: a small BEIR-format set made from the same split. Corpus: every distinct
 *   sentence2; queries: every distinct sentence1 of a pair scored ≥ 4 (of 5) whose sentence2
 *   differs from it; qrels: that pair's sentence2, relevance 1. A paraphrase search, then.
 * - manifest.json: file sizes and SHA-256, which name the data in the Choose view's cache keys.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSts } from '../src/core/eval/sts.ts';

const { values } = parseArgs({ options: { from: { type: 'string', default: '../shared/data/stsbenchmark' } } });
const from = resolve(values.from!);
if (!existsSync(join(from, 'sts-test.csv'))) {
  console.error(`build-choose-data: ${from}/sts-test.csv not found (the generated files under public/data/ are committed; nothing to do)`);
  process.exit(2);
}
const out = resolve(import.meta.dirname ?? '.', '..', 'public', 'data');
const write = (path: string, text: string | Buffer) => {
  mkdirSync(join(out, path, '..'), { recursive: true });
  writeFileSync(join(out, path), text);
};

const sts = readFileSync(join(from, 'sts-test.csv'));
write('stsb/sts-test.tsv', sts);
write('stsb/LICENSE.txt', readFileSync(join(from, 'LICENSE.txt')));

const pairs = parseSts(sts.toString('utf8'), 'sts-test.csv');
const docIds = new Map<string, string>();
for (const p of pairs) if (!docIds.has(p.sentence2)) docIds.set(p.sentence2, `d${docIds.size}`);
const queryIds = new Map<string, string>();
const qrels: string[] = ['query-id\tcorpus-id\tscore'];
const judged = new Set<string>();
for (const p of pairs) {
  if (p.score < 4 || p.sentence1 === p.sentence2) continue;
  if (!queryIds.has(p.sentence1)) queryIds.set(p.sentence1, `q${queryIds.size}`);
  const key = `${queryIds.get(p.sentence1)}\t${docIds.get(p.sentence2)}`;
  if (judged.has(key)) continue;
  judged.add(key);
  qrels.push(`${key}\t1`);
}
write('stsb-retrieval/corpus.jsonl', [...docIds].map(([text, id]) => JSON.stringify({ _id: id, title: '', text })).join('\n') + '\n');
write('stsb-retrieval/queries.jsonl', [...queryIds].map(([text, id]) => JSON.stringify({ _id: id, text })).join('\n') + '\n');
write('stsb-retrieval/qrels/test.tsv', qrels.join('\n') + '\n');

const files = ['stsb/sts-test.tsv', 'stsb-retrieval/corpus.jsonl', 'stsb-retrieval/queries.jsonl', 'stsb-retrieval/qrels/test.tsv'];
const manifest = {
  source: 'STS Benchmark (Cer et al., SemEval-2017 Task 1), test split; scores CC BY-SA 4.0, sentences under their source corpora licences (stsb/LICENSE.txt)',
  built: 'scripts/build-choose-data.ts',
  sts: { pairs: pairs.length },
  retrieval: { documents: docIds.size, queries: queryIds.size, judgements: qrels.length - 1 },
  files: Object.fromEntries(files.map((f) => {
    const bytes = readFileSync(join(out, f));
    return [f, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }];
  })),
};
write('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
console.log(`public/data: ${pairs.length} STS pairs; retrieval ${docIds.size} documents, ${queryIds.size} queries, ${qrels.length - 1} judgements`);
