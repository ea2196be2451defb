/**
 * N instances of one model, side by side, for the memory-vs-pool-size rows. Until the model
 * client's own pool lands, an N-pool is N separate ModelClients: the same N workers with one
 * model each, so the same memory. The WASM / GPU-buffer probe needs the worker's memory API.
 */
import { ModelClient } from '../model-client.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { EmbedResult, ModelInfo } from '../core/models/types.ts';

export interface InstanceMemory {
  instance: number;
  modelBytes: number;
  wasmBytes: number;
  gpuBufferBytes: number;
}

export interface LoadedPool {
  readonly instances: number;
  readonly info: ModelInfo;
  /** How the pool was made, said in the rows so a reader knows. */
  readonly how: string;
  embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult>;
  /** One entry per instance, or null where the workers cannot report their memory. */
  memory(): Promise<InstanceMemory[] | null>;
  unload(): void;
}

type MaybeMemoryClient = ModelClient & { memory?: () => Promise<InstanceMemory[]> };

export async function loadPool(spec: ModelSpec, instances: number): Promise<LoadedPool> {
  const clients: MaybeMemoryClient[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const c: MaybeMemoryClient = new ModelClient(spec);
      clients.push(c);
      await c.load();
    }
  } catch (err) {
    for (const c of clients) c.unload();
    throw err;
  }
  let next = 0;
  return {
    instances,
    info: clients[0].info!,
    how: instances === 1 ? 'one worker' : `${instances} separate workers`,
    embed: (texts, signal) => clients[next++ % clients.length].embed(texts, signal),
    async memory() {
      if (typeof clients[0].memory !== 'function') return null;
      const per = await Promise.all(clients.map((c) => c.memory!()));
      return per.flat().map((m, i) => ({ ...m, instance: i }));
    },
    unload: () => clients.forEach((c) => c.unload()),
  };
}
