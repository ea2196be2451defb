/**
 * onnxruntime-web as the page's workers use it: its wasm and loader served by the app itself
 * (Vite emits them as assets; never a CDN), threads when the page is cross-origin isolated.
 * The default build includes the WebGPU execution provider (JSEP) beside WASM SIMD.
 */
import * as ort from 'onnxruntime-web';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import loaderUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import { defaultWasmThreads } from '../util/threads.ts';
import { probeWebGpu } from '../util/webgpu.ts';

ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href, mjs: new URL(loaderUrl, self.location.href).href };
/** Default threads per model instance: all cores, up to 4, when SharedArrayBuffer is available. */
export const wasmThreads = defaultWasmThreads(1);
ort.env.wasm.numThreads = wasmThreads;

/**
 * Threads for this worker's sessions (a pool splits the cores between its instances). onnxruntime
 * reads the setting once, when its wasm starts, so it must be set before the first session; each
 * model instance has a worker of its own, so this is that instance's choice. Without cross-origin
 * isolation there is no SharedArrayBuffer and so one thread, whatever was asked.
 */
export function useWasmThreads(requested: number | undefined): number {
  const threads = globalThis.crossOriginIsolated && requested ? Math.max(1, Math.min(16, Math.floor(requested))) : wasmThreads;
  ort.env.wasm.numThreads = threads;
  return threads;
}
ort.env.logLevel = 'error';

export { ort };

/** Whether a WebGPU adapter exists here, and what it is (SwiftShader is a fallback adapter). */
export async function webgpuAdapter(): Promise<{ available: boolean; fallback: boolean; description: string }> {
  const g = await probeWebGpu();
  if (!g.available) return { available: false, fallback: false, description: g.reason };
  return { available: true, fallback: g.fallback, description: [g.vendor, g.architecture, g.description].filter(Boolean).join(' ') || 'unknown adapter' };
}
