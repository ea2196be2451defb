/**
 * A search helper: scans its share of rows that the search worker keeps in a shared
 * WebAssembly.Memory (search/pool.ts sends the memory with each request; instances are cached
 * per memory key). Started only where the page is cross-origin isolated.
 */
import { ScanIndex } from '../src/core/search/scan.ts';
import type { ScanRequest, ScanReply } from '../src/core/search/pool-protocol.ts';

const instances = new Map<string, ScanIndex>();

self.onmessage = (event: MessageEvent<ScanRequest>) => {
  const req = event.data;
  if (req.crash) {
    // Fault injection for the crash test: an uncaught error, as a real failure would raise.
    setTimeout(() => {
      throw new Error('search helper crashed (injected)');
    });
    return;
  }
  let index = instances.get(req.key);
  if (!index) {
    instances.clear(); // one collection at a time is searched; drop the memories of others
    index = ScanIndex.attach(req.memory, req.layout, req.flavor);
    instances.set(req.key, index);
  }
  if (req.op === 'sum') {
    self.postMessage({ id: req.id, hits: [], checksum: index.sum(req.from, req.to) } satisfies ScanReply);
    return;
  }
  self.postMessage({ id: req.id, hits: index.scan(req.query, req.k, req.from, req.to, req.slot) } satisfies ScanReply);
};
