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
 * Contiguous parts of equal characters, as [start, end) ranges: the split for static models,
 * whose cost is linear in characters, so contiguous halves finish together and the rows come
 * back in order with one copy a part. shareByLength's sort and row-by-row reassembly cost the
 * page 1.1 µs a sentence at 1024 texts a call (Chromium, pool of 2), a third of a static
 * embed's own cost.
 */
export function shareContiguous(texts: string[], parts: number): [number, number][] {
  let total = 0;
  for (const t of texts) total += t.length + 1;
  const out: [number, number][] = [];
  let start = 0;
  let sum = 0;
  for (let i = 0; i < texts.length && out.length < parts - 1; i++) {
    const w = texts[i].length + 1;
    const target = (total * (out.length + 1)) / parts;
    if (sum + w >= target) {
      // Cut on whichever side of text i is nearer the target; a part is never empty.
      if (i > start && target - sum < sum + w - target) {
        out.push([start, i]);
        start = i;
        i--; // text i again, against the next target
        continue;
      }
      out.push([start, i + 1]);
      start = i + 1;
    }
    sum += w;
  }
  if (start < texts.length) out.push([start, texts.length]);
  return out;
}

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
