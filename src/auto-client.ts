/**
 * Auto = measured, page side: the device's fingerprint, the decisions kept in IndexedDB (one per
 * device + browser + model + dtype), and the calibration's timing — real pools of real workers,
 * each candidate loaded, warmed and timed on the person's batch shape, then unloaded. What to try
 * and how to decide is src/bench/auto.ts; the model client (src/model-client.ts) asks here before
 * it loads and calibrates after the model is ready on the default, so the first embedding never
 * waits for a measurement.
 *
 * State for the model card goes out as events (`autoEvents`), keyed by model + dtype: the card
 * listens, nothing else in the UI needs to change.
 */
import { openDB, type IDBPDatabase } from 'idb';
import {
  calibrate, CALIBRATION_BUDGET_MS, CalibrationInterrupted, candidatesFor, CandidateFailed, decisionKey, describeCandidate, describeDecision, isDecision, sameCandidate, staleBecause,
  type AutoDecision, type Candidate, type CandidateTimer, type DeviceFingerprint,
} from './bench/auto.ts';
import { browserName } from './bench/environment.ts';
import { takeTexts } from './bench/matrix.ts';
import { shareByLength } from './bench/pool.ts';
import type { LoadedPool, PoolLoader } from './bench/pool.ts';
import { describeError } from './core/errors.ts';
import type { ModelSpec } from './core/models/registry.ts';
import { availableCores, threadsAllowed } from './core/util/threads.ts';
import { describeGpu, probeWebGpu } from './core/util/webgpu.ts';

export type { AutoDecision, Candidate } from './bench/auto.ts';

export async function deviceFingerprint(): Promise<DeviceFingerprint> {
  const gpu = await probeWebGpu();
  return {
    cores: availableCores(),
    browser: browserName(),
    // A software adapter is never a candidate: it counts as no GPU.
    gpu: gpu.available && !gpu.fallback ? describeGpu(gpu) : 'none',
    isolated: threadsAllowed(),
  };
}

// ---------------------------------------------------------------------------------------------
// Decisions in IndexedDB (a database of their own: nothing to migrate in the collections store)

const DB_NAME = 'embedscope-auto';
let db: Promise<IDBPDatabase> | null = null;
function open(): Promise<IDBPDatabase> {
  db ??= openDB(DB_NAME, 1, { upgrade: (d) => void d.createObjectStore('decisions') });
  return db;
}

export type Lookup = { decision: AutoDecision } | { decision: null; stale?: string };

/** The kept decision for this model × dtype here, or why there is none (a stale one is deleted). */
export async function lookupDecision(model: string, dtype: string, batch: number, device?: DeviceFingerprint): Promise<Lookup> {
  const here = device ?? (await deviceFingerprint());
  const key = decisionKey(model, dtype, here.browser);
  let stored: unknown;
  try {
    stored = await (await open()).get('decisions', key);
  } catch {
    return { decision: null }; // no IndexedDB (private mode): measure every time
  }
  if (stored === undefined) return { decision: null };
  const stale = isDecision(stored) ? staleBecause(stored, here, batch) : 'an older format';
  if (stale === null) return { decision: stored as AutoDecision };
  await forgetDecision(model, dtype, here.browser);
  return { decision: null, stale };
}

/**
 * The kept decision for this model × dtype, read only: whatever batch it was measured at, as long
 * as the device is the same. For the Choose view, which measures at its own batches and must not
 * throw away the Playground's decision.
 */
export async function peekDecision(model: string, dtype: string): Promise<AutoDecision | null> {
  const here = await deviceFingerprint();
  let stored: unknown;
  try {
    stored = await (await open()).get('decisions', decisionKey(model, dtype, here.browser));
  } catch {
    return null;
  }
  return isDecision(stored) && staleBecause(stored, here) === null ? stored : null;
}

export async function keepDecision(d: AutoDecision): Promise<void> {
  await (await open()).put('decisions', d, decisionKey(d.model, d.dtype, d.device.browser));
}

export async function forgetDecision(model: string, dtype: string, browser = browserName()): Promise<void> {
  try {
    await (await open()).delete('decisions', decisionKey(model, dtype, browser));
  } catch {
    // nothing stored
  }
}

// ---------------------------------------------------------------------------------------------
// What the model card shows

export type AutoState =
  | { state: 'calibrating'; text: string }
  | { state: 'decided' | 'cached'; text: string; decision: AutoDecision }
  | { state: 'interrupted'; text: string };

const states = new Map<string, AutoState>();
/** Fires `change` with `detail: key` (model|dtype) whenever a model's Auto state changes. */
export const autoEvents = new EventTarget();
export const autoKey = (model: string, dtype: string) => `${model}|${dtype}`;

export function autoState(model: string, dtype: string): AutoState | null {
  return states.get(autoKey(model, dtype)) ?? null;
}

export function setAutoState(model: string, dtype: string, s: AutoState | null): void {
  const key = autoKey(model, dtype);
  if (s) states.set(key, s);
  else states.delete(key);
  autoEvents.dispatchEvent(new CustomEvent('change', { detail: key }));
}

/** Models (as "model · dtype") whose Auto calibration is running in this tab now. */
export function calibrationsRunning(): string[] {
  return [...states].filter(([, s]) => s.state === 'calibrating').map(([key]) => key.replace('|', ' · '));
}

/**
 * Resolves once no calibration runs in this tab (or the signal aborts): a benchmark started
 * meanwhile shares the cores with it. Measured through `npm run bench` before the CLI started
 * with nothing loaded: glove-100d's static suite ran at 0.49× (batch 1024) and loaded in 2.3× the
 * time beside the first visit's use-lite load and calibration.
 */
export function whenCalibrationsDone(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (calibrationsRunning().length > 0 && !signal?.aborted) return;
      autoEvents.removeEventListener('change', check);
      signal?.removeEventListener('abort', check);
      resolve();
    };
    autoEvents.addEventListener('change', check);
    signal?.addEventListener('abort', check);
    check();
  });
}

/** Live models on Auto, so the card can stop or repeat their calibration. */
export interface AutoControl {
  stop(reason?: string): void;
  remeasure(): Promise<void>;
}
const controls = new Map<string, Set<AutoControl>>();
export function registerAuto(model: string, dtype: string, c: AutoControl): () => void {
  const key = autoKey(model, dtype);
  const set = controls.get(key) ?? new Set();
  set.add(c);
  controls.set(key, set);
  return () => set.delete(c);
}
export function stopCalibration(model: string, dtype: string): void {
  for (const c of controls.get(autoKey(model, dtype)) ?? []) c.stop('cancelled by you');
}
export async function remeasure(model: string, dtype: string): Promise<void> {
  await Promise.all([...(controls.get(autoKey(model, dtype)) ?? [])].map((c) => c.remeasure()));
}

export function describeState(d: AutoDecision, cached: boolean): string {
  return `${describeDecision(d)}${cached ? ` (measured ${d.measuredAt.slice(0, 10)})` : ''}.`;
}

// ---------------------------------------------------------------------------------------------
// The calibration run

/** Short and long English sentences, so a batch has the padding a real one has. */
const TEXTS = [
  'Call me Ishmael.',
  'A man is eating food.',
  'The girl is carrying a baby.',
  'Stocks fell sharply on Monday morning after the central bank raised its rates again.',
  'Some years ago, never mind how long precisely, having little or no money in my purse, I thought I would sail about a little.',
  'It is a way I have of driving off the spleen and regulating the circulation.',
  'The weather today is sunny with a light breeze from the west.',
  'Whenever I find myself growing grim about the mouth, I account it high time to get to sea as soon as I can.',
  'How do I reset my password?',
  'The committee will publish its findings next spring, after the hearings close.',
  'There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral reefs.',
  'Cats sleep for most of the day.',
];

/** The pool the model already serves on (the default), which the calibration may time but never unloads. */
export interface LoadedDefault {
  candidate: Candidate;
  pool: LoadedPool;
}

export interface CalibrationOptions {
  spec: ModelSpec;
  batch: number;
  loadPool: PoolLoader;
  signal: AbortSignal;
  /**
   * The model as it serves now: its configuration is timed on it instead of loaded again, and its
   * worker is the first of any larger pool at the same threads. Each use-lite load took 1.2–1.9 s on
   * the 2-core EPYC: three of them alone overran the 3 s budget.
   */
  loaded?: LoadedDefault;
  /**
   * Takes the chosen candidate's workers when the calibration loaded them: the model moves onto
   * the decision with workers already loaded and warm, instead of loading new ones (a use-lite
   * load took 1.2–1.9 s on the 2-core EPYC). Not called when the choice includes the model's own
   * serving workers, or when nothing was decided; whatever is not taken is unloaded.
   */
  adopt?: (pools: LoadedPool[]) => void;
  /** Resolves when no embedding the person asked for is running: theirs go first. */
  whenIdle: () => Promise<void>;
  /** Counts the person's embedding calls: a timed call that overlapped one is timed again. */
  foregroundCalls: () => number;
  onProgress?: (text: string) => void;
  /** Overrides the budget (the CLI's check of Auto against the matrix on a busy machine). */
  budgetMs?: number;
  /**
   * Texts to time (default: a dozen short and long English sentences). The CLI's check passes the
   * matrix's own: on the 2-core EPYC, 16 of the default texts ran use-lite int8 at 1×1 ≈ 80–100 ms
   * a call and 1×2 ≈ 125–280 ms, while the matrix's 32 Moby-Dick sentences ranked 1×2 first
   * (271 vs 156 sentences/s): a check on other texts compared other work.
   */
  texts?: string[];
}

/**
 * Texts per timed call: the person's batch, at most 16 — one call of 32 takes ~0.8 s on one WASM
 * thread of the 2-core EPYC (int8), so three configurations with a load and a warm-up each would
 * not fit 3 s; 16 keeps a pool's split (8 + 8 on two workers) and fits.
 */
export const MAX_CALIBRATION_BATCH = 16;

/** The calibration's budget: 3 s, or what `localStorage['embedscope:auto-budget-ms']` says (tests, slow devices). */
export function calibrationBudgetMs(): number {
  const asked = Number(globalThis.localStorage?.getItem('embedscope:auto-budget-ms'));
  return Number.isFinite(asked) && asked >= 500 ? Math.min(asked, 120_000) : CALIBRATION_BUDGET_MS;
}

/**
 * Times the candidates on real workers. Workers are shared between candidates: those at the same
 * backend and threads use the first N of one set of one-worker pools (1×1 is the first worker of
 * 2×1; a call on N of them is split with the pool's own `shareByLength`), and the default the model
 * already runs on is the first worker of its set. On 2 cores that is one load of two 1-thread
 * workers, side by side, instead of three loads one after the other. A worker that fails to load
 * skips the candidates that need it, with its reason; the rest still run. Throws CalibrationInterrupted.
 */
export async function runCalibration(o: CalibrationOptions): Promise<AutoDecision> {
  const device = await deviceFingerprint();
  const gpu = device.gpu !== 'none';
  const texts = takeTexts(o.texts?.length ? o.texts : TEXTS, Math.min(o.batch, MAX_CALIBRATION_BATCH));
  const dtype = o.spec.dtype ?? 'fp32';
  return calibrate({ model: o.spec.id, dtype, device, batch: o.batch }, candidatesFor(device, { hardware: gpu }), {
    signal: o.signal,
    budgetMs: o.budgetMs ?? calibrationBudgetMs(),
    onFigure: (f) => o.onProgress?.(`${describeCandidate(f.candidate)}: ${f.sentencesPerS === null ? `skipped (${f.reason})` : `${Math.round(f.sentencesPerS)} sentences/s`}`),
    prepare: (candidates, signal) => prepareCandidates(o, candidates, texts, signal),
  });
}

async function prepareCandidates(o: CalibrationOptions, candidates: Candidate[], texts: string[], signal: AbortSignal) {
  const ours: LoadedPool[] = [];
  /** The workers each candidate runs on, to hand the chosen one's over. */
  const runsOn = new Map<Candidate, LoadedPool[]>();
  const release = (chosen?: Candidate) => {
    const pools = chosen && o.adopt ? runsOn.get(chosen) : undefined;
    const taken = pools && pools.length > 0 && pools.every((p) => ours.includes(p)) ? pools : [];
    if (taken.length > 0) o.adopt!(taken);
    ours.splice(0).filter((p) => !taken.includes(p)).forEach((p) => p.unload());
  };
  try {
    // One set of workers per backend × threads, as many as its largest candidate needs.
    const sets = new Map<string, { backend: Candidate['backend']; threads: number; need: number }>();
    for (const c of candidates) {
      const key = `${c.backend}|${c.threads}`;
      const set = sets.get(key) ?? { backend: c.backend, threads: c.threads, need: 0 };
      set.need = Math.max(set.need, c.pool);
      sets.set(key, set);
    }
    const workers = new Map<string, { pools: LoadedPool[]; failed: string | null }>();
    for (const [key, set] of sets) {
      const base = o.loaded && o.loaded.candidate.pool === 1 && `${o.loaded.candidate.backend}|${o.loaded.candidate.threads}` === key ? [o.loaded.pool] : [];
      const spec: ModelSpec = { ...o.spec, backend: set.backend, ...(set.backend === 'wasm' ? { threads: set.threads } : { threads: undefined }) };
      // Side by side: loads of one-thread workers use one core each (the model's files are in the
      // browser's cache by now: the default loaded them). One alone, then the other, took longer
      // (2.95–3.2 s vs 2.6–2.7 s for use-lite's two on the 2-core EPYC, on the WebGPU build then).
      const loads = await Promise.allSettled(Array.from({ length: set.need - base.length }, () => o.loadPool(spec, 1)));
      const pools = [...base];
      let failed: string | null = null;
      for (const l of loads) {
        if (l.status === 'fulfilled') {
          ours.push(l.value);
          if (failed === null) {
            try {
              checkRuns(l.value, { backend: set.backend, pool: 1, threads: set.threads });
              pools.push(l.value);
            } catch (err) {
              failed = describeError(err);
            }
          }
        } else failed ??= `did not load: ${describeError(l.reason)}`;
      }
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException(String(signal.reason ?? 'cancelled'), 'AbortError');
      workers.set(key, { pools, failed });
    }
    const timers = candidates.map((c): CandidateTimer | CandidateFailed => {
      const set = workers.get(`${c.backend}|${c.threads}`)!;
      // The default serving as a 2-worker pool (an older decision) is timed as it is.
      if (o.loaded && sameCandidate(o.loaded.candidate, c) && c.pool > 1) return timerOn(o, [o.loaded.pool], texts);
      if (set.pools.length < c.pool) return new CandidateFailed(set.failed ?? `only ${set.pools.length} of ${c.pool} workers loaded`);
      runsOn.set(c, set.pools.slice(0, c.pool));
      return timerOn(o, set.pools.slice(0, c.pool), texts);
    });
    return { timers, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Times one call of `texts` (or of their first n) split over `pools` (one worker each) as the model client splits a call. */
function timerOn(o: CalibrationOptions, pools: LoadedPool[], texts: string[]): CandidateTimer {
  const split = (few: string[]) => (pools.length > 1 ? shareByLength(few, pools.length, o.spec.batchSize ?? 32) : [few.map((_, i) => i)]).filter((rows) => rows.length > 0);
  return {
    workers: pools,
    time: async (signal, n) => {
      const few = n === undefined ? texts : texts.slice(0, Math.max(1, n));
      const shares = split(few);
      await o.whenIdle();
      const before = o.foregroundCalls();
      const t = performance.now();
      await Promise.all(shares.map((rows, i) => pools[i].embed(rows.map((r) => few[r]), signal)));
      const ms = performance.now() - t;
      // Shared the cores with the person's call: not this configuration's speed.
      return o.foregroundCalls() !== before ? null : { ms, sentences: few.length };
    },
  };
}

/**
 * Auto as a first visit runs it, for the CLI's check against the matrix: the model loads on the
 * default (not counted: a person's first embedding waits for that load, not for the calibration),
 * then the calibration runs beside it.
 */
export async function calibrateFromDefault(o: Omit<CalibrationOptions, 'loaded'>): Promise<AutoDecision> {
  const pool = await o.loadPool({ ...o.spec, backend: 'auto', threads: undefined }, 1);
  try {
    const info = pool.info;
    const candidate: Candidate = { backend: info.backend === 'webgpu' ? 'webgpu' : 'wasm', pool: 1, threads: info.backend === 'webgpu' ? 0 : (info.threads ?? 1) };
    return await runCalibration({ ...o, loaded: { candidate, pool } });
  } finally {
    pool.unload();
  }
}

function checkRuns(pool: LoadedPool, c: Candidate) {
  // WebGPU that disagreed with WASM comes back on WASM: that is not the WebGPU candidate.
  if (pool.info.backend !== c.backend) throw new CandidateFailed(`asked for ${c.backend}, it runs on ${pool.info.backend} (${pool.info.warnings.at(-1) ?? 'no reason given'})`);
  if (c.backend === 'wasm' && pool.info.threads !== undefined && pool.info.threads !== c.threads) {
    throw new CandidateFailed(`asked for ${c.threads} threads, the runtime gave ${pool.info.threads}`);
  }
}

export { CalibrationInterrupted };
