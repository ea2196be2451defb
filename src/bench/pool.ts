/**
 * N instances of one model, side by side, for the memory-vs-pool-size rows: the model client's
 * own pool (N workers, one model each), with each instance's memory measured inside its worker.
 */
import { ModelClient, type InstanceMemory } from '../model-client.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { EmbedResult, ModelInfo } from '../core/models/types.ts';

export type { InstanceMemory } from '../model-client.ts';

export interface LoadedPool {
  readonly instances: number;
  readonly info: ModelInfo;
  /** How the pool was made, said in the rows so a reader knows. */
  readonly how: string;
  embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult>;
  /** One entry per instance. */
  memory(): Promise<InstanceMemory[]>;
  unload(): void;
}

export async function loadPool(spec: ModelSpec, instances: number): Promise<LoadedPool> {
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
