/**
 * The page's handle on one loaded model: a pool of one or more instances, each a WorkerBridge to
 * a worker of its own (an instance = a tokenizer + a session + its memory). One instance runs one
 * call at a time, so a pool of N spreads a call's texts over N workers and splits the cores
 * between them (threads per instance). Whether that beats one instance with all the threads is
 * what the Benchmark view measures; memory grows with N, and `memory()` says by how much.
 */
import * as Comlink from 'comlink';
import { defaultWasmThreads } from './core/util/threads.ts';
import { WorkerBridge } from './bridge.ts';
import type { InstanceMemory, LoadedPool } from './bench/pool.ts';
import type { LoadProgress, ModelSpec } from './core/models/registry.ts';
import type { EmbedResult, ModelInfo } from './core/models/types.ts';
import type { ModelWorkerApi } from '../workers/model.worker.ts';

export interface ModelClientOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Give the workers' memory back after this long unused; the model reloads on next use. */
  idleMs?: number;
  /** Workers holding the model; 1 unless asked (each costs the model's memory again). */
  instances?: number;
  /** The model changed how it runs after loading (it moved to WASM when its GPU was lost). */
  onInfoChange?: (info: ModelInfo) => void;
}

export type { InstanceMemory } from './bench/pool.ts';

export const MAX_INSTANCES = 8;

export class ModelClient {
  info: ModelInfo | null = null;
  readonly instances: number;
  readonly spec: ModelSpec;
  private readonly bridges: WorkerBridge<ModelWorkerApi>[];
  /** Calls in flight per instance, so a single-text call goes to an idle instance. */
  private readonly busy: number[];
  private readonly onInfoChange?: (info: ModelInfo) => void;

  constructor(spec: ModelSpec, opts: ModelClientOptions = {}) {
    this.onInfoChange = opts.onInfoChange;
    this.instances = Math.max(1, Math.min(MAX_INSTANCES, Math.floor(opts.instances ?? 1)));
    this.spec = this.instances > 1 && spec.threads === undefined ? { ...spec, threads: defaultWasmThreads(this.instances) } : spec;
    const progress = opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined;
    this.busy = new Array(this.instances).fill(0);
    this.bridges = Array.from({ length: this.instances }, (_, i) => {
      const name = this.instances > 1 ? `model:${spec.id}#${i + 1}` : `model:${spec.id}`;
      return new WorkerBridge<ModelWorkerApi>({
        create: () => new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name }),
        init: async (api) => {
          // Every instance loads the same files; the first to finish speaks for the pool (progress too).
          const info = await api.load(this.spec, i === 0 ? progress : undefined);
          if (i === 0 || !this.info) this.info = info;
        },
        idleMs: opts.idleMs ?? 0,
      });
    });
  }

  /** Loads the model in every instance; resolves with its info or rejects with a ModelLoadError. */
  async load(): Promise<ModelInfo> {
    await Promise.all(this.bridges.map((b) => b.call(async () => undefined)));
    return this.info!;
  }

  /** Embeds on the pool: the texts are cut into one contiguous part per instance, in order. */
  async embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    const parts = Math.min(this.instances, texts.length);
    if (parts <= 1) return this.onInstance(this.idlest(), texts, signal);
    const size = Math.ceil(texts.length / parts);
    const results = await Promise.all(
      Array.from({ length: parts }, (_, i) => this.onInstance(i, texts.slice(i * size, (i + 1) * size), signal)),
    );
    const dims = results.find((r) => r.dims)?.dims ?? 0;
    const vectors = new Float32Array(texts.length * dims);
    let row = 0;
    for (const r of results) {
      vectors.set(r.vectors, row * dims);
      row += r.rows;
    }
    return {
      vectors,
      rows: texts.length,
      dims,
      tokens: results.reduce((s, r) => s + r.tokens, 0),
      truncated: results.reduce((s, r) => s + r.truncated, 0),
    };
  }

  /** Memory of each instance, measured inside its worker (see core/memory-probe.ts). */
  memory(): Promise<InstanceMemory[]> {
    return Promise.all(this.bridges.map((b, i) => b.call((api) => api.memory()).then((m) => ({ instance: i + 1, ...m }))));
  }

  get workerAlive(): boolean {
    return this.bridges.some((b) => b.alive);
  }

  get workerStarts(): number {
    return this.bridges.reduce((s, b) => s + b.starts, 0);
  }

  unload(): void {
    for (const b of this.bridges) b.dispose();
  }

  private idlest(): number {
    return this.busy.indexOf(Math.min(...this.busy));
  }

  private async onInstance(i: number, texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    this.busy[i]++;
    try {
      const { info, ...result } = await this.bridges[i].call((api, { abortFlag }) => api.embed(texts, abortFlag), signal);
      if (info) {
        this.info = info;
        this.onInfoChange?.(info);
      }
      return result;
    } finally {
      this.busy[i]--;
    }
  }
}

/** The benchmark's pool (src/bench/pool.ts names the shape): a ModelClient of `instances` workers, loaded. */
export async function loadModelPool(spec: ModelSpec, instances: number): Promise<LoadedPool> {
  const client = new ModelClient(spec, { instances });
  try {
    const info = await client.load();
    return {
      instances: client.instances,
      info,
      how: client.instances === 1 ? 'one worker' : `pool of ${client.instances} workers`,
      embed: (texts, signal) => client.embed(texts, signal),
      memory: () => client.memory(),
      unload: () => client.unload(),
    };
  } catch (err) {
    client.unload();
    throw err;
  }
}
