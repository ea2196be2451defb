/**
 * onnxruntime-web as the page's workers use it: its wasm and loader served by the app itself
 * (Vite emits them as assets; never a CDN), threads when the page is cross-origin isolated.
 * The default build includes the WebGPU execution provider (JSEP) beside WASM SIMD.
 */
import * as ort from 'onnxruntime-web';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import loaderUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';

ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, self.location.href).href, mjs: new URL(loaderUrl, self.location.href).href };
/** Default threads per model instance: all cores, up to 4, when SharedArrayBuffer is available. */
export const wasmThreads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency ?? 1)) : 1;
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

/** Whether a WebGPU adapter exists here, and what it is (SwiftShader reports isFallbackAdapter). */
export async function webgpuAdapter(): Promise<{ available: boolean; fallback: boolean; description: string }> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { available: false, fallback: false, description: 'this browser has no WebGPU' };
  try {
    const adapter = (await gpu.requestAdapter()) as {
      info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
      isFallbackAdapter?: boolean;
    } | null;
    if (!adapter) return { available: false, fallback: false, description: 'no WebGPU adapter' };
    const info = adapter.info ?? {};
    return {
      available: true,
      // Chrome moved isFallbackAdapter into adapter.info; SwiftShader also names itself.
      fallback: adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`),
      description: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter',
    };
  } catch (err) {
    return { available: false, fallback: false, description: `WebGPU failed: ${(err as Error).message}` };
  }
}
