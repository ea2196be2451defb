/** The page's handle on one loaded model: a WorkerBridge to its own worker. */
import * as Comlink from 'comlink';
import { WorkerBridge } from './bridge.ts';
import type { LoadProgress, ModelSpec } from './core/models/registry.ts';
import type { EmbedResult, ModelInfo } from './core/models/types.ts';
import type { ModelWorkerApi } from '../workers/model.worker.ts';

export interface ModelClientOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Give the worker's memory back after this long unused; the model reloads on next use. */
  idleMs?: number;
}

export class ModelClient {
  info: ModelInfo | null = null;
  private readonly bridge: WorkerBridge<ModelWorkerApi>;

  constructor(
    readonly spec: ModelSpec,
    opts: ModelClientOptions = {},
  ) {
    const progress = opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined;
    this.bridge = new WorkerBridge<ModelWorkerApi>({
      create: () => new Worker(new URL('../workers/model.worker.ts', import.meta.url), { type: 'module', name: `model:${spec.id}` }),
      init: async (api) => {
        this.info = await api.load(spec, progress);
      },
      idleMs: opts.idleMs ?? 0,
    });
  }

  /** Loads the model (starting its worker); resolves with its info or rejects with a ModelLoadError. */
  async load(): Promise<ModelInfo> {
    await this.bridge.call(async () => undefined);
    return this.info!;
  }

  embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    return this.bridge.call((api, { abortFlag }) => api.embed(texts, abortFlag), signal);
  }

  get workerAlive(): boolean {
    return this.bridge.alive;
  }

  get workerStarts(): number {
    return this.bridge.starts;
  }

  unload(): void {
    this.bridge.dispose();
  }
}
