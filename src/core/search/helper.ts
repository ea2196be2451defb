/**
 * What a scan helper (workers/scan.worker.ts) does with a request, apart from the messaging: it
 * keeps an instance of the kernels per memory key (the memory's contents: collection, precision,
 * load) for the search under way — the scanned rows' and, with rescoring, the rescoring rows' —
 * scans its share, rescores its own candidates, and drops the instances of released keys.
 *
 * Framework-free, so the tests run the very same steps in process (tests/unit/search-pool.test.ts).
 */
import type { ScanJob, ScanReply, ScanRequest } from './pool-protocol.ts';
import { ScanIndex } from './scan.ts';

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
    // One search at a time: drop the memories of any other (an earlier collection, or a load the
    // search worker has since replaced).
    for (const key of this.instances.keys()) if (key !== req.key && key !== req.rescore?.key) this.instances.delete(key);
    const index = this.instance(req.key, req);
    if (req.op === 'sum') return { id: req.id, hits: [], checksum: index.sum(req.from, req.to) };
    const hits = index.scan(req.query, req.k, req.from, req.to, req.slot);
    if (!req.rescore) return { id: req.id, hits };
    // Rescoring here, beside the scan: the search worker no longer scores every candidate after
    // the helpers answer (search/pool.ts topKRescored).
    const rescored = this.instance(req.rescore.key, req.rescore).scoreRows(req.rescore.query, hits.map((h) => h.index), req.slot);
    return { id: req.id, hits, rescored };
  }

  private instance(key: string, of: Pick<ScanJob, 'memory' | 'layout' | 'flavor'>): ScanIndex {
    let index = this.instances.get(key);
    if (!index) {
      index = ScanIndex.attach(of.memory, of.layout, of.flavor);
      this.instances.set(key, index);
    }
    return index;
  }
}
