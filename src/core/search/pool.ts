/**
 * One query's scan split over N workers: the calling worker scans the first share of the rows
 * itself and N − 1 helpers (workers/scan.worker.ts) scan the others in the same shared
 * WebAssembly.Memory, each with its own scratch slot; their top-k lists are merged (ties to the
 * lower row, so the result is the one-worker result exactly); rescoring scores the merged
 * candidates (topKRescored). A helper that dies mid-scan fails
 * that search with a message and is replaced on the next one.
 *
 * Framework-free: `spawn` makes the helper (a Worker in the browser).
 */
import type { KernelQuery } from '../precision/types.ts';
import type { ScanMessage, ScanReply, ScanRequest } from './pool-protocol.ts';
import { MAX_SLOTS, type ScanIndex } from './scan.ts';
import { mergeRescored, type RescoredPart } from './rescore.ts';
import { mergeHits, type Hit } from './topk.ts';

export interface HelperPort {
  postMessage(message: ScanRequest): void;
  terminate(): void;
  onmessage: ((event: MessageEvent<ScanReply>) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

/** The rows candidates are rescored against, and the query for them (a cosine precision's kernel). */
export interface RescoreWith {
  index: ScanIndex;
  /** Names the memory's contents for the helpers, like the scanned index's key. */
  key: string;
  query: KernelQuery;
}

export class ScanPoolError extends Error {
  override name = 'ScanPoolError';
}

/** Where rows [0, rows) are cut for `parts` workers: equal shares, whole rows. */
export function shares(rows: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, i) => Math.round((rows * i) / parts));
}

/**
 * Below this many bytes of rows per worker a scan stays on fewer workers: posting a query and
 * merging costs ~0.3–0.5 ms, so 200k × 512-bit rows (12.8 MB) took 1.1 ms on one worker and
 * 1.2 ms on two, while 100k × 512 float32 (205 MB) went 20 → 18 ms and 1M × 512 bits (64 MB)
 * 14 → 5.4 ms with the second (npm run bench, the loaded 2-core AMD EPYC).
 */
export const MIN_BYTES_PER_WORKER = 16e6;

export class ScanPool {
  private helpers: (HelperPort | null)[] = [];
  private pending = new Map<number, { resolve: (reply: ScanReply) => void; reject: (err: Error) => void; helper: number }>();
  private nextId = 1;
  /** Set by a test to make helper 1 crash in the next scan. */
  crashNext = false;

  constructor(
    private readonly spawn: () => HelperPort,
    readonly size: number,
    readonly minBytesPerWorker = MIN_BYTES_PER_WORKER,
  ) {
    if (!(size >= 1 && size <= MAX_SLOTS)) throw new ScanPoolError(`search workers must be 1…${MAX_SLOTS}, not ${size}`);
  }

  /** How many workers scan `index`: up to `size`, at least minBytesPerWorker of rows each. */
  partsFor(index: ScanIndex): number {
    const rows = index.layout.rows;
    const byBytes = this.minBytesPerWorker > 0 ? Math.floor((rows * index.rowBytes) / this.minBytesPerWorker) : Infinity;
    return Math.max(1, Math.min(this.size, rows, byBytes));
  }

  /** Top-k over every row of `index` (which must live in a shared memory when size > 1). */
  async topK(index: ScanIndex, key: string, query: KernelQuery, k: number): Promise<Hit[]> {
    const parts = await this.scanParts(index, key, query, k);
    return parts.length === 1 ? parts[0].hits : mergeHits(parts.map((p) => p.hits), k);
  }

  /**
   * Rescoring: the top `candidates` rows of `index` by `query` (as topK), scored again with
   * `rescore.query` against `rescore.index` (another precision of the same rows), best k of those
   * — the one-worker result exactly, either way (see mergeRescored).
   *
   * Where: 'caller' (the default) merges the workers' candidates to the global top `candidates`
   * and scores those here; 'workers' has each worker score its own share's candidates before it
   * answers. To keep the global cut, each worker must rescore its whole top `candidates` (N× the
   * work), and the pass is small: 40 float32 rows of 512 dims in 10 µs (warm) while the binary scan
   * of 1M rows takes ~2 ms. Measured in rotating rounds (npm run bench, 1M × 512, 2 workers, the
   * 2-core AMD EPYC at load 4.4–9.6, 8 runs): 'workers' slower in 7 of 8, by 0.09–0.27 ms (e.g.
   * 2.39 vs 2.30 ms, binary's top 40 alone 2.25) — so the caller rescores, 1.04–1.2× binary alone;
   * the bench keeps timing both.
   */
  async topKRescored(index: ScanIndex, key: string, query: KernelQuery, candidates: number, k: number, rescore: RescoreWith, where: 'caller' | 'workers' = 'caller'): Promise<Hit[]> {
    if (where === 'workers') return mergeRescored(await this.scanParts(index, key, query, candidates, rescore), candidates, k);
    const hits = await this.topK(index, key, query, candidates);
    return mergeRescored([{ hits, rescored: rescore.index.scoreRows(rescore.query, hits.map((h) => h.index)) }], candidates, k);
  }

  /** Each worker's top-k of its share (and their rescored scores), this worker's first. */
  private async scanParts(index: ScanIndex, key: string, query: KernelQuery, k: number, rescore?: RescoreWith): Promise<RescoredPart[]> {
    const rows = index.layout.rows;
    const parts = this.partsFor(index);
    const own = (from: number, to: number): RescoredPart => {
      const hits = index.scan(query, k, from, to, 0);
      return rescore ? { hits, rescored: rescore.index.scoreRows(rescore.query, hits.map((h) => h.index), 0) } : { hits };
    };
    if (parts === 1) return [own(0, rows)];
    const cuts = shares(rows, parts);
    const crash = this.crashNext;
    this.crashNext = false;
    const rescorePart = rescore && { key: rescore.key, memory: rescore.index.memory, layout: rescore.index.layout, flavor: rescore.index.flavor, query: rescore.query };
    const remote = Array.from({ length: parts - 1 }, (_, h) =>
      this.request(h, {
        op: 'scan', key, memory: index.memory, layout: index.layout, flavor: index.flavor, query, k, from: cuts[h + 1], to: cuts[h + 2], slot: h + 1,
        crash: crash && h === 0, ...(rescorePart ? { rescore: rescorePart } : {}),
      }),
    );
    // Scan our own share while the helpers scan theirs.
    const first = own(cuts[0], cuts[1]);
    return [first, ...(await Promise.all(remote)).map((r) => ({ hits: r.hits, rescored: r.rescored }))];
  }

  /** The read ceiling: the SIMD sum pass over every row, split like a scan. Returns a checksum. */
  async sum(index: ScanIndex, key: string, query: KernelQuery): Promise<number> {
    const rows = index.layout.rows;
    const parts = this.partsFor(index);
    const cuts = shares(rows, parts);
    const remote = Array.from({ length: parts - 1 }, (_, h) =>
      this.request(h, { op: 'sum', key, memory: index.memory, layout: index.layout, flavor: index.flavor, query, k: 0, from: cuts[h + 1], to: cuts[h + 2], slot: h + 1 }),
    );
    let checksum = index.sum(cuts[0], cuts[1]);
    for (const r of await Promise.all(remote)) checksum ^= r.checksum ?? 0;
    return checksum;
  }

  /**
   * Has every running helper drop its instance of `keys` (a deleted collection, or one re-packed
   * after it grew): an instance holds its shared memory, which cannot be freed while any worker
   * does. Starts no helper. Answers the keys each running helper still holds (none: just asks).
   */
  async release(keys: string[]): Promise<string[][]> {
    const running = this.helpers.flatMap((h, i) => (h ? [i] : []));
    const replies = await Promise.all(running.map((h) => this.request(h, { op: 'release', keys })));
    return replies.map((r) => r.held ?? []);
  }

  dispose(): void {
    this.helpers.forEach((h) => h?.terminate());
    this.helpers = [];
    for (const p of this.pending.values()) p.reject(new ScanPoolError('the search workers were stopped'));
    this.pending.clear();
  }

  private request(h: number, msg: ScanMessage): Promise<ScanReply> {
    const helper = this.helper(h);
    const id = this.nextId++;
    return new Promise<ScanReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, helper: h });
      helper.postMessage({ ...msg, id } as ScanRequest);
    });
  }

  private helper(h: number): HelperPort {
    const existing = this.helpers[h];
    if (existing) return existing;
    const port = this.spawn();
    port.onmessage = (event) => {
      const p = this.pending.get(event.data.id);
      if (!p) return;
      this.pending.delete(event.data.id);
      p.resolve(event.data);
    };
    port.onerror = (event) => {
      event.preventDefault?.();
      // A dead helper fails its scans; the next search starts a fresh one.
      port.terminate();
      if (this.helpers[h] === port) this.helpers[h] = null;
      for (const [id, p] of this.pending) {
        if (p.helper !== h) continue;
        this.pending.delete(id);
        p.reject(new ScanPoolError(`search worker ${h + 2} of ${this.size} stopped mid-scan (${event.message || 'it crashed'}); search again to retry`));
      }
    };
    this.helpers[h] = port;
    return port;
  }
}
