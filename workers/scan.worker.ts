/**
 * A search helper: scans its share of rows that the search worker keeps in a shared
 * WebAssembly.Memory (search/pool.ts sends the memory with each request; instances are cached
 * per memory key, one at a time, and dropped when the search worker releases the key). Started
 * only where the page is cross-origin isolated.
 */
import { ScanIndex } from '../src/core/search/scan.ts';
import type { ScanRequest, ScanReply } from '../src/core/search/pool-protocol.ts';

const instances = new Map<string, ScanIndex>();

self.onmessage = (event: MessageEvent<ScanRequest>) => {
  const req = event.data;
  if (req.op === 'release') {
    // The collection was deleted or re-packed: without this the instance (and the old rows'
    // memory) stayed until another collection was searched.
    for (const key of req.keys) instances.delete(key);
    self.postMessage({ id: req.id, hits: [], held: [...instances.keys()] } satisfies ScanReply);
    return;
  }
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
