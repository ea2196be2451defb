/** Messages between the search worker and its scan helpers (workers/scan.worker.ts). */
import type { KernelQuery } from '../precision/types.ts';
import type { Flavor, ScanLayout } from './scan.ts';
import type { Hit } from './topk.ts';

export interface ScanJob {
  id: number;
  /** scan: top-k of rows [from, to); sum: the read-ceiling pass over them (the bench). */
  op: 'scan' | 'sum';
  /** Names the memory's contents (collection, precision, load): a helper reuses its instance for it. */
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
  /** Score the scan's top-k again against these rows (op 'scan'), as ScanReply.rescored. */
  rescore?: RescorePart;
}

/** The rows candidates are rescored against: another precision's memory of the same collection. */
export interface RescorePart {
  key: string;
  memory: WebAssembly.Memory;
  layout: ScanLayout;
  flavor: Flavor;
  query: KernelQuery;
}

/**
 * Drop the instances of these keys, and with them the helper's hold on their shared memory: sent
 * when a collection is deleted or re-packed after it grew, so the old rows' memory can be freed
 * (before the new block is allocated). No keys: only asks what the helper holds.
 */
export interface ScanRelease {
  id: number;
  op: 'release';
  keys: string[];
}

export type ScanRequest = ScanJob | ScanRelease;

/** A request before the pool numbers it. */
export type ScanMessage = Omit<ScanJob, 'id'> | Omit<ScanRelease, 'id'>;

export interface ScanReply {
  id: number;
  hits: Hit[];
  /** The sum pass's checksum (op 'sum'). */
  checksum?: number;
  /** With ScanJob.rescore: each hit's score against the rescoring rows, in the order of hits. */
  rescored?: number[];
  /** The keys the helper still holds (op 'release'). */
  held?: string[];
}
