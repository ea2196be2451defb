/** How a search ran, in words the Collections and Compare columns show (one wording for both). */
import { formatBytes } from '../util/format.ts';

export interface ScanFacts {
  searchMs: number;
  loadMs: number;
  /** Bytes the first stage scanned. */
  bytes: number;
  kernel: 'wasm-relaxed' | 'wasm-simd128' | 'js';
  workers: number;
  workersNote?: string;
}

const KERNEL_NAMES: Record<ScanFacts['kernel'], string> = {
  'wasm-relaxed': 'WASM relaxed SIMD',
  'wasm-simd128': 'WASM SIMD128',
  js: 'JS (no WASM SIMD here)',
};

/** "3.1 ms · 51.2 MB scanned at 16.5 GB/s · WASM SIMD128 · 2 workers (+120 ms loading)". */
export function describeScan(f: ScanFacts): string {
  const rate = f.searchMs > 0 ? ` at ${(f.bytes / 1e6 / f.searchMs).toFixed(1)} GB/s` : '';
  const workers = `${f.workers} worker${f.workers === 1 ? '' : 's'}`;
  const load = f.loadMs ? ` (+${f.loadMs.toFixed(0)} ms loading)` : '';
  return `${f.searchMs.toFixed(1)} ms · ${formatBytes(f.bytes)} scanned${rate} · ${KERNEL_NAMES[f.kernel]} · ${workers}${load}`;
}
