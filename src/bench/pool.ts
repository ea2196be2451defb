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
 * Which texts each of `parts` workers gets: contiguous runs of the texts sorted by length, the
 * longest run to the first worker, cut so every worker's padded work is about the same. A worker
 * pads each batch to its longest text, so a share's cost is Σ over its batches (of `batchSize`,
 * by length) of rows × longest — characters standing in for tokens. Two workers handed a mix each
 * (longest first to the one with the least characters, the earlier rule) both padded to nearly the
 * call's longest text: on 32 Moby-Dick sentences at a time, 41.8k padded characters on the slower
 * worker against 84.2k for one worker (2.0×), where runs by length need 25.5k (3.3×).
 */
export function shareByLength(texts: string[], parts: number, batchSize = 32): number[][] {
  const n = texts.length;
  const p = Math.max(1, Math.min(Math.floor(parts), n));
  if (p <= 1) return n ? [texts.map((_, i) => i)] : [];
  const len = texts.map((t) => t.length + 1);
  const order = texts.map((_, i) => i).sort((a, b) => len[b] - len[a] || a - b);
  const b = Math.max(1, Math.floor(batchSize));
  // Greedy cut at a cap on each share's padded cost: the smallest cap that needs at most p shares.
  const cut = (cap: number): number[][] | null => {
    const shares: number[][] = [];
    let share: number[] = [];
    let cost = 0;
    let width = 0; // longest text of the current batch (the first one: longest first)
    for (const i of order) {
      const inBatch = share.length % b;
      const add = inBatch === 0 ? len[i] : width;
      if (share.length > 0 && cost + add > cap) {
        shares.push(share);
        if (shares.length >= p) return null;
        share = [];
        cost = 0;
      }
      if (share.length % b === 0) width = len[i];
      share.push(i);
      cost += width;
    }
    shares.push(share);
    return shares;
  };
  let lo = len[order[0]];
  let hi = n * len[order[0]]; // everything on one worker, padded to the longest: always fits
  let best = cut(hi)!;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const s = cut(mid);
    if (s) {
      best = s;
      hi = mid;
    } else lo = mid + 1;
  }
  // Fewer shares than workers only when texts are fewer than workers' worth: split the longest.
  while (best.length < p) {
    const at = best.reduce((k, s, j) => (s.length > best[k].length ? j : k), 0);
    if (best[at].length < 2) break;
    const s = best[at];
    best.splice(at, 1, s.slice(0, Math.ceil(s.length / 2)), s.slice(Math.ceil(s.length / 2)));
  }
  return best.map((s) => s.sort((x, y) => x - y));
}
