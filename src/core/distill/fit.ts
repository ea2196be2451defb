/**
 * The corpus fit (Tokenlearn's idea, in typed arrays): adjust the word table so that the
 * weighted mean of a sentence's rows points where the teacher's sentence embedding points.
 * pred(s) = Σ wᵢ·E[idᵢ] / nₛ, loss = 1 − cos(pred, target) (or ‖pred/‖pred‖ − target‖² for
 * 'mse' on the unit vectors), minimised by Adam on minibatches, updating only the rows a batch
 * touched (sparse Adam, as torch's SparseAdam: the table is large, a batch touches a few
 * thousand rows). The word weights w can be learned too. After each epoch the loss on a held-out
 * slice decides: the best epoch's table is kept, and training stops after `patience` epochs
 * without improvement.
 *
 * Resumable: at epoch ends the whole state (table, weights, Adam moments and step counts, the best
 * epoch so far, early-stopping counters) goes to `onCheckpoint`, and `resume` starts from such a
 * state. The shuffles come from one seeded generator, so the resumed run replays the finished
 * epochs' shuffles (milliseconds) and continues bit for bit as the uninterrupted run would have.
 */
import { AbortError } from '../errors.ts';
import { DistillError } from './errors.ts';
import type { EncodedCorpus } from './vocabulary.ts';

export interface FitOptions {
  loss?: 'cosine' | 'mse';
  learningRate?: number;
  /** Sentences per Adam step. */
  batch?: number;
  maxEpochs?: number;
  /** Epochs without a better held-out loss before stopping. */
  patience?: number;
  /** Share of sentences held out for early stopping (the last ones after a seeded shuffle). */
  holdout?: number;
  /** Learn the per-word weights as well as the rows. */
  learnWeights?: boolean;
  seed?: number;
  signal?: AbortSignal;
  onEpoch?: (e: EpochReport) => void;
  /** Continue from this state (an earlier run's checkpoint with the same corpus, targets, start and options). */
  resume?: FitCheckpoint;
  /**
   * Called at an epoch end with the live state (awaited: store or copy it before resolving). Not
   * after every epoch: only once the time since the last one is at least `checkpointEvery` × the
   * last write's cost, so writes take at most ~1/checkpointEvery of the fit (first: after epoch 1).
   */
  onCheckpoint?: (c: FitCheckpoint) => void | Promise<void>;
  /** See onCheckpoint; default 10 (≤ ~10 % of the fit spent writing). */
  checkpointEvery?: number;
}

/** Everything a fit needs to continue after `epoch` finished epochs. */
export interface FitCheckpoint {
  epoch: number;
  table: Float32Array;
  weights: Float32Array;
  /** Adam moments of the rows and of the weights, and each row's step count (sparse bias correction). */
  m: Float32Array;
  v: Float32Array;
  wm: Float32Array;
  wv: Float32Array;
  steps: Int32Array;
  /** The best epoch's table and weights; null when that is the current one (saves a copy of the table). */
  best: { table: Float32Array; weights: Float32Array } | null;
  startLoss: number;
  bestLoss: number;
  bestEpoch: number;
  /** Epochs since the best one (early stopping). */
  stale: number;
  history: EpochReport[];
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  heldOutLoss: number;
  ms: number;
}

export interface FitResult {
  table: Float32Array;
  weights: Float32Array;
  /** Held-out loss of the starting table, and of the kept one. */
  startLoss: number;
  bestLoss: number;
  bestEpoch: number;
  history: EpochReport[];
  stoppedEarly: boolean;
  /** The held-out sentences (indices into the corpus), so a caller can score other tables on them. */
  heldOut: Int32Array;
}

/** Sentences with at least one known word a fit needs: fewer and the held-out slice says nothing. */
export const MIN_FIT_SENTENCES = 200;

export async function fitTable(
  corpus: EncodedCorpus,
  targets: Float32Array,
  start: { table: Float32Array; weights: Float32Array; dims: number },
  opts: FitOptions = {},
): Promise<FitResult> {
  const { dims } = start;
  const rows = start.weights.length;
  if (start.table.length !== rows * dims) throw new RangeError(`the table has ${start.table.length} numbers, not ${rows} rows × ${dims}`);
  const sentenceCount = corpus.offsets.length - 1;
  if (targets.length !== sentenceCount * dims) throw new RangeError(`${targets.length / dims} target vectors for ${sentenceCount} sentences`);
  const usable: number[] = [];
  for (let s = 0; s < sentenceCount; s++) if (corpus.offsets[s + 1] > corpus.offsets[s]) usable.push(s);
  if (usable.length < MIN_FIT_SENTENCES) {
    throw new DistillError(
      `the corpus has ${usable.length} sentence${usable.length === 1 ? '' : 's'} with known words; a corpus fit needs at least ${MIN_FIT_SENTENCES} (more is better: the shipped model used ~100,000)`,
    );
  }
  const loss = opts.loss ?? 'cosine';
  const lr = opts.learningRate ?? 1e-3;
  const batch = opts.batch ?? 256;
  const maxEpochs = opts.maxEpochs ?? 20;
  const patience = opts.patience ?? 2;
  const learnWeights = opts.learnWeights ?? false;
  const random = mulberry32(opts.seed ?? 1);
  shuffle(usable, random);
  const heldCount = Math.max(1, Math.round(usable.length * (opts.holdout ?? 0.05)));
  const held = usable.slice(usable.length - heldCount);
  const train = usable.slice(0, usable.length - heldCount);

  const resume = opts.resume;
  if (resume && (resume.table.length !== start.table.length || resume.weights.length !== rows || resume.epoch > maxEpochs)) {
    throw new DistillError(`the checkpoint (${resume.weights.length} words, ${resume.table.length / Math.max(1, resume.weights.length)} dims, epoch ${resume.epoch}) does not match this fit (${rows} words, ${dims} dims, ≤ ${maxEpochs} epochs)`);
  }
  const table = Float32Array.from(resume?.table ?? start.table);
  const weights = Float32Array.from(resume?.weights ?? start.weights);
  let best = resume?.best ? { table: Float32Array.from(resume.best.table), weights: Float32Array.from(resume.best.weights) } : { table: Float32Array.from(table), weights: Float32Array.from(weights) };
  // Adam state, for rows and weights; `steps` per row for sparse bias correction.
  const m = resume ? Float32Array.from(resume.m) : new Float32Array(table.length);
  const v = resume ? Float32Array.from(resume.v) : new Float32Array(table.length);
  const grad = new Float32Array(table.length);
  const wm = resume ? Float32Array.from(resume.wm) : new Float32Array(rows);
  const wv = resume ? Float32Array.from(resume.wv) : new Float32Array(rows);
  const wgrad = new Float32Array(rows);
  const steps = resume ? Int32Array.from(resume.steps) : new Int32Array(rows);
  const touched = new Uint8Array(rows);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = 1e-8;
  const pred = new Float64Array(dims);
  const g = new Float64Array(dims);

  /** Loss of one sentence; with `backward`, its gradient is added to grad/wgrad. */
  const sentence = (s: number, backward: boolean, touchedList: number[] | null): number => {
    const from = corpus.offsets[s];
    const to = corpus.offsets[s + 1];
    const n = to - from;
    pred.fill(0);
    for (let k = from; k < to; k++) {
      const id = corpus.ids[k];
      const w = weights[id] / n;
      const o = id * dims;
      for (let d = 0; d < dims; d++) pred[d] += w * table[o + d];
    }
    const t = s * dims;
    let pp = 0;
    let pt = 0;
    let tt = 0;
    for (let d = 0; d < dims; d++) {
      pp += pred[d] * pred[d];
      pt += pred[d] * targets[t + d];
      tt += targets[t + d] * targets[t + d];
    }
    const pn = Math.sqrt(pp) || 1e-12;
    const tn = Math.sqrt(tt) || 1e-12;
    const cos = pt / (pn * tn);
    const value = loss === 'cosine' ? 1 - cos : 2 - 2 * cos; // ‖p̂ − t̂‖² = 2 − 2cos on unit vectors
    if (!backward) return value;
    // d(−cos)/dpred = −(t̂ − cos·p̂)/‖p‖; the mse form is twice that.
    const f = loss === 'cosine' ? 1 : 2;
    for (let d = 0; d < dims; d++) g[d] = (-f * (targets[t + d] / tn - (cos * pred[d]) / pn)) / pn;
    for (let k = from; k < to; k++) {
      const id = corpus.ids[k];
      const w = weights[id] / n;
      const o = id * dims;
      let gw = 0;
      for (let d = 0; d < dims; d++) {
        grad[o + d] += w * g[d];
        gw += table[o + d] * g[d];
      }
      if (learnWeights) wgrad[id] += gw / n;
      if (!touched[id]) {
        touched[id] = 1;
        touchedList!.push(id);
      }
    }
    return value;
  };

  const heldOutLoss = () => {
    let sum = 0;
    for (const s of held) sum += sentence(s, false, null);
    return sum / held.length;
  };

  const startLoss = resume?.startLoss ?? heldOutLoss();
  let bestLoss = resume?.bestLoss ?? startLoss;
  let bestEpoch = resume?.bestEpoch ?? 0;
  let stale = resume?.stale ?? 0;
  let stoppedEarly = false;
  const history: EpochReport[] = resume ? resume.history.map((h) => ({ ...h })) : [];
  // The finished epochs' shuffles, replayed: the generator and the order are where they were.
  for (let e = 1; e <= (resume?.epoch ?? 0); e++) shuffle(train, random);
  const every = opts.checkpointEvery ?? 10;
  let lastWrite = { end: performance.now(), cost: 0 };
  for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= maxEpochs; epoch++) {
    const started = performance.now();
    shuffle(train, random);
    let trainSum = 0;
    for (let at = 0; at < train.length; at += batch) {
      if (opts.signal?.aborted) throw new AbortError('The distillation was cancelled');
      const list: number[] = [];
      const end = Math.min(train.length, at + batch);
      for (let i = at; i < end; i++) trainSum += sentence(train[i], true, list);
      const scale = 1 / (end - at);
      for (const id of list) {
        touched[id] = 0;
        const step = ++steps[id];
        const c1 = 1 / (1 - beta1 ** step);
        const c2 = 1 / (1 - beta2 ** step);
        const o = id * dims;
        for (let d = 0; d < dims; d++) {
          const gr = grad[o + d] * scale;
          grad[o + d] = 0;
          const mi = (m[o + d] = beta1 * m[o + d] + (1 - beta1) * gr);
          const vi = (v[o + d] = beta2 * v[o + d] + (1 - beta2) * gr * gr);
          table[o + d] -= (lr * mi * c1) / (Math.sqrt(vi * c2) + epsilon);
        }
        if (learnWeights) {
          const gr = wgrad[id] * scale;
          wgrad[id] = 0;
          wm[id] = beta1 * wm[id] + (1 - beta1) * gr;
          wv[id] = beta2 * wv[id] + (1 - beta2) * gr * gr;
          weights[id] = Math.max(0, weights[id] - (lr * wm[id] * c1) / (Math.sqrt(wv[id] * c2) + epsilon));
        }
      }
    }
    const report = { epoch, trainLoss: trainSum / train.length, heldOutLoss: heldOutLoss(), ms: performance.now() - started };
    history.push(report);
    opts.onEpoch?.(report);
    if (report.heldOutLoss < bestLoss - 1e-6) {
      bestLoss = report.heldOutLoss;
      bestEpoch = epoch;
      best = { table: Float32Array.from(table), weights: Float32Array.from(weights) };
      stale = 0;
    } else if (++stale >= patience) {
      stoppedEarly = epoch < maxEpochs;
      break;
    }
    const now = performance.now();
    if (opts.onCheckpoint && epoch < maxEpochs && (lastWrite.cost === 0 || now - lastWrite.end >= every * lastWrite.cost)) {
      await opts.onCheckpoint({ epoch, table, weights, m, v, wm, wv, steps, best: stale === 0 ? null : best, startLoss, bestLoss, bestEpoch, stale, history });
      const end = performance.now();
      lastWrite = { end, cost: Math.max(end - now, 1e-3) };
    }
  }
  return { table: best.table, weights: best.weights, startLoss, bestLoss, bestEpoch, history, stoppedEarly, heldOut: Int32Array.from(held) };
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
}
