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

/**
 * Which texts each of `parts` workers gets: longest first to the worker with the least work so
 * far (characters as the cost: attention grows with length), so the workers finish together. A
 * cut into contiguous parts can hand one worker the long texts while the other idles; then a pool
 * of two is little faster than one. Each worker then sorts its share by length into batches.
 */
export function shareByLength(texts: string[], parts: number): number[][] {
  const shares: number[][] = Array.from({ length: parts }, () => []);
  const load = new Array(parts).fill(0);
  const order = texts.map((_, i) => i).sort((a, b) => texts[b].length - texts[a].length || a - b);
  for (const i of order) {
    let p = 0;
    for (let q = 1; q < parts; q++) if (load[q] < load[p] || (load[q] === load[p] && shares[q].length < shares[p].length)) p = q;
    shares[p].push(i);
    load[p] += texts[i].length + 1;
  }
  for (const s of shares) s.sort((a, b) => a - b);
  return shares.filter((s) => s.length > 0);
}
