/**
 * One Choose run in the page: per model × dtype, speed and size from the benchmark's runMatrix
 * (the code `npm run bench` runs) and quality from evaluateSts / evaluateRetrieval in the quality
 * worker (the code `npm run eval` runs) on the data shipped under public/data/. Every piece is
 * cached in IndexedDB under a key of what it depends on (device, browser, model, dtype,
 * configuration, data), so a second run, or one resumed after a cancel, measures only what is missing.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { catalog } from '../../../models/catalog.ts';
import { expandMatrix, defaultChoice, heldDtypes, type MatrixChoice } from '../../bench/matrix.ts';
import { runMatrix, textSet, type BenchRow } from '../../bench/run.ts';
import { collectEnvironment, defaultThreads, describeGpu, type Environment } from '../../bench/environment.ts';
import type { LoadedPool } from '../../bench/pool.ts';
import { loadModelPool } from '../../model-client.ts';
import { planSpeed, summarizeSpeed, type SpeedSummary } from '../../core/choose/speed.ts';
import { calibrationsRunning, peekDecision, whenCalibrationsDone } from '../../auto-client.ts';
import { measurementKey, qualityLanguageProblem, RESCORE_MULTIPLIER, type ChooseModel, type Measured, type Variant } from '../../core/choose/variants.ts';
import { AbortError, describeError } from '../../core/errors.ts';
import { parseBeir, type BeirData } from '../../core/eval/retrieval.ts';
import { parseSts, type StsPair } from '../../core/eval/sts.ts';
import { specFor, type ModelSpec } from '../../core/models/registry.ts';
import type { TransformerDtype } from '../../core/models/transformer.ts';
import { scoreRetrieval, scoreSts } from '../compare/quality-client.ts';

/** The benchmark's settings for Choose: batch 1 (a query's latency) and 32, three timed passes of 128 sentences. */
export const SPEED_CHOICE: Omit<MatrixChoice, 'models' | 'dtypes' | 'threads'> = {
  ...defaultChoice,
  backends: ['wasm'],
  batches: [1, 32],
  repeats: 3,
  sentences: 128,
  maxCallsPerPass: 64,
  cachedLoads: 0,
  pools: [1],
  uaMemory: false,
  textSet: 'sentences',
};
const EMBED_BATCH = 256;

export interface ChooseData {
  version: string;
  sts: StsPair[];
  retrieval: BeirData;
}

export async function loadChooseData(): Promise<ChooseData> {
  const get = async (path: string) => {
    const res = await fetch(new URL(`data/${path}`, document.baseURI));
    if (!res.ok) throw new Error(`data/${path}: HTTP ${res.status} (the app ships it; run scripts/build-choose-data.ts if it is missing)`);
    return res.text();
  };
  const manifest = JSON.parse(await get('manifest.json')) as { files: Record<string, { sha256: string }> };
  const version = Object.values(manifest.files).map((f) => f.sha256.slice(0, 12)).join('-');
  const [sts, corpus, queries, qrels] = await Promise.all([get('stsb/sts-test.tsv'), get('stsb-retrieval/corpus.jsonl'), get('stsb-retrieval/queries.jsonl'), get('stsb-retrieval/qrels/test.tsv')]);
  return { version, sts: parseSts(sts, 'sts-test.tsv'), retrieval: parseBeir(corpus, queries, qrels) };
}

/**
 * Catalog models as Choose models: a Transformer offers every dtype its files hold (use-lite:
 * fp32, int8, q4) except fp16, which on WASM ran slower than fp32 (use-lite, 2 threads, batch
 * 1/8/32: 47/65/60 vs 102/86/88 sentences/s, issue #13) for the same vectors: it saves download
 * only, so it would add minutes to the run and never be recommended. The Benchmark view still
 * measures it. Static ones hold one.
 */
export function chooseModels(): ChooseModel[] {
  return catalog.map((e) => ({
    id: e.id,
    label: e.label,
    kind: e.kind,
    dtypes: e.kind === 'static' ? ['int8'] : heldDtypes(e).filter((d) => d !== 'fp16'),
    dims: e.dims,
    ...((e as { matryoshkaDims?: number[] }).matryoshkaDims ? { matryoshkaDims: (e as { matryoshkaDims?: number[] }).matryoshkaDims } : {}),
    ...((e as { languages?: string[] }).languages ? { languages: (e as { languages?: string[] }).languages } : {}),
  }));
}

// --- cache -------------------------------------------------------------------------------------

let dbPromise: Promise<IDBPDatabase> | null = null;
function db(): Promise<IDBPDatabase> {
  dbPromise ??= openDB('embedscope-choose', 1, { upgrade: (d) => void d.createObjectStore('measurements') });
  return dbPromise;
}
async function cached<T>(key: string): Promise<T | undefined> {
  try {
    return (await (await db()).get('measurements', key)) as T | undefined;
  } catch {
    return undefined; // no IndexedDB (private mode): measure again
  }
}
async function remember(key: string, value: unknown): Promise<void> {
  try {
    await (await db()).put('measurements', value, key);
  } catch {
    /* not kept: the next run measures it again */
  }
}
export async function forgetCache(): Promise<void> {
  await (await db()).clear('measurements');
}

export function deviceOf(env: Environment): string {
  return `${env.cores} cores · ${env.crossOriginIsolated ? 'isolated' : 'not isolated'} · ${describeGpu(env.webgpu)}`;
}

// --- the run -----------------------------------------------------------------------------------

export interface Progress {
  done: number;
  total: number;
  /** Seconds left, estimated from the units measured (not read from cache) so far. */
  secondsLeft: number | null;
  current: string;
  fromCache: number;
}

export interface RunHooks {
  signal: AbortSignal;
  onProgress(p: Progress): void;
  onRow(m: Measured): void;
  onLog?(line: string): void;
}

interface QualityEntry {
  spearman: number | null;
  ndcg10: number | null;
  recall100: number | null;
  notes: string[];
}

/** A Choose model on WASM at `threads` (registry.specFor, the one catalog entry → ModelSpec). */
function chooseSpec(model: ChooseModel, dtype: string, threads: number): ModelSpec {
  return specFor(catalog.find((e) => e.id === model.id)!, { dtype: dtype as TransformerDtype, backend: 'wasm', threads });
}

/**
 * Embeds each distinct sentence once per model (the retrieval set is made of STS-B test's own
 * sentences, so it costs nothing after STS), shortest first in batches: a transformer batch pads
 * to its longest text, and sorted batches pad little. A cancel stops within one batch.
 */
function memoEmbed(pool: LoadedPool, signal: AbortSignal) {
  const rows = new Map<string, Float32Array>();
  let dims = 0;
  return async (texts: string[]): Promise<{ vectors: Float32Array; dims: number }> => {
    const missing = [...new Set(texts.filter((t) => !rows.has(t)))].sort((a, b) => a.length - b.length);
    for (let i = 0; i < missing.length; i += EMBED_BATCH) {
      if (signal.aborted) throw new AbortError('The Choose run was cancelled.');
      const batch = missing.slice(i, i + EMBED_BATCH);
      const r = await pool.embed(batch, signal);
      dims = r.dims;
      batch.forEach((t, j) => rows.set(t, r.vectors.slice(j * r.dims, (j + 1) * r.dims)));
    }
    const vectors = new Float32Array(texts.length * dims);
    texts.forEach((t, i) => vectors.set(rows.get(t)!, i * dims));
    return { vectors, dims };
  };
}

export async function runChoose(variants: Variant[], models: ChooseModel[], hooks: RunHooks): Promise<{ env: Environment; rows: Measured[] }> {
  const busy = calibrationsRunning();
  if (busy.length) {
    hooks.onProgress({ done: 0, total: 0, secondsLeft: null, current: `waiting for Auto to finish measuring ${busy.join(', ')}: it would share the cores with this run`, fromCache: 0 });
    await whenCalibrationsDone(hooks.signal);
    if (hooks.signal.aborted) throw new AbortError('The Choose run was cancelled.');
  }
  const env = await collectEnvironment();
  const data = await loadChooseData();
  const device = deviceOf(env);
  const threads = defaultThreads();
  const groups = new Map<string, Variant[]>();
  for (const v of variants) groups.set(`${v.model}|${v.dtype}`, [...(groups.get(`${v.model}|${v.dtype}`) ?? []), v]);
  const total = groups.size + variants.length;
  let done = 0;
  let fromCache = 0;
  let measuredMs = 0;
  let measuredUnits = 0;
  const progress = (current: string) => {
    const left = total - done;
    const perUnit = measuredUnits > 0 ? measuredMs / measuredUnits : null;
    hooks.onProgress({ done, total, secondsLeft: perUnit === null ? null : (perUnit * left) / 1000, current, fromCache });
  };
  const unit = async <T>(label: string, key: string, measure: () => Promise<T>): Promise<T> => {
    progress(label);
    const hit = await cached<T>(key);
    if (hit !== undefined) {
      done++;
      fromCache++;
      return hit;
    }
    const started = performance.now();
    const value = await measure();
    measuredMs += performance.now() - started;
    measuredUnits++;
    done++;
    await remember(key, value);
    return value;
  };

  const rows: Measured[] = [];
  const emit = (m: Measured) => {
    rows.push(m);
    hooks.onRow(m);
  };
  for (const [, group] of groups) {
    const first = group[0];
    const model = models.find((m) => m.id === first.model)!;
    const kept = model.kind === 'static' ? null : await peekDecision(model.id, first.dtype);
    const plan = planSpeed(model.kind === 'static' ? 'static' : 'transformer', kept?.chosen ?? null, threads);
    // Quality does not depend on the configuration: its key keeps the default one, so a cached
    // quality result stays valid when Auto later finds a faster configuration.
    const keyOf = (what: 'quality' | 'speed', extra: string) =>
      measurementKey({ what, device, browser: env.browser, model: model.id, dtype: first.dtype, config: `${what === 'speed' ? plan.key : model.kind === 'static' ? 'js' : `wasm×${threads}`}${extra}`, data: what === 'speed' ? 'moby-dick sentences' : data.version });
    if (hooks.signal.aborted) {
      for (const v of group) emit({ variant: v, status: 'cancelled', reason: 'The run was cancelled before this variant was measured.', quality: {}, sentencesPerS: null, latencyMs: null, downloadBytes: null, memoryBytes: null });
      done += 1 + group.length; // the group's speed unit and each variant's quality unit: settled, not measured
      continue;
    }
    let speed: SpeedSummary;
    try {
      const speedKey = keyOf('speed', ` | batches ${SPEED_CHOICE.batches.join(',')} × ${SPEED_CHOICE.sentences} × ${SPEED_CHOICE.repeats}`);
      speed = await unit(`${model.label} ${first.dtype}: speed and size`, speedKey, async () => {
        const choice: MatrixChoice = { ...SPEED_CHOICE, models: [model.id], dtypes: [first.dtype], backends: [plan.config.backend], threads: [plan.config.threads || threads], pools: [plan.config.pool] };
        const cells = expandMatrix(choice, catalog);
        const texts = await textSet('sentences');
        const run = await runMatrix(cells, texts, choice, { loadPool: loadModelPool, signal: hooks.signal, onLog: hooks.onLog });
        const outcome = run.cells[0];
        if (outcome?.status === 'cancelled') throw new AbortError(outcome.reason);
        if (outcome?.status !== 'done') throw new Error(outcome?.reason ?? 'the benchmark measured nothing');
        return summarizeSpeed(run.rows as BenchRow[]);
      });
    } catch (err) {
      const cancelled = hooks.signal.aborted || (err as Error).name === 'AbortError';
      done++; // the speed unit itself
      for (const v of group) {
        done++;
        emit({ variant: v, status: cancelled ? 'cancelled' : 'failed', reason: cancelled ? 'The run was cancelled while this model was measured.' : `${model.label} ${first.dtype} could not be measured: ${describeError(err)}`, quality: {}, sentencesPerS: null, latencyMs: null, downloadBytes: null, memoryBytes: null });
      }
      progress('');
      continue;
    }

    let pool: LoadedPool | null = null;
    let embed: ReturnType<typeof memoEmbed> | null = null;
    try {
      for (const v of group) {
        const base = { variant: v, sentencesPerS: speed.sentencesPerS, latencyMs: speed.latencyMs, downloadBytes: speed.downloadBytes, memoryBytes: speed.memoryBytes, speedConfig: plan.label };
        const language = qualityLanguageProblem(v);
        if (language) {
          done++;
          emit({ ...base, status: 'done', quality: { spearman: null, ndcg10: null, recall100: null }, qualityNotes: [language] });
          continue;
        }
        if (hooks.signal.aborted) {
          done++;
          emit({ ...base, status: 'cancelled', reason: 'The run was cancelled before this variant\'s quality was measured; speed and size are kept.', quality: {} });
          continue;
        }
        try {
          const q = await unit(`${v.id}: quality`, keyOf('quality', ` | ${v.stored} | ${v.dims}d`), async (): Promise<QualityEntry> => {
            if (!pool) {
              pool = await loadModelPool(chooseSpec(model, v.dtype, threads), 1);
              embed = memoEmbed(pool, hooks.signal);
            }
            const precision = v.stored === 'binary+rescore' ? 'binary' : v.stored;
            const dims = v.dims < v.modelDims ? v.dims : undefined;
            const retrieval = await scoreRetrieval(data.retrieval, embed!, { precision, dims, rescore: v.stored === 'binary+rescore' ? RESCORE_MULTIPLIER : 1 });
            if (v.stored === 'binary+rescore') {
              return { spearman: null, ndcg10: retrieval.ndcg10, recall100: retrieval.recall100, notes: ['STS-B Spearman: not applicable — rescoring reorders search candidates; a sentence pair has none (see the binary row).'] };
            }
            const sts = await scoreSts(data.sts, embed!, { precision, dims });
            return { spearman: sts.spearman, ndcg10: retrieval.ndcg10, recall100: retrieval.recall100, notes: [] };
          });
          emit({ ...base, status: 'done', quality: { spearman: q.spearman, ndcg10: q.ndcg10, recall100: q.recall100 }, ...(q.notes.length ? { qualityNotes: q.notes } : {}) });
        } catch (err) {
          done++;
          const cancelled = hooks.signal.aborted || (err as Error).name === 'AbortError';
          emit({ ...base, status: cancelled ? 'cancelled' : 'failed', reason: cancelled ? 'The run was cancelled while this variant\'s quality was measured; speed and size are kept.' : `Quality could not be measured: ${describeError(err)}`, quality: {} });
        }
        progress('');
      }
    } finally {
      (pool as LoadedPool | null)?.unload();
    }
  }
  progress('');
  return { env, rows };
}
