/**
 * The whole distillation, from a teacher that can embed texts to the files of a static model:
 * vocabulary → token-only table (each word through the teacher) → SIF weights → corpus fit →
 * PCA → model2vec files. Framework-free: the Node CLI (scripts/distill.ts) and a worker run it
 * alike; the teacher is a function, so any loaded transformer (embedded, hub or dropped) serves.
 *
 * Bad input is refused with DistillError before the teacher runs: a tokenizer whose vocabulary
 * cannot be enumerated and no corpus to mine words from, a corpus too small to fit. A fit that
 * ends worse on the held-out sentences than its token-only start is dropped, and the result says so.
 *
 * Resumable (a crash, a closed tab): given `checkpoints`, the teacher's answers are kept batch by
 * batch as they come and the fit's state at epoch ends; a later call with the same inputs and the
 * same store starts each pass where the kept answers end and the fit at its last checkpoint, and
 * so writes the same files as a run that was never interrupted (tests/unit/distill-resume.test.ts).
 */
import { AbortError } from '../errors.ts';
import { DistillError } from './errors.ts';
import { fitTable, MIN_FIT_SENTENCES, type FitCheckpoint, type FitOptions, type EpochReport } from './fit.ts';
import { applyPca, fitPca } from './pca.ts';
import { sifFromCounts } from './sif.ts';
import { distilledModelFiles, poolSentences, type DistilledTable } from './model.ts';
import { encodeCorpus, mergeVocabulary, mineWords, teacherWords, type EncodedCorpus } from './vocabulary.ts';
import type { StaticModelFiles } from '../models/word-vectors.ts';

export interface Teacher {
  id: string;
  /** The teacher's tokenizer.json (parsed), or null when it has none to offer. */
  tokenizerJson: unknown;
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array>;
}

export type DistillStep = 'vocabulary' | 'token-only' | 'corpus' | 'fit' | 'pca' | 'write';

/** The teacher passes that can be resumed: each word alone, and the corpus sentences. */
export type TeacherPass = 'token-only' | 'corpus';

/**
 * Where a run keeps what it would otherwise have to compute again (IndexedDB in the page:
 * src/core/distill/checkpoint-db.ts; a Map in tests). `progress` is where the run stood, to show
 * an interrupted run. A write that fails must not stop the run: the store reports and skips it.
 */
export interface DistillCheckpoints {
  /** The teacher's vectors kept for a pass, contiguous from text 0 (chunks in order), or none. */
  loadPass(pass: TeacherPass): Promise<Float32Array[]>;
  /** Vectors of texts [at, at + n) of a pass. */
  savePass(pass: TeacherPass, at: number, vectors: Float32Array, progress: DistillProgress): Promise<void>;
  loadFit(): Promise<FitCheckpoint | null>;
  saveFit(c: FitCheckpoint, progress: DistillProgress): Promise<void>;
}

export interface DistillProgress {
  step: DistillStep;
  done: number;
  total: number;
  /** The fit's epoch reports so far. */
  epoch?: EpochReport;
}

export interface DistillOptions {
  /** Corpus sentences: words are mined from them and, unless `fit` is false, the table is fitted to them. */
  sentences: string[];
  /** The teacher's vectors of `sentences` when already known (a stored collection): skips that pass. */
  sentenceVectors?: Float32Array;
  /** More words, most useful first (a frequency list), after the corpus's and the teacher's. */
  extraWords?: readonly string[];
  maxWords?: number;
  /** A word must appear this often in the corpus to be mined. */
  minCount?: number;
  /** SIF a (from corpus counts); 0 = plain mean. */
  sifA?: number;
  /** PCA target dims; 0 or ≥ the teacher's = none. */
  pcaDims?: number;
  fit?: FitOptions | false;
  precision?: 'int8' | 'fp32';
  /** Texts per teacher call. */
  teacherBatch?: number;
  signal?: AbortSignal;
  onProgress?: (p: DistillProgress) => void;
  /** Keep and reuse the run's state (see the file comment). */
  checkpoints?: DistillCheckpoints;
}

export interface DistillResult {
  files: StaticModelFiles;
  table: DistilledTable;
  /** The token-only table after the same PCA: the fit's starting point, for comparison. */
  tokenOnly: DistilledTable;
  /** Agreement with the teacher on held-out sentence pairs (1 − mean squared cosine difference; 1 = the teacher): token-only start vs the fitted table, both after PCA. */
  heldOutAgreement: { tokenOnly: number; fitted: number | null };
  kept: 'fitted' | 'token-only';
  /** Said to the person when the fit was dropped, or skipped. */
  notes: string[];
  fitHistory: EpochReport[];
  config: Record<string, unknown>;
}

export const DISTILL_DEFAULTS = { maxWords: 40_000, minCount: 2, sifA: 1e-3, pcaDims: 256, precision: 'int8' as const, teacherBatch: 512 };

export async function distill(teacher: Teacher, opts: DistillOptions): Promise<DistillResult> {
  const o = { ...DISTILL_DEFAULTS, ...opts };
  const check = () => {
    if (o.signal?.aborted) throw new AbortError('The distillation was cancelled');
  };
  const progress = (step: DistillStep, done: number, total: number, epoch?: EpochReport) => o.onProgress?.({ step, done, total, epoch });
  const notes: string[] = [];

  progress('vocabulary', 0, 1);
  const mined = mineWords(o.sentences, o.minCount);
  let fromTeacher: string[] = [];
  try {
    fromTeacher = teacherWords(teacher.tokenizerJson);
  } catch (err) {
    if (!(err instanceof DistillError) || mined.words.length === 0) throw err;
    notes.push(`${err.message.split(':')[0]}; the vocabulary comes from the corpus only.`);
  }
  const words = mergeVocabulary([mined.words, fromTeacher, o.extraWords ?? []], o.maxWords);
  if (words.length === 0) throw new DistillError('no words to distil: the corpus is empty and the teacher lists no whole words');
  const corpus = encodeCorpus(o.sentences, words);
  const fitting = o.fit !== false;
  if (fitting) {
    const usable = countUsable(corpus);
    if (usable < MIN_FIT_SENTENCES) {
      throw new DistillError(
        `the corpus has ${usable} sentence${usable === 1 ? '' : 's'} with known words; a corpus fit needs at least ${MIN_FIT_SENTENCES} (more is better: use-lite-static used ~83,000). Add text, or distil token-only.`,
      );
    }
  }
  progress('vocabulary', 1, 1);

  // Token-only: each word alone through the teacher (model2vec's distil).
  const wordVectors = await embedAll(teacher, words, o.teacherBatch, (d) => progress('token-only', d, words.length), o.signal, passStore(o.checkpoints, 'token-only'));
  const dims = wordVectors.length / words.length;
  const countOf = new Map(mined.words.map((w, i) => [w, mined.counts[i]]));
  const weights = o.sifA > 0 && mined.total > 0 ? sifFromCounts(words.map((w) => countOf.get(w) ?? 0), mined.total, o.sifA) : new Float32Array(words.length).fill(1);
  const start: DistilledTable = { words, table: wordVectors, dims, weights };

  let fitted: DistilledTable | null = null;
  let fitHistory: EpochReport[] = [];
  let heldOut: Int32Array | null = null;
  let targets: Float32Array | null = null;
  if (fitting) {
    check();
    if (o.sentenceVectors) {
      if (o.sentenceVectors.length !== o.sentences.length * dims) {
        throw new DistillError(`the stored vectors (${o.sentenceVectors.length / dims} × ${dims}) do not match the ${o.sentences.length} corpus sentences and the teacher's ${dims} dims`);
      }
      targets = o.sentenceVectors;
    } else {
      targets = await embedAll(teacher, o.sentences, o.teacherBatch, (d) => progress('corpus', d, o.sentences.length), o.signal, passStore(o.checkpoints, 'corpus'));
    }
    const fitOpts = o.fit as FitOptions;
    const maxEpochs = fitOpts.maxEpochs ?? 20;
    const store = o.checkpoints;
    const resume = (await store?.loadFit()) ?? undefined;
    if (resume) progress('fit', resume.epoch, maxEpochs, resume.history.at(-1));
    const r = await fitTable(corpus, targets, start, {
      ...fitOpts,
      signal: o.signal,
      resume,
      onCheckpoint: store ? (c) => store.saveFit(c, { step: 'fit', done: c.epoch, total: maxEpochs, epoch: c.history.at(-1) }) : undefined,
      onEpoch: (e) => {
        fitOpts.onEpoch?.(e);
        progress('fit', e.epoch, maxEpochs, e);
      },
    });
    fitted = { ...start, table: r.table, weights: r.weights };
    fitHistory = r.history;
    heldOut = r.heldOut;
  }

  check();
  progress('pca', 0, 1);
  const reduce = (t: DistilledTable) => (o.pcaDims > 0 && o.pcaDims < dims ? pcaTable(t, o.pcaDims) : t);
  const startReduced = reduce(start);
  const fittedReduced = fitted ? reduce(fitted) : null;
  progress('pca', 1, 1);

  let tokenOnlyScore = NaN;
  let fittedScore: number | null = null;
  let kept: DistillResult['kept'] = 'token-only';
  let result = startReduced;
  if (fittedReduced && heldOut && targets) {
    tokenOnlyScore = heldOutAgreement(startReduced, corpus, heldOut, targets, dims);
    fittedScore = heldOutAgreement(fittedReduced, corpus, heldOut, targets, dims);
    if (fittedScore > tokenOnlyScore) {
      kept = 'fitted';
      result = fittedReduced;
    } else {
      notes.push(
        `The corpus fit did not beat its token-only start on the held-out sentences (agreement with the teacher ${fittedScore.toFixed(4)} vs ${tokenOnlyScore.toFixed(4)}), so the token-only table was kept.`,
      );
    }
  } else if (!fitting) notes.push('No corpus fit: token-only table.');

  progress('write', 0, 1);
  const config = {
    teacher: teacher.id,
    distilled_by: 'embedscope src/core/distill',
    vocabulary: { words: words.length, corpus_words: mined.words.length, teacher_words: fromTeacher.length, extra_words: o.extraWords?.length ?? 0, min_count: o.minCount },
    corpus_sentences: o.sentences.length,
    sif_a: o.sifA,
    pca_dims: result.dims,
    fit: fitting ? { ...(o.fit as FitOptions), signal: undefined, onEpoch: undefined, epochs: fitHistory.length } : false,
    kept,
    held_out_agreement: { token_only: tokenOnlyScore, fitted: fittedScore },
  };
  const files = distilledModelFiles(result, { precision: o.precision, config });
  progress('write', 1, 1);
  return { files, table: result, tokenOnly: startReduced, heldOutAgreement: { tokenOnly: tokenOnlyScore, fitted: fittedScore }, kept, notes, fitHistory, config };
}

function countUsable(c: EncodedCorpus): number {
  let n = 0;
  for (let s = 0; s + 1 < c.offsets.length; s++) if (c.offsets[s + 1] > c.offsets[s]) n++;
  return n;
}

interface PassStore {
  load(): Promise<Float32Array[]>;
  save(at: number, vectors: Float32Array, done: number, total: number): Promise<void>;
}

function passStore(store: DistillCheckpoints | undefined, pass: TeacherPass): PassStore | undefined {
  return store && { load: () => store.loadPass(pass), save: (at, vectors, done, total) => store.savePass(pass, at, vectors, { step: pass, done, total }) };
}

/**
 * The teacher's vectors of `texts`, `batch` at a time; with a store, each batch is kept as it
 * comes (a few ms for a batch the teacher took seconds over) and kept batches are not asked again.
 */
async function embedAll(teacher: Teacher, texts: readonly string[], batch: number, onDone: (done: number) => void, signal?: AbortSignal, store?: PassStore): Promise<Float32Array> {
  let out: Float32Array | null = null;
  let dims = 0;
  let start = 0;
  const kept = (await store?.load()) ?? [];
  const keptCount = kept.reduce((n, c) => n + c.length, 0);
  for (const chunk of kept) {
    if (!out) {
      // The first chunk is one batch (or all texts): its size gives the dims.
      const n = Math.min(batch, texts.length);
      dims = chunk.length / n;
      if (!Number.isInteger(dims) || dims < 1 || keptCount % dims !== 0 || keptCount / dims > texts.length) break;
      out = new Float32Array(texts.length * dims);
    }
    out.set(chunk, start * dims);
    start += chunk.length / dims;
  }
  onDone(start);
  for (let at = start; at < texts.length; at += batch) {
    if (signal?.aborted) throw new AbortError('The distillation was cancelled');
    const part = texts.slice(at, at + batch);
    const v = await teacher.embed(part, signal);
    if (!out) {
      dims = v.length / part.length;
      if (!Number.isInteger(dims) || dims < 1) throw new DistillError(`the teacher returned ${v.length} numbers for ${part.length} texts`);
      out = new Float32Array(texts.length * dims);
    } else if (v.length !== part.length * dims) throw new DistillError(`the teacher returned ${v.length} numbers for ${part.length} texts of ${dims} dims`);
    out.set(v, at * dims);
    const done = Math.min(texts.length, at + batch);
    await store?.save(at, v, done, texts.length);
    onDone(done);
  }
  return out ?? new Float32Array(0);
}

/**
 * PCA of the rows as the pooled sentence sees them (× their weight); the weights become 1. The
 * axes come from the centred rows, but the rows are projected uncentred: a pure rotation and cut,
 * so every pooled sentence is its old vector's projection. Centring the weighted rows shifts each
 * by −mean, which for a sentence of low-weight (frequent) words outweighs the words themselves:
 * use-lite token-only, SIF 1e-3, 512 → 256 dims, STS-B test 0.6341 → 0.4111 centred, 0.6319
 * uncentred (unweighted centred rows with the weights kept: 0.6146).
 */
export function pcaTable(t: DistilledTable, k: number): DistilledTable {
  const scaled = new Float32Array(t.table.length);
  for (let r = 0; r < t.words.length; r++) {
    const w = t.weights[r];
    for (let d = 0; d < t.dims; d++) scaled[r * t.dims + d] = t.table[r * t.dims + d] * w;
  }
  const model = fitPca(scaled, t.dims, k);
  model.mean.fill(0);
  return { words: t.words, dims: k, table: applyPca(model, scaled), weights: new Float32Array(t.words.length).fill(1) };
}

/**
 * Mean cosine between the table's pooled sentences and the teacher's, on the held-out slice.
 * PCA rotates the space, so the teacher's side is compared through sentence–sentence cosines:
 * for each held-out sentence, the cosine with the next one, student vs teacher, as a squared error.
 * Returned as 1 − mean squared difference, so higher is better on either side of a PCA.
 */
export function heldOutAgreement(t: DistilledTable, corpus: EncodedCorpus, heldOut: Int32Array, targets: Float32Array, teacherDims: number): number {
  const ids: number[] = [];
  const offsets = [0];
  for (const s of heldOut) {
    for (let k = corpus.offsets[s]; k < corpus.offsets[s + 1]; k++) ids.push(corpus.ids[k]);
    offsets.push(ids.length);
  }
  const pooled = poolSentences(t, { offsets: Int32Array.from(offsets), ids: Int32Array.from(ids) });
  const n = heldOut.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    let student = 0;
    for (let d = 0; d < t.dims; d++) student += pooled[i * t.dims + d] * pooled[j * t.dims + d];
    let teacherCos = 0;
    let ni = 0;
    let nj = 0;
    const a = heldOut[i] * teacherDims;
    const b = heldOut[j] * teacherDims;
    for (let d = 0; d < teacherDims; d++) {
      teacherCos += targets[a + d] * targets[b + d];
      ni += targets[a + d] ** 2;
      nj += targets[b + d] ** 2;
    }
    teacherCos /= Math.sqrt(ni * nj) || 1;
    sum += (student - teacherCos) ** 2;
  }
  return 1 - sum / n;
}
