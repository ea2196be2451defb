/**
 * The page's handle on one loaded model: a pool of one or more instances, each a WorkerBridge to
 * a worker of its own (an instance = a tokenizer + a session + its memory). One instance runs one
 * call at a time, so a pool of N spreads a call's texts over N workers and splits the cores
 * between them (threads per instance). Whether that beats one instance with all the threads is
 * what the Benchmark view measures; memory grows with N, and `memory()` says by how much.
 *
 * Auto (a Transformer on backend "auto" with no threads or pool chosen) is measured, not guessed:
 * the model loads at once on the kept decision for this device (src/auto-client.ts), or on the
 * default while a short calibration times the candidates in other workers; the fastest then
 * replaces the default in place. Anything chosen by hand wins and is never calibrated.
 */
import * as Comlink from 'comlink';
import { defaultWasmThreads } from './core/util/threads.ts';
import { WorkerBridge } from './bridge.ts';
import { shareByLength, shareContiguous, type InstanceMemory, type LoadedPool } from './bench/pool.ts';
import type { LoadProgress, ModelSpec } from './core/models/registry.ts';
import type { EmbedResult, ModelInfo } from './core/models/types.ts';
import type { ModelWorkerApi } from '../workers/api/model.ts';
import type { AutoDecision } from './bench/auto.ts';
import type { LoadedDefault } from './auto-client.ts';

export type { InstanceMemory } from './bench/pool.ts';

export interface ModelClientOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Give the workers' memory back after this long unused; the model reloads on next use. */
  idleMs?: number;
  /** Workers holding the model; 1 unless asked (each costs the model's memory again). */
  instances?: number;
  /** The model changed how it runs after loading (it moved to WASM when its GPU was lost, Auto chose another configuration). */
  onInfoChange?: (info: ModelInfo) => void;
  /** A calibration's or the benchmark's own client: its calls do not hold back a calibration, and it never calibrates. */
  background?: boolean;
  /** Auto's texts per call to time (the person's batch shape); the spec's batch size by default. */
  autoBatch?: number;
}

export const MAX_INSTANCES = 8;

// The person's embedding calls in flight (and how many there were), so a calibration yields to them.
let foreground = 0;
let foregroundCalls = 0;
let idleWaiters: (() => void)[] = [];
function whenForegroundIdle(): Promise<void> {
  return foreground === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
}

/** One call's result from its parts' results, their rows already placed in `vectors`. */
function joinedResult(parts: EmbedResult[], vectors: Float32Array, rows: number, dims: number): EmbedResult {
  return {
    vectors,
    rows,
    dims,
    tokens: parts.reduce((s, r) => s + r.tokens, 0),
    truncated: parts.reduce((s, r) => s + r.truncated, 0),
    busyMs: parts.flatMap((r) => r.busyMs ?? []),
  };
}

/**
 * Starts a pool's workers: the first alone, then the rest together. The first one fetches and
 * checks the model's files (a hub download, the cache's damage check) and the others read them
 * from the cache: started together, two workers downloaded the same hub files twice, and a damaged
 * cached file was removed by one while the other, finding nothing, reported "are you online?"
 * instead of the damage.
 */
async function startInstances(bridges: WorkerBridge<ModelWorkerApi>[]): Promise<void> {
  const [first, ...rest] = bridges;
  await first?.call(async () => undefined);
  await Promise.all(rest.map((b) => b.call(async () => undefined)));
}

/** Whether Auto applies: a Transformer with nothing about how it runs chosen by hand. */
export function autoApplies(spec: ModelSpec, instances: number | undefined): boolean {
  return spec.kind === 'transformer' && (spec.backend ?? 'auto') === 'auto' && spec.threads === undefined && (instances ?? 1) <= 1;
}

export class ModelClient {
  info: ModelInfo | null = null;
  private _instances: number;
  private _spec: ModelSpec;
  private bridges: WorkerBridge<ModelWorkerApi>[];
  /** Calls in flight per instance, so a single-text call goes to an idle instance. */
  private busy: number[];
  private readonly onInfoChange?: (info: ModelInfo) => void;
  private readonly progress?: (p: LoadProgress) => void;
  private readonly opts: ModelClientOptions;
  private readonly auto: boolean;
  private calibration: AbortController | null = null;
  /** Workers loading for a decision (apply): an unload must stop them too, not let them finish. */
  private applying: WorkerBridge<ModelWorkerApi>[] = [];
  private unregister: (() => void) | null = null;
  private unloaded = false;
  /** Settles when the calibration started by load() (if any) is over: for tests and the card. */
  calibrated: Promise<AutoDecision | null> = Promise.resolve(null);

  constructor(spec: ModelSpec, opts: ModelClientOptions = {}) {
    this.opts = opts;
    this.onInfoChange = opts.onInfoChange;
    this.auto = !opts.background && autoApplies(spec, opts.instances);
    this._instances = Math.max(1, Math.min(MAX_INSTANCES, Math.floor(opts.instances ?? 1)));
    this._spec = this._instances > 1 && spec.threads === undefined ? { ...spec, threads: defaultWasmThreads(this._instances) } : spec;
    this.progress = opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined;
    this.busy = new Array(this._instances).fill(0);
    this.bridges = this.makeBridges(this._spec, this._instances);
  }

  get instances(): number {
    return this._instances;
  }

  get spec(): ModelSpec {
    return this._spec;
  }

  private makeBridges(spec: ModelSpec, instances: number): WorkerBridge<ModelWorkerApi>[] {
    return Array.from({ length: instances }, (_, i) => {
      const name = instances > 1 ? `model:${spec.id}#${i + 1}` : `model:${spec.id}`;
      return new WorkerBridge<ModelWorkerApi>({
        create: () => new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name: this.opts.background ? `calibrate:${name}` : name }),
        init: async (api) => {
          // Every instance loads the same files; the first to finish speaks for the pool (progress too).
          const info = await api.load(spec, i === 0 ? this.progress : undefined);
          if (i === 0 || !this.info) this.info = info;
        },
        idleMs: this.opts.idleMs ?? 0,
      });
    });
  }

  /** Loads the model in every instance; resolves with its info or rejects with a ModelLoadError. */
  async load(): Promise<ModelInfo> {
    if (this.auto) {
      const { lookupDecision, setAutoState, describeState } = await import('./auto-client.ts');
      const dtype = this._spec.dtype ?? 'fp32';
      const found = await lookupDecision(this._spec.id, dtype, this.autoBatch).catch(() => ({ decision: null }) as const);
      if (found.decision) {
        // A kept decision: load straight onto it, no calibration.
        const defaults = { spec: this._spec, instances: this._instances };
        this.configure(found.decision.chosen.pool, found.decision);
        try {
          await startInstances(this.bridges);
          setAutoState(this._spec.id, dtype, { state: 'cached', text: describeState(found.decision, true), decision: found.decision });
          this.registerAuto();
          this.onInfoChange?.(this.info!); // the pool size is not the one asked for at construction
          return this.info!;
        } catch (first) {
          // The kept configuration no longer loads (no GPU any more, out of memory): try the default.
          this._spec = defaults.spec;
          this.configure(defaults.instances, null);
          try {
            await startInstances(this.bridges);
          } catch {
            // The model itself does not load (a damaged cached file, offline): the first attempt's
            // error says why — the retry only finds what that attempt removed — and the decision stays.
            throw first;
          }
          const { forgetDecision } = await import('./auto-client.ts');
          await forgetDecision(defaults.spec.id, dtype);
          this.registerAuto();
          this.calibrated = this.calibrate('the kept configuration did not load');
          return this.info!;
        }
      }
      await startInstances(this.bridges);
      this.registerAuto();
      this.calibrated = this.calibrate('stale' in found && found.stale ? `the kept decision no longer applies: ${found.stale}` : null);
      return this.info!;
    }
    await startInstances(this.bridges);
    return this.info!;
  }

  private get autoBatch(): number {
    return Math.max(1, Math.floor(this.opts.autoBatch ?? this._spec.batchSize ?? 32));
  }

  private registerAuto() {
    if (this.unregister) return;
    void import('./auto-client.ts').then(({ registerAuto }) => {
      if (this.unloaded) return;
      this.unregister = registerAuto(this._spec.id, this._spec.dtype ?? 'fp32', {
        stop: (reason) => this.calibration?.abort(reason ?? 'cancelled by you'),
        remeasure: async () => {
          const { forgetDecision } = await import('./auto-client.ts');
          await forgetDecision(this._spec.id, this._spec.dtype ?? 'fp32');
          this.calibrated = this.calibrate(null);
          await this.calibrated;
        },
      });
    });
  }

  /**
   * Times the candidates in background workers while this one serves on the default; keeps and
   * applies the fastest. Interrupted (the person's stop, the tab hidden, a crash): nothing kept,
   * the model stays as it is.
   */
  private async calibrate(why: string | null): Promise<AutoDecision | null> {
    const { runCalibration, keepDecision, setAutoState, describeState, autoState } = await import('./auto-client.ts');
    const { describeCandidate } = await import('./bench/auto.ts');
    const model = this._spec.id;
    const dtype = this._spec.dtype ?? 'fp32';
    this.calibration?.abort('a new calibration started');
    const ctl = new AbortController();
    this.calibration = ctl;
    const figures: string[] = [];
    const say = () => setAutoState(model, dtype, { state: 'calibrating', text: `Auto is measuring this device${why ? ` (${why})` : ''}… ${figures.join('; ')}` });
    say();
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') ctl.abort('the tab was hidden');
    };
    document.addEventListener('visibilitychange', onVisibility);
    // The chosen candidate's workers, when the calibration loaded them: the apply takes them over.
    let adopted: LoadedPool[] = [];
    try {
      const base: ModelSpec = { ...this._spec, backend: 'auto', threads: undefined };
      const decision = await runCalibration({
        spec: base,
        batch: this.autoBatch,
        loadPool: (spec, n) => loadModelPool(spec, n, { background: true, signal: ctl.signal }),
        loaded: this.servingPool(),
        adopt: (pools) => (adopted = pools),
        signal: ctl.signal,
        whenIdle: whenForegroundIdle,
        foregroundCalls: () => foregroundCalls,
        onProgress: (line) => {
          figures.push(line);
          say();
        },
      });
      if (ctl.signal.aborted || this.unloaded) throw new Error(String(ctl.signal.reason ?? 'unloaded'));
      await keepDecision(decision).catch(() => {}); // no IndexedDB: decided for this load only
      // 'decided' is said only once the model runs on the decision: until the new workers have loaded
      // they read the model's files, and anything that waits for the calibration to end (a benchmark,
      // the Models view's damaged-cache test) must not run beside those loads. Said before the apply,
      // the damaged-cache test failed about half the time whenever Auto chose 2 workers × 1 thread: the
      // apply's load found the damage first, removed the file and fetched it again.
      figures.push(`chose ${describeCandidate(decision.chosen)}, loading it`);
      say();
      await this.apply(decision, adopted.splice(0));
      if (this.unloaded) throw new Error('unloaded');
      setAutoState(model, dtype, { state: 'decided', text: describeState(decision, false), decision });
      return decision;
    } catch (err) {
      if (!this.unloaded) setAutoState(model, dtype, { state: 'interrupted', text: (err as Error).message });
      // Unloaded mid-calibration: nobody shows this state any more, and a Benchmark or Choose run
      // waiting for calibrations to end must not wait on it.
      else if (autoState(model, dtype)?.state === 'calibrating') setAutoState(model, dtype, null);
      return null;
    } finally {
      // Handed over, then interrupted before the apply (unloaded, a failed write): they go too.
      adopted.forEach((p) => p.unload());
      document.removeEventListener('visibilitychange', onVisibility);
      if (this.calibration === ctl) this.calibration = null;
    }
  }

  /**
   * The model as it serves now, for the calibration to time instead of loading it again: its calls
   * go straight to the workers (not counted as the person's), and the calibration never unloads it.
   */
  private servingPool(): LoadedDefault | undefined {
    const info = this.info;
    if (!info || (info.backend !== 'wasm' && info.backend !== 'webgpu')) return undefined;
    return {
      candidate: { backend: info.backend, pool: this._instances, threads: info.backend === 'wasm' ? (info.threads ?? 1) : 0 },
      pool: {
        instances: this._instances,
        info,
        how: 'the model as it serves',
        embed: (texts, signal) => this.embedOnPool(texts, signal),
        memory: () => this.memory(),
        unload: () => {},
      },
    };
  }

  /** Rebuilds the (not yet started) workers for a decision, or for the default with `null`. */
  private configure(instances: number, d: AutoDecision | null) {
    this._instances = instances;
    if (d) this._spec = { ...this._spec, backend: d.chosen.backend, ...(d.chosen.backend === 'wasm' ? { threads: d.chosen.threads } : {}) };
    for (const b of this.bridges) b.dispose();
    this.busy = new Array(this._instances).fill(0);
    this.bridges = this.makeBridges(this._spec, this._instances);
  }

  /**
   * Moves the model onto the decision: onto the calibration's own workers for it when they are
   * handed over (loaded and warm: no load at all), else onto new workers loaded first; the old
   * ones finish their calls, then go.
   */
  private async apply(d: AutoDecision, handed: LoadedPool[] = []) {
    const same = d.chosen.pool === this._instances && d.chosen.backend === this.info?.backend && (d.chosen.backend !== 'wasm' || d.chosen.threads === this.info?.threads);
    // Taken-over workers have no idle timer of this client's: only when it has none either.
    const taken = handed.length > 0 && !same && !this.opts.idleMs ? takeOver(handed) : null;
    if (!taken) handed.forEach((p) => p.unload());
    if (same) return;
    const spec: ModelSpec = { ...this._spec, backend: d.chosen.backend, ...(d.chosen.backend === 'wasm' ? { threads: d.chosen.threads } : {}) };
    const fresh = taken?.bridges ?? this.makeBridges(spec, d.chosen.pool);
    const previousInfo = this.info;
    if (taken) this.info = taken.info;
    this.applying = fresh;
    try {
      await startInstances(fresh);
    } catch {
      for (const b of fresh) b.dispose();
      this.info = previousInfo;
      return; // the default keeps serving
    } finally {
      this.applying = [];
    }
    if (this.unloaded) {
      for (const b of fresh) b.dispose();
      return;
    }
    const old = this.bridges;
    const oldBusy = this.busy;
    this._spec = spec;
    this._instances = d.chosen.pool;
    this.bridges = fresh;
    this.busy = new Array(this._instances).fill(0);
    // Calls already on the old workers run to the end there.
    const drained = () => oldBusy.every((n) => n === 0);
    const retire = () => (drained() ? old.forEach((b) => b.dispose()) : setTimeout(retire, 50));
    retire();
    if (this.info) this.onInfoChange?.(this.info);
  }

  /** Embeds on the pool: the texts are cut into one contiguous part per instance, in order. */
  async embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    if (this.opts.background) return this.embedOnPool(texts, signal);
    foreground++;
    foregroundCalls++;
    try {
      return await this.embedOnPool(texts, signal);
    } finally {
      if (--foreground === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        waiters.forEach((w) => w());
      }
    }
  }

  private async embedOnPool(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    const bridges = this.bridges;
    const busy = this.busy;
    const parts = Math.min(bridges.length, texts.length);
    if (parts <= 1) return this.onInstance(bridges, busy, busy.indexOf(Math.min(...busy)), texts, signal);
    if (this._spec.kind === 'static') return this.embedContiguous(bridges, busy, texts, parts, signal);
    // A Transformer pads each batch to its longest text (runs by length, balanced on padded work).
    const shares = shareByLength(texts, parts, this._spec.kind === 'transformer' ? (this._spec.batchSize ?? 32) : 1);
    const results = await Promise.all(shares.map((rows, i) => this.onInstance(bridges, busy, i, rows.map((r) => texts[r]), signal)));
    const dims = results.find((r) => r.dims)?.dims ?? 0;
    const vectors = new Float32Array(texts.length * dims);
    // Each row back to the place its text had in the call.
    results.forEach((r, i) => shares[i].forEach((row, k) => vectors.set(r.vectors.subarray(k * dims, (k + 1) * dims), row * dims)));
    return joinedResult(results, vectors, texts.length, dims);
  }

  private async embedContiguous(bridges: WorkerBridge<ModelWorkerApi>[], busy: number[], texts: string[], parts: number, signal?: AbortSignal): Promise<EmbedResult> {
    const ranges = shareContiguous(texts, parts);
    const results = await Promise.all(ranges.map(([from, to], i) => this.onInstance(bridges, busy, i, texts.slice(from, to), signal)));
    const dims = results.find((r) => r.dims)?.dims ?? 0;
    const vectors = new Float32Array(texts.length * dims);
    results.forEach((r, i) => vectors.set(r.vectors, ranges[i][0] * dims));
    return joinedResult(results, vectors, texts.length, dims);
  }

  /** Memory of each instance, measured inside its worker (see core/memory-probe.ts). */
  memory(): Promise<InstanceMemory[]> {
    return Promise.all(this.bridges.map((b, i) => b.call((api) => api.memory()).then((m) => ({ instance: i + 1, ...m }))));
  }

  /**
   * Gives this client's workers to another client (Auto taking over a calibration's workers for
   * its decision): this one keeps none, so its unload no longer stops them.
   */
  handOverWorkers(): WorkerBridge<ModelWorkerApi>[] {
    const bridges = this.bridges;
    this.bridges = [];
    this.busy = [];
    this.unloaded = true;
    return bridges;
  }

  get workerAlive(): boolean {
    return this.bridges.some((b) => b.alive);
  }

  get workerStarts(): number {
    return this.bridges.reduce((s, b) => s + b.starts, 0);
  }

  /**
   * Stops every worker of this model at once, the calibration's and a decision's still loading
   * included: a load left to finish kept writing the model's files into the hub cache, so a
   * "Delete" in the Models view during a calibration left 3 of 4 files stored (e2e, full run).
   */
  unload(): void {
    this.unloaded = true;
    this.calibration?.abort('the model was unloaded');
    this.unregister?.();
    for (const b of [...this.bridges, ...this.applying]) b.dispose();
  }

  private async onInstance(bridges: WorkerBridge<ModelWorkerApi>[], busy: number[], i: number, texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    busy[i]++;
    try {
      const { info, ...result } = await bridges[i].call((api, { abortFlag }) => api.embed(texts, abortFlag), signal);
      if (info) {
        this.info = info;
        this.onInfoChange?.(info);
      }
      return result;
    } finally {
      busy[i]--;
    }
  }
}

/** The client behind each pool loadModelPool made, so a calibration's workers can be taken over. */
const poolClients = new WeakMap<LoadedPool, ModelClient>();

/** The workers of pools loadModelPool made (one worker each, already loaded), or null when any is not such a pool. */
function takeOver(pools: LoadedPool[]): { bridges: WorkerBridge<ModelWorkerApi>[]; info: ModelInfo } | null {
  const clients = pools.map((p) => poolClients.get(p));
  if (clients.some((c) => !c || c.instances !== 1 || !c.info || !c.workerAlive)) return null;
  return { bridges: clients.flatMap((c) => c!.handOverWorkers()), info: clients[0]!.info! };
}

/** The benchmark's pool (src/bench/pool.ts names the shape): a ModelClient of `instances` workers, loaded. */
export async function loadModelPool(spec: ModelSpec, instances: number, opts: { background?: boolean; signal?: AbortSignal } = {}): Promise<LoadedPool> {
  const client = new ModelClient(spec, { instances, background: opts.background ?? true });
  // Aborted mid-load (a calibration stopped, its model unloaded): the workers go now, not after
  // they have finished reading — and caching — the model's files.
  const stop = () => client.unload();
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    const info = await client.load();
    const pool: LoadedPool = {
      instances: client.instances,
      info,
      how: client.instances === 1 ? 'one worker' : `pool of ${client.instances} workers`,
      embed: (texts, signal) => client.embed(texts, signal),
      memory: () => client.memory(),
      unload: () => client.unload(),
    };
    poolClients.set(pool, client);
    return pool;
  } catch (err) {
    client.unload();
    throw err;
  }
}
