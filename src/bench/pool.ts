/**
 * N instances of one model, side by side, as the benchmark sees them: N workers, one model each,
 * a call's texts split across them, each instance's memory measured inside its worker. The
 * implementation is the model client's (`loadModelPool` in src/model-client.ts), passed in by the
 * page: bench sits below the clients in the layers and only names the shape it needs.
 */
import type { WorkerMemory } from '../core/memory-probe.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { EmbedResult, ModelInfo } from '../core/models/types.ts';

export interface InstanceMemory extends WorkerMemory {
  instance: number;
  /** Weights as loaded in that instance (the file's bytes for ONNX, the table for static models). */
  modelBytes: number;
}

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

/** Loads `instances` workers of the model; rejects (with every worker gone) when one fails to load. */
export type PoolLoader = (spec: ModelSpec, instances: number) => Promise<LoadedPool>;
