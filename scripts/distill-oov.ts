/**
 * `npx tsx scripts/distill-oov.ts [MODEL_DIR]` — how much a subword fallback for unknown words
 * would give a distilled static model (issue #18), before anyone builds one into the tokenizer.
 *
 * The static model drops a word its table lacks. This embeds STS-B dev (../shared, when there)
 * and test (public/data) three ways, with the model as loaded by our static loader: as is; each
 * unknown word replaced by its greedy longest-match pieces of ≥ 3 characters that the table has
 * (unmatched characters skipped); and WordPiece's rule with an empty continuation prefix (greedy
 * longest match from the start, any length; a position with no match drops the word) — the one
 * rule a standard tokenizer.json can state, so model2vec's own readers would do the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { folderFiles } from '../src/core/models/node-files.ts';
import { loadStaticModel } from '../src/core/models/static.ts';
import { parseSts, type StsPair } from '../src/core/eval/sts.ts';
import { rowCosine, spearman } from '../src/core/eval/metrics.ts';
import { splitWords } from '../src/core/distill/vocabulary.ts';

const root = resolve(import.meta.dirname ?? '.', '..');
const dir = resolve(process.argv[2] ?? resolve(root, 'models/use-lite-static'));
const vocab = new Set(Object.keys(JSON.parse(readFileSync(resolve(dir, 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>));
const model = await loadStaticModel(folderFiles(dir), { id: 'model' });

function pieces(word: string, minLength: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; ) {
    let j = word.length;
    while (j - i >= minLength && !vocab.has(word.slice(i, j))) j--;
    if (j - i >= minLength) (out.push(word.slice(i, j)), (i = j));
    else i++;
  }
  return out;
}
function wordPiece(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; ) {
    let j = word.length;
    while (j > i && !vocab.has(word.slice(i, j))) j--;
    if (j === i) return [];
    out.push(word.slice(i, j));
    i = j;
  }
  return out;
}
const rewrite = (split: (w: string) => string[]) => (s: string) => splitWords(s).map((w) => (vocab.has(w) ? w : split(w).join(' '))).join(' ');

function score(pairs: StsPair[], f: (s: string) => string): number {
  const a = model.embed(pairs.map((p) => f(p.sentence1))).vectors;
  const b = model.embed(pairs.map((p) => f(p.sentence2))).vectors;
  return spearman(pairs.map((_, i) => rowCosine(a, b, model.info.dims, i)), pairs.map((p) => p.score));
}

const sets: [string, string][] = [
  ['dev', resolve(root, '../shared/data/stsbenchmark/sts-dev.csv')],
  ['test', resolve(root, 'public/data/stsb/sts-test.tsv')],
];
for (const [name, file] of sets) {
  if (!existsSync(file)) {
    console.log(`STS-B ${name}: ${file} not there, skipped`);
    continue;
  }
  const pairs = parseSts(readFileSync(file, 'utf8'));
  const words = pairs.flatMap((p) => [...splitWords(p.sentence1), ...splitWords(p.sentence2)]);
  const unknown = words.filter((w) => !vocab.has(w)).length;
  console.log(`STS-B ${name}: ${unknown} of ${words.length} words not in the table (${((100 * unknown) / words.length).toFixed(2)} %)`);
  console.log(`  as is                         ${score(pairs, (s) => s).toFixed(4)}`);
  console.log(`  pieces of >= 3 characters     ${score(pairs, rewrite((w) => pieces(w, 3))).toFixed(4)}`);
  console.log(`  WordPiece rule, prefix ""     ${score(pairs, rewrite(wordPiece)).toFixed(4)}`);
}
