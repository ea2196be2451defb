/** Messages between the search worker and its scan helpers (workers/scan.worker.ts). */
import type { KernelQuery } from '../precision/types.ts';
import type { Flavor, ScanLayout } from './scan.ts';
import type { Hit } from './topk.ts';

export interface ScanRequest {
  id: number;
  /** scan: top-k of rows [from, to); sum: the read-ceiling pass over them (the bench). */
  op: 'scan' | 'sum';
  /** Names the memory's contents (collection, precision, rows): a helper reuses its instance for it. */
  key: string;
  memory: WebAssembly.Memory;
  layout: ScanLayout;
  flavor: Flavor;
  query: KernelQuery;
  k: number;
  from: number;
  to: number;
  slot: number;
  /** Fault injection (tests): the helper throws instead of scanning. */
  crash?: boolean;
}

export interface ScanReply {
  id: number;
  hits: Hit[];
  /** The sum pass's checksum (op 'sum'). */
  checksum?: number;
}
