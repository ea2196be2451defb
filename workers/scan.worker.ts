/**
 * A search helper: scans (and rescores) its share of rows that the search worker keeps in a
 * shared WebAssembly.Memory (search/pool.ts sends the memory with each request; what it keeps
 * between requests and when it lets go is search/helper.ts). Started only where the page is
 * cross-origin isolated.
 */
import { ScanHelper } from '../src/core/search/helper.ts';
import type { ScanRequest } from '../src/core/search/pool-protocol.ts';

const helper = new ScanHelper();

self.onmessage = (event: MessageEvent<ScanRequest>) => {
  const req = event.data;
  if (req.op !== 'release' && req.crash) {
    // Fault injection for the crash test: an uncaught error, as a real failure would raise.
    setTimeout(() => {
      throw new Error('search helper crashed (injected)');
    });
    return;
  }
  self.postMessage(helper.handle(req));
};
