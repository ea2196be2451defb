/**
 * Memory, from several sources, each labelled with what it covers and what it misses: no single
 * number is "the" memory of a model in a browser, and a shared result should say which it is.
 */
import { precisions, type PrecisionId } from '../core/precision/index.ts';

export type MemorySource = 'model_file' | 'model_weights' | 'wasm_memory' | 'gpu_buffers' | 'ua_model_workers' | 'ua_page' | 'index';

export const memorySources: Record<MemorySource, { label: string; covers: string; misses: string }> = {
  model_file: {
    label: 'Model file',
    covers: 'bytes of the weights file as served (one copy, whatever the pool size)',
    misses: 'everything the runtime allocates to run it',
  },
  model_weights: {
    label: 'Weights held',
    covers: 'weights each instance keeps after loading (ModelInfo.bytes), summed over the pool',
    misses: 'runtime buffers, activations, the tokenizer',
  },
  wasm_memory: {
    label: 'WASM memory',
    covers: 'WebAssembly.Memory size of every model worker (onnxruntime’s heap, or a static model’s table; weights included)',
    misses: 'JS heap, GPU memory; a high-water mark, since WASM memory never shrinks',
  },
  gpu_buffers: {
    label: 'GPU buffers',
    covers: 'bytes of the GPUBuffers our workers created and have not destroyed (WebGPU only)',
    misses: 'the driver’s own allocations, textures, the browser’s GPU process',
  },
  ua_model_workers: {
    label: 'Browser-measured, model workers',
    covers: 'performance.measureUserAgentSpecificMemory(): bytes attributed to model workers, minus those before the load',
    misses: 'GPU memory, the browser’s other processes; needs cross-origin isolation',
  },
  ua_page: {
    label: 'Browser-measured, whole page',
    covers: 'performance.measureUserAgentSpecificMemory(): every realm of this page (page + all workers)',
    misses: 'GPU memory, the browser’s other processes; includes models loaded elsewhere in the page',
  },
  index: {
    label: 'Index (computed)',
    covers: 'bytes per stored vector × vectors, for each precision (computed, not measured)',
    misses: 'IndexedDB overhead, chunk text, the search worker’s copies',
  },
};

interface UaBreakdown {
  bytes: number;
  attribution: { url?: string; scope?: string }[];
}

export interface UaMemory {
  total: number;
  /** Bytes attributed to each model worker, in breakdown order. */
  modelWorkers: number[];
}

/** Whether performance.measureUserAgentSpecificMemory() can be called here, or why not. */
export function uaMemoryAvailability(): { available: boolean; reason: string } {
  const perf = globalThis.performance as Performance & { measureUserAgentSpecificMemory?: unknown };
  if (typeof perf?.measureUserAgentSpecificMemory !== 'function') return { available: false, reason: 'this browser has no performance.measureUserAgentSpecificMemory()' };
  if (!globalThis.crossOriginIsolated) return { available: false, reason: 'the page is not cross-origin isolated' };
  return { available: true, reason: '' };
}

/**
 * One measurement, or why there is none. `timeoutMs` bounds it: Chromium waits for a GC unless
 * launched with ForceEagerMeasureMemory, and (seen in Chromium 156) never answers while an
 * onnxruntime worker with WASM threads is loaded — its pthread workers sit in Atomics.wait.
 */
export async function measureUaMemory(timeoutMs = 10_000): Promise<UaMemory | string> {
  const availability = uaMemoryAvailability();
  if (!availability.available) return availability.reason;
  const perf = performance as Performance & { measureUserAgentSpecificMemory(): Promise<{ bytes: number; breakdown: UaBreakdown[] }> };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    perf.measureUserAgentSpecificMemory(),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  if (!result) return `performance.measureUserAgentSpecificMemory() gave no answer within ${timeoutMs / 1000} s (it waits for every worker; WASM-threaded workers block it)`;
  const modelWorkers = result.breakdown
    .filter((b) => b.attribution.some((a) => /model\.worker/.test(a.url ?? '')))
    .map((b) => b.bytes);
  return { total: result.bytes, modelWorkers };
}

/** Bytes a collection of `n` vectors of `dims` takes in each precision (packed as the store keeps them). */
export function indexBytes(dims: number, n: number): { precision: PrecisionId; bytes: number }[] {
  return (['float32', 'int8', 'binary'] as const).map((p) => ({ precision: p, bytes: precisions[p].bytesPerVector(dims) * n }));
}
