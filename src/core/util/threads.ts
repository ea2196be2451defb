/**
 * How many threads a WASM runtime gets. One rule for the page, the workers and the benchmark:
 * without cross-origin isolation there is no SharedArrayBuffer and so one thread; otherwise the
 * cores are shared between the instances of a pool, at most MAX_WASM_THREADS each (onnxruntime-web
 * gained nothing past 4 on the machines we measured, and each thread costs a worker's memory).
 */
export const MAX_WASM_THREADS = 4;

/** Logical cores this context reports (navigator.hardwareConcurrency in a page, worker or Node ≥ 21). */
export function availableCores(): number {
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

/** Whether threads are possible here: SharedArrayBuffer needs cross-origin isolation in a browser. */
export function threadsAllowed(): boolean {
  return globalThis.crossOriginIsolated === true;
}

/** Default WASM threads per instance of a pool of `instances`: its share of the cores, at least 1. */
export function defaultWasmThreads(instances = 1, cores = availableCores()): number {
  if (!threadsAllowed()) return 1;
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores / Math.max(1, instances))));
}
