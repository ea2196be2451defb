/**
 * What a scan helper (workers/scan.worker.ts) does with a request, apart from the messaging: it
 * keeps an instance of the kernels per memory key (the memory's contents: collection, precision,
 * load), scans its share (and, asked to, rescores its own candidates: search/pool.ts topKRescored
 * 'workers'), and drops the instances of released keys.
 *
 * An instance holds its shared memory, but the search worker holds the same memory for as long as
 * it keeps the rows loaded and releases every key it lets go of (workers/search.worker.ts), so
 * keeping instances until released costs no memory. Keeping only the last search's, as before,
 * instantiated the kernels anew whenever searches alternated between precisions (the Compare view
 * searches its columns in turn) — with rescoring in the helpers, between binary alone and binary
 * rescored with float32 the bench's rotating rounds read 4.5 ms instead of 2.9 (2 workers).
 * MAX_INSTANCES bounds them all the same.
 *
 * Framework-free, so the tests run the very same steps in process (tests/unit/search-pool.test.ts).
 */
import type { ScanJob, ScanReply, ScanRequest } from './pool-protocol.ts';
import { ScanIndex } from './scan.ts';

/** The most instances kept, least recently used dropped first (a bound should a release go missing). */
export const MAX_INSTANCES = 8;

export class ScanHelper {
  private readonly instances = new Map<string, ScanIndex>();

  /** The keys whose memory this helper holds. */
  get held(): string[] {
    return [...this.instances.keys()];
  }

  handle(req: ScanRequest): ScanReply {
    if (req.op === 'release') {
      // The collection was deleted or re-packed: without this the instance (and the old rows'
      // memory) stayed until another collection was searched.
      for (const key of req.keys) this.instances.delete(key);
      return { id: req.id, hits: [], held: this.held };
    }
    const index = this.instance(req.key, req);
    if (req.op === 'sum') return { id: req.id, hits: [], checksum: index.sum(req.from, req.to) };
    const hits = index.scan(req.query, req.k, req.from, req.to, req.slot);
    if (!req.rescore) return { id: req.id, hits };
    // Rescoring here, beside the scan (search/pool.ts topKRescored 'workers').
    const rescored = this.instance(req.rescore.key, req.rescore).scoreRows(req.rescore.query, hits.map((h) => h.index), req.slot);
    return { id: req.id, hits, rescored };
  }

  private instance(key: string, of: Pick<ScanJob, 'memory' | 'layout' | 'flavor'>): ScanIndex {
    const index = this.instances.get(key) ?? ScanIndex.attach(of.memory, of.layout, of.flavor);
    // Most recently used last.
    this.instances.delete(key);
    this.instances.set(key, index);
    while (this.instances.size > MAX_INSTANCES) this.instances.delete(this.instances.keys().next().value!);
    return index;
  }
}
