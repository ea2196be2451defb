/**
 * "Auto" as a measurement, not a guess: the configurations worth trying on this device (WASM
 * workers × threads that fit the cores; WebGPU only on a hardware adapter — a software one is
 * ~100× slower, measured in the Benchmark view), a short calibration that times each one on the
 * person's batch shape, and the decision kept per device + browser + model + dtype.
 *
 * Why measure: on the 2-core AMD EPYC (AVX2, no VNNI) int8 ran 1.49× fp32 on one WASM thread and
 * 0.83× on two, and two single-thread workers beat one two-thread worker for some dtypes and not
 * others (issue #13) — no fixed rule picks well on every device and dtype.
 *
 * Framework-free: the page-side runner (src/auto-client.ts) supplies the timing function and the
 * storage; everything that decides is here and unit-tested in Node.
 */
import { AbortError, describeError } from '../core/errors.ts';
import { MAX_WASM_THREADS } from '../core/util/threads.ts';
import { fitsCores } from './matrix.ts';

export interface Candidate {
  backend: 'wasm' | 'webgpu';
  /** Workers holding the model. */
  pool: number;
  /** WASM threads per worker; 0 on WebGPU. */
  threads: number;
}

/** What a decision depends on: when any of it changes, the decision is measured again. */
export interface DeviceFingerprint {
  cores: number;
  /** "Chromium 156": another browser has another WASM engine and another WebGPU. */
  browser: string;
  /** The hardware adapter ("none" without one): a new GPU makes WebGPU another candidate. */
  gpu: string;
  /** Without cross-origin isolation there are no threads: other candidates. */
  isolated: boolean;
}

export interface Figure {
  candidate: Candidate;
  /** Sentences/s at the calibration's batch shape; null when the candidate could not run. */
  sentencesPerS: number | null;
  /** Why it was skipped (failed to load, out of memory, wrong answers on WebGPU). */
  reason?: string;
}

export interface AutoDecision {
  model: string;
  dtype: string;
  device: DeviceFingerprint;
  /** Texts per call the calibration timed (the person's batch shape). */
  batch: number;
  chosen: Candidate;
  /** Every candidate tried, fastest first; failed ones last with their reason. */
  figures: Figure[];
  measuredAt: string;
  /** Wall time the calibration took, loads included. */
  ms: number;
  /**
   * Where that time went: loading the candidates' workers, their warm-up calls, and the timed
   * rounds — and the texts each timed call held (fewer than the warm-up's when the loads left too
   * little of the budget for a round of full calls).
   */
  phases?: { loadMs: number; warmMs: number; rounds: number; textsPerCall?: number };
}

/** Pools and threads the calibration considers; the Benchmark view can measure more. */
export const AUTO_POOLS = [1, 2, 4] as const;
export const AUTO_THREADS = [1, 2, 4] as const;
/** The whole calibration, loads included, stays under this. */
export const CALIBRATION_BUDGET_MS = 3000;

/**
 * Configurations worth timing here: every WASM workers × threads that fits the cores (threads only
 * when the page may use them), then WebGPU on a hardware adapter. 1×1 first: it is the default's
 * fallback and the baseline every other figure is read against.
 */
export function candidatesFor(device: Pick<DeviceFingerprint, 'cores' | 'isolated'>, gpu: { hardware: boolean }): Candidate[] {
  const out: Candidate[] = [];
  const threads = device.isolated ? AUTO_THREADS.filter((t) => t <= MAX_WASM_THREADS) : [1];
  for (const pool of AUTO_POOLS) {
    for (const t of threads) if (fitsCores(pool, t, device.cores)) out.push({ backend: 'wasm', pool, threads: t });
  }
  if (gpu.hardware) out.push({ backend: 'webgpu', pool: 1, threads: 0 });
  return out;
}

export function decisionKey(model: string, dtype: string, browser: string): string {
  return `${model}|${dtype}|${browser}`;
}

/** Why a cached decision no longer applies on this device, or null when it still does. */
export function staleBecause(decision: Pick<AutoDecision, 'device' | 'batch'>, now: DeviceFingerprint, batch = decision.batch): string | null {
  const was = decision.device;
  if (decision.batch !== batch) return `measured at batch ${decision.batch}, the model now runs batches of ${batch}`;
  if (was.cores !== now.cores) return `measured on ${was.cores} cores, this device has ${now.cores}`;
  if (was.gpu !== now.gpu) return `measured with GPU "${was.gpu}", now "${now.gpu}"`;
  if (was.browser !== now.browser) return `measured in ${was.browser}, this is ${now.browser}`;
  if (was.isolated !== now.isolated) return now.isolated ? 'measured without threads, threads are possible now' : 'measured with threads, this page cannot use them';
  return null;
}

/** "2 workers × 1 thread", "WebGPU". */
export function describeCandidate(c: Candidate, short = false): string {
  if (c.backend === 'webgpu') return 'WebGPU';
  if (short) return `${c.pool} × ${c.threads}`;
  return `${c.pool} worker${c.pool === 1 ? '' : 's'} × ${c.threads} thread${c.threads === 1 ? '' : 's'}`;
}

/** "Auto chose 2 workers × 1 thread: 131 sentences/s; 1 × 2: 88; 1 × 1: 70" — for the model card. */
export function describeDecision(d: Pick<AutoDecision, 'chosen' | 'figures'>): string {
  const rate = (f: Figure) => (f.sentencesPerS === null ? `skipped (${f.reason ?? 'failed'})` : `${Math.round(f.sentencesPerS)} sentences/s`);
  const [first, ...rest] = d.figures;
  const head = `Auto chose ${describeCandidate(d.chosen)}${first ? `: ${rate(first)}` : ''}`;
  return [head, ...rest.map((f) => `${describeCandidate(f.candidate, true)}: ${rate(f)}`)].join('; ');
}

export const sameCandidate = (a: Candidate, b: Candidate) => a.backend === b.backend && a.pool === b.pool && a.threads === b.threads;

/** Fastest first, failures last (in the order they were tried). */
export function rankFigures(figures: Figure[]): Figure[] {
  const ok = figures.filter((f) => f.sentencesPerS !== null).sort((a, b) => b.sentencesPerS! - a.sentencesPerS!);
  return [...ok, ...figures.filter((f) => f.sentencesPerS === null)];
}

/** The interruption a calibration stops for: nothing is decided or cached after one. */
export class CalibrationInterrupted extends Error {
  override name = 'CalibrationInterrupted';
}

/** A candidate that would not load (out of memory, no WebGPU kernel, wrong answers): skipped, with its reason. */
export class CandidateFailed extends Error {
  override name = 'CandidateFailed';
}

/** One timed call of a candidate: its milliseconds and texts, or null when it shared the cores with the person's own call (not counted). */
export type TimedCall = { ms: number; sentences: number } | null;

/** A candidate made ready to time: its workers loaded (perhaps shared with another candidate's). */
export interface CandidateTimer {
  /**
   * One call of the calibration's texts, or of their first `texts` when given (a round that must
   * fit what is left of the budget). Throws on a worker crash (that interrupts the calibration).
   */
  time(signal: AbortSignal, texts?: number): Promise<TimedCall>;
  /**
   * The workers its calls run on (any identity: the same object for a worker candidates share).
   * The warm-up calls each worker once, through the widest candidate that has one not yet warmed.
   */
  workers?: readonly unknown[];
}

export interface CalibrationHooks {
  /**
   * Makes every candidate ready to time, in one go so candidates can share workers (1×1 is one
   * worker of 2×1; the model already serving on the default is one of them) and load side by side.
   * One entry per candidate: its timer, or a CandidateFailed saying why it cannot load (skipped).
   * Any other error interrupts the calibration. `release` unloads what was loaded for it; given the
   * chosen candidate (a decision was made), it may hand that candidate's workers to the model
   * instead of unloading them.
   */
  prepare: (candidates: Candidate[], signal: AbortSignal) => Promise<{ timers: (CandidateTimer | CandidateFailed)[]; release: (chosen?: Candidate) => void }>;
  signal?: AbortSignal;
  now?: () => number;
  budgetMs?: number;
  onFigure?: (figure: Figure) => void;
}

/** A round's order: the candidates rotated by the round's number (A B C, B C A, C A B …). */
export function roundOrder<T>(items: T[], round: number): T[] {
  const k = items.length ? round % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Times the candidates within the budget and returns the decision, or throws
 * CalibrationInterrupted (cancelled, tab hidden, a worker crash, nothing that ran, a device too
 * busy to time every candidate in the budget).
 *
 * Interleaved, not one after the other: every candidate is loaded first, warmed with one uncounted
 * call each, then timed in rounds of one call each, the order rotated every round (A B C, B C A,
 * C A B …) until the budget is spent, and each figure is the median of its calls' rates. Timed one
 * after the other (load, warm, time, unload), the 2-core EPYC's first configuration read slow and
 * its last fast (Auto chose 2×1 for fp32 at 0.44× the matrix's best): a burst of load from
 * elsewhere, or the CPU's own warm-up, landed on one candidate only. In rounds it lands on all.
 */
export async function calibrate(
  what: { model: string; dtype: string; device: DeviceFingerprint; batch: number },
  candidates: Candidate[],
  hooks: CalibrationHooks,
): Promise<AutoDecision> {
  const now = hooks.now ?? (() => performance.now());
  const budget = hooks.budgetMs ?? CALIBRATION_BUDGET_MS;
  const started = now();
  const signal = hooks.signal ?? new AbortController().signal;
  const interrupted = (why: string): never => {
    throw new CalibrationInterrupted(`Calibration stopped: ${why}. Nothing was kept; the model runs on the default.`);
  };
  const fail = (err: unknown): never => {
    if (signal.aborted) interrupted(reasonOf(signal));
    if (err instanceof CalibrationInterrupted) throw err;
    if ((err as Error)?.name === 'AbortError') interrupted('cancelled');
    return interrupted(describeError(err));
  };
  let prepared: Awaited<ReturnType<CalibrationHooks['prepare']>>;
  try {
    prepared = await hooks.prepare(candidates, signal);
  } catch (err) {
    return fail(err);
  }
  let chosen: Candidate | undefined;
  try {
    if (signal.aborted) interrupted(reasonOf(signal));
    const figures: Figure[] = [];
    const live: { candidate: Candidate; timer: CandidateTimer; rates: number[] }[] = [];
    candidates.forEach((candidate, i) => {
      const t = prepared.timers[i];
      if (t instanceof CandidateFailed || !t) {
        const figure = { candidate, sentencesPerS: null, reason: t ? describeError(t) : 'not prepared' };
        figures.push(figure);
        hooks.onFigure?.(figure);
      } else live.push({ candidate, timer: t, rates: [] });
    });
    if (live.length === 0) interrupted(`no configuration ran (${figures.map((f) => f.reason).join('; ')})`);
    type Live = (typeof live)[number];
    const call = async (c: Live, texts?: number): Promise<TimedCall> => {
      try {
        const r = await c.timer.time(signal, texts);
        if (signal.aborted) interrupted(reasonOf(signal));
        if (r && !(r.ms > 0 && r.sentences > 0 && Number.isFinite(r.ms))) throw new Error(`${describeCandidate(c.candidate)} timed ${r.sentences} texts in ${r.ms} ms`);
        return r;
      } catch (err) {
        return fail(err);
      }
    };
    const loadMs = now() - started;
    let warmMs = 0;
    const busy = () =>
      interrupted(`this device was too busy to time every configuration in ${budget / 1000} s (loads ${(loadMs / 1000).toFixed(1)} s, warm-up ${(warmMs / 1000).toFixed(1)} s)`);
    if (loadMs >= budget) busy();
    // Warm-up: one uncounted call per worker (the first run of a session allocates and picks
    // kernels, and V8 is still compiling onnxruntime's wasm), widest candidate first, so the
    // workers of 2×1 take their slow first calls side by side and 1×1, the first of them, needs
    // none of its own. One call per candidate, 1×1 alone then 2×1, took 1.5 s of the 3 s here
    // (use-lite fp32, load 2.7, after 1.6 s of loads: nothing was timed).
    const warmed = new Set<unknown>();
    const warmCalls = new Map<Live, { msPerText: number; texts: number }>();
    for (const c of [...live].sort((a, b) => (b.timer.workers?.length ?? 0) - (a.timer.workers?.length ?? 0))) {
      const workers = c.timer.workers ?? [];
      if (workers.length > 0 && workers.every((w) => warmed.has(w))) continue;
      const r = await call(c);
      if (r) warmCalls.set(c, { msPerText: r.ms / r.sentences, texts: r.sentences });
      workers.forEach((w) => warmed.add(w));
    }
    warmMs = now() - started - loadMs;
    const textsPerCall = roundSize(live, warmCalls, budget - (now() - started));
    // Rounds until the budget is spent: a round starts only when one more like the last fits.
    let lastRound = 0;
    let round = 0;
    for (; ; round++) {
      const left = budget - (now() - started);
      const counted = live.every((c) => c.rates.length > 0);
      if (counted && left < lastRound) break;
      // The first round runs even past the budget (at roundSize's fewest texts), unless the loads
      // and warm-up alone took half as long again: when the 2-core EPYC's WASM workers still ran
      // onnxruntime's WebGPU build, the loads of two single-thread workers took 2.4–2.7 s and the
      // warm-up ~1 s, and a strict cut-off kept no decision at all on a quiet first visit (the
      // model stayed on 1×2 at 0.7× of 2×1). With the WASM-only build (ort-web.ts) they take
      // 0.87–0.99 s and 0.47–0.54 s, but a slower device meets the same edge. One slower than
      // half as long again is too busy for its figures to mean anything.
      if (left <= -budget / 2 || (left <= 0 && counted)) busy();
      const t = now();
      for (const c of roundOrder(live, round)) {
        const r = await call(c, textsPerCall);
        if (r) c.rates.push((r.sentences / r.ms) * 1000);
      }
      lastRound = now() - t;
    }
    for (const c of live) {
      const figure: Figure = { candidate: c.candidate, sentencesPerS: median(c.rates) };
      figures.push(figure);
      hooks.onFigure?.(figure);
    }
    const ranked = rankFigures(candidates.map((c) => figures.find((f) => sameCandidate(f.candidate, c))!));
    chosen = ranked[0].candidate;
    return {
      ...what, chosen, figures: ranked, measuredAt: new Date().toISOString(), ms: now() - started,
      phases: { loadMs, warmMs, rounds: round, ...(textsPerCall !== undefined ? { textsPerCall } : {}) },
    };
  } finally {
    prepared.release(chosen);
  }
}

/** The fewest texts a timed call holds: two per worker of the widest candidate, so every pool still splits its call. */
export const MIN_TIMED_TEXTS = 4;

/**
 * Texts per timed call so the first round fits what the loads and the warm-up left of the budget:
 * undefined (the warm-up's size) when a round of those fits, else fewer, estimated from the
 * warm-up's own calls — a candidate with no warm-up of its own (1×1, whose worker 2×1 warmed)
 * from the one that warmed its workers, at that many workers' share. The warm-up's first calls
 * are the slowest, so the estimate errs towards fewer texts. At least MIN_TIMED_TEXTS (or two a
 * worker): a round that small may still end a little past the budget, which beats deciding
 * nothing. Measured (2-core EPYC, use-lite, quiet, the WebGPU build then serving WASM workers):
 * loads 1.3–1.7 s and the warm-up 0.9–1.05 s left ~0.5 s, and one round of 16 texts took
 * 1.2–1.4 s, so calibrations ended at 3.45–3.9 s.
 */
export function roundSize<T extends { candidate: Candidate; timer: CandidateTimer }>(live: T[], warm: Map<T, { msPerText: number; texts: number }>, leftMs: number): number | undefined {
  const full = Math.max(0, ...[...warm.values()].map((w) => w.texts));
  if (full === 0) return undefined;
  let msPerText = 0;
  for (const c of live) {
    const own = warm.get(c);
    if (own) {
      msPerText += own.msPerText;
      continue;
    }
    const mine = c.timer.workers ?? [];
    const by = [...warm].find(([w]) => mine.length > 0 && mine.every((x) => w.timer.workers?.includes(x)));
    if (!by) return undefined; // nothing to estimate from: time the full call
    msPerText += by[1].msPerText * ((by[0].timer.workers?.length ?? 1) / mine.length);
  }
  const fits = Math.floor(leftMs / msPerText);
  if (fits >= full) return undefined;
  const floor = Math.min(full, Math.max(MIN_TIMED_TEXTS, 2 * Math.max(...live.map((c) => c.candidate.pool))));
  return Math.max(floor, fits);
}

function reasonOf(signal: AbortSignal): string {
  const r = signal.reason;
  if (r instanceof AbortError || (r as Error)?.name === 'AbortError') return (r as Error).message || 'cancelled';
  return typeof r === 'string' ? r : r instanceof Error ? r.message : 'cancelled';
}

/** Whether a stored value is a decision this version can use (IndexedDB holds whatever an older one wrote). */
export function isDecision(x: unknown): x is AutoDecision {
  const d = x as AutoDecision;
  return (
    !!d && typeof d.model === 'string' && typeof d.dtype === 'string' && typeof d.batch === 'number' &&
    !!d.device && typeof d.device.cores === 'number' && typeof d.device.gpu === 'string' &&
    !!d.chosen && (d.chosen.backend === 'wasm' || d.chosen.backend === 'webgpu') && Array.isArray(d.figures)
  );
}
