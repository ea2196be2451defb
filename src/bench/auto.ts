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

export interface CalibrationHooks {
  /**
   * Times one candidate within `budgetMs` and says its sentences/s. Throws CandidateFailed when it
   * cannot load (skipped); any other error (a worker that crashed mid-run) interrupts the calibration.
   */
  measure: (candidate: Candidate, budgetMs: number, signal: AbortSignal) => Promise<number>;
  signal?: AbortSignal;
  now?: () => number;
  budgetMs?: number;
  onFigure?: (figure: Figure) => void;
}

/**
 * Times every candidate within the budget (shared out evenly over those left) and returns the
 * decision, or throws CalibrationInterrupted (cancelled, tab hidden, a worker crash, nothing
 * that ran). Candidates the budget did not reach are listed as skipped.
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
  const figures: Figure[] = [];
  const interrupted = (why: string): never => {
    throw new CalibrationInterrupted(`Calibration stopped: ${why}. Nothing was kept; the model runs on the default.`);
  };
  for (let i = 0; i < candidates.length; i++) {
    if (signal.aborted) interrupted(reasonOf(signal));
    const left = budget - (now() - started);
    const candidate = candidates[i];
    let figure: Figure;
    if (left <= 0) {
      figure = { candidate, sentencesPerS: null, reason: `the ${budget / 1000} s calibration budget ran out` };
    } else {
      try {
        const rate = await hooks.measure(candidate, left / (candidates.length - i), signal);
        if (signal.aborted) interrupted(reasonOf(signal));
        if (!(rate > 0) || !Number.isFinite(rate)) throw new CandidateFailed(`measured ${rate} sentences/s`);
        figure = { candidate, sentencesPerS: rate };
      } catch (err) {
        if (signal.aborted) interrupted(reasonOf(signal));
        if (err instanceof CalibrationInterrupted) throw err;
        if ((err as Error)?.name === 'AbortError') interrupted('cancelled');
        if ((err as Error)?.name !== 'CandidateFailed') interrupted(describeError(err));
        figure = { candidate, sentencesPerS: null, reason: describeError(err) };
      }
    }
    figures.push(figure);
    hooks.onFigure?.(figure);
  }
  const ranked = rankFigures(figures);
  if (ranked[0]?.sentencesPerS == null) interrupted(`no configuration ran (${figures.map((f) => f.reason).join('; ')})`);
  // A choice among the configurations the budget happened to reach is no measurement of the
  // others: on the shared 2-core EPYC at load ~16 the first one alone took 11 s, and "keeping" it
  // would have cached 1×1 where the matrix's best was 2×1. Keep nothing; measure on the next load.
  const cut = figures.filter((f) => f.reason?.includes('budget ran out')).length;
  if (cut > 0) interrupted(`this device was too busy to time every configuration in ${budget / 1000} s (${figures.length - cut} of ${figures.length})`);
  return { ...what, chosen: ranked[0].candidate, figures: ranked, measuredAt: new Date().toISOString(), ms: now() - started };
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
