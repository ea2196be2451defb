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
import { withCustomSection } from '../util/wasm-section.ts';

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

/**
 * Gives a multi-threaded worker a compiled wasm module of its own, before its first session.
 *
 * V8 compiles one module for every worker of the page that compiles the same bytes, and a module
 * that had run onnxruntime with threads slowed the single-thread workers that shared it, for
 * over 10 s after its own worker was unloaded. Measured (2-core EPYC, Chromium 156, use-lite
 * int8, passes of 256 sentences, per-thread CPU from /proc; scripts/exp/after-unload.ts): a 2×1
 * pool loaded right after a 1×2 worker was unloaded ran 150–230 sentences/s for 12 s while V8's
 * background threads took 12 of the 21 CPU-seconds (4.6 on a fresh pool, which ran 400–460);
 * loaded 8 s later, or with V8's module cache off (--no-wasm-native-module-cache), or after a
 * 2×1 or 1×1 instead, it ran at full speed from its third pass. A custom section naming this
 * worker makes its bytes, and so its module, its own. The price: it is compiled for this worker
 * alone, and not while it downloads — only where threads run; single-thread workers keep
 * sharing the module the page streams.
 */
export function ownWasmModule(threads: number): void {
  if (threads <= 1) return;
  // onnxruntime's loader compiles its wasm with instantiateStreaming, once a worker: that one call
  // gets the bytes tagged. Not `env.wasm.wasmBinary`, which onnxruntime's loader keeps for the
  // worker's life (28 MB more in every threaded worker); these bytes are garbage once compiled.
  const streaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    WebAssembly.instantiateStreaming = streaming;
    const bytes = new Uint8Array(await (await source).arrayBuffer());
    return WebAssembly.instantiate(withCustomSection(bytes, 'embedscope.worker', `${Date.now()}-${Math.random()}`), imports);
  };
}

export { ort };

/** Whether a WebGPU adapter exists here, and what it is (SwiftShader is a fallback adapter). */
export async function webgpuAdapter(): Promise<{ available: boolean; fallback: boolean; description: string }> {
  const g = await probeWebGpu();
  if (!g.available) return { available: false, fallback: false, description: g.reason };
  return { available: true, fallback: g.fallback, description: [g.vendor, g.architecture, g.description].filter(Boolean).join(' ') || 'unknown adapter' };
}
