import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluateRetrieval, evaluateSts } from '../../src/core/eval/evaluate.ts';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { memoryFiles, tinyModelFiles } from '../helpers/tiny-model.ts';

const root = resolve(__dirname, '../..');

async function tinyEmbed() {
  const model = await loadStaticModel(memoryFiles(tinyModelFiles()), { id: 'tiny' });
  return async (texts: string[]) => model.embed(texts);
}

describe('evaluate', () => {
  it('STS Spearman is 1 when similarity orders pairs as the gold scores do, for every precision', async () => {
    const pairs = [
      { score: 5, sentence1: 'apple', sentence2: 'apple' },
      { score: 3, sentence1: 'apple', sentence2: 'apple banana' },
      { score: 0, sentence1: 'apple', sentence2: 'cherry' },
    ];
    for (const precision of ['float32', 'int8', 'binary'] as const) {
      const r = await evaluateSts(pairs, await tinyEmbed(), { precision });
      expect(r).toEqual({ spearman: expect.closeTo(1, 9), n: 3 });
    }
  });

  it('retrieval finds each query’s document: NDCG@10 = recall@100 = 1', async () => {
    const data = {
      corpus: [{ id: 'a', text: 'apple' }, { id: 'b', text: 'banana' }, { id: 'c', text: 'cherry' }],
      queries: [{ id: 'q1', text: 'apple apple' }, { id: 'q2', text: 'cherry' }],
      qrels: new Map([['q1', new Map([['a', 1]])], ['q2', new Map([['c', 1]])]]),
    };
    const r = await evaluateRetrieval(data, await tinyEmbed(), { precision: 'binary', rescore: 4 });
    expect(r).toEqual({ ndcg10: 1, recall100: 1, n: 2 });
  });
});

describe('npm run eval', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedscope-eval-'));
  const run = (...args: string[]) =>
    execFileSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/eval.ts'), ...args], { cwd: root, encoding: 'utf8', stdio: 'pipe' });

  it('writes STS rows for glove-100d', () => {
    const sts = join(dir, 'sts.tsv');
    writeFileSync(sts, [
      'g\tf\t2012\t1\t5.0\tA man is eating food.\tA man is eating a piece of bread.',
      'g\tf\t2012\t2\t0.5\tA man is eating food.\tThe girl is carrying a baby.',
      'g\tf\t2012\t3\t4.0\tA woman plays the violin.\tA woman is playing a violin.',
    ].join('\n'));
    run('--data', sts, '--model', 'glove-100d', '--precision', 'int8', '--json', join(dir, 'sts.json'));
    const { results } = JSON.parse(readFileSync(join(dir, 'sts.json'), 'utf8'));
    expect(results).toEqual([{ metric: 'spearman', value: expect.any(Number), n: 3, model: 'glove-100d', dtype: 'int8', precision: 'int8', rescore: 1, dims: 100 }]);
  });

  it('writes NDCG@10 and recall@100 rows for a BEIR folder', () => {
    const beir = join(dir, 'beir');
    mkdirSync(join(beir, 'qrels'), { recursive: true });
    writeFileSync(join(beir, 'corpus.jsonl'), ['whales swim in the ocean', 'the stock market fell', 'a violin concert'].map((t, i) => JSON.stringify({ _id: `d${i}`, text: t })).join('\n'));
    writeFileSync(join(beir, 'queries.jsonl'), JSON.stringify({ _id: 'q', text: 'the sea and its whales' }));
    writeFileSync(join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq\td0\t1\n');
    run('--data', beir, '--model', 'glove-100d', '--precision', 'binary', '--rescore', '4', '--dims', '64', '--json', join(dir, 'beir.json'));
    const { results } = JSON.parse(readFileSync(join(dir, 'beir.json'), 'utf8'));
    expect(results.map((r: { metric: string }) => r.metric)).toEqual(['ndcg@10', 'recall@100']);
    expect(results[0]).toMatchObject({ value: 1, n: 1, precision: 'binary', rescore: 4, dims: 64 });
  });

  it('refuses an unknown precision and a missing file with a message', () => {
    expect(() => run('--data', join(dir, 'nope.tsv'))).toThrow(/nope\.tsv does not exist/);
    expect(() => run('--data', dir, '--precision', 'int4')).toThrow(/unknown precision "int4"/);
  });
});
