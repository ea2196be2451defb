/**
 * onnxruntime-web as the page's workers use it: its wasm and loader served by the app itself
 * (Vite emits them as assets; never a CDN), threads when the page is cross-origin isolated.
 *
 * Two builds, one per worker, chosen by the backend the worker runs: WebGPU needs the JSEP build
 * (WebGPU + WASM, 28.3 MB of wasm); a WASM worker takes the WASM-only build (14.2 MB), which
 * loads in half the time and runs as fast. Measured (2-core EPYC, AVX2/AVX-512/VNNI, Chromium 156,
 * use-lite, quiet; scripts/exp/ort-builds.ts, fresh browser per build, alternated, 2 runs each):
 * two single-thread workers loading side by side were ready in 1.15–1.23 s (int8) and
 * 1.41–1.48 s (fp32) instead of 2.53–2.64 s and 2.31–2.57 s, their first call of 32 took
 * 0.57–1.5 s instead of 1.0–1.9 s, and a 1×2 worker was ready in 0.88–0.98 s (int8) instead of
 * 1.6–2.2 s; sentences/s at 1×1, 1×2 and 2×1 were the same within the runs' spread (int8 2×1
 * 324–345 vs 308–323). The JSEP build is built for WebGPU's asynchronous kernels, and its extra
 * code makes onnxruntime's start-up (session creation above all) slower in V8's first tier.
 */
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import jsepLoaderUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import wasmOnlyUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmOnlyLoaderUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import { defaultWasmThreads } from '../util/threads.ts';
import { probeWebGpu } from '../util/webgpu.ts';
import { withCustomSection } from '../util/wasm-section.ts';

export type OrtWeb = typeof import('onnxruntime-web');
/** The execution a worker's build must offer: WebGPU (JSEP build, WASM included) or WASM alone. */
export type OrtBuild = 'wasm' | 'webgpu';

const BUILDS: Record<OrtBuild, { load: () => Promise<OrtWeb>; wasm: string; loader: string }> = {
  wasm: { load: () => import('onnxruntime-web/wasm') as Promise<OrtWeb>, wasm: wasmOnlyUrl, loader: wasmOnlyLoaderUrl },
  webgpu: { load: () => import('onnxruntime-web'), wasm: jsepWasmUrl, loader: jsepLoaderUrl },
};

let loaded: { build: OrtBuild; ort: Promise<OrtWeb> } | null = null;

/**
 * This worker's onnxruntime: the build `backend` needs, set up for `threads` WASM threads. One
 * build a worker: once the JSEP build is loaded (a WebGPU model), its WASM serves a WASM session
 * too (the check against WASM, the move after a lost GPU) rather than a second 14 MB runtime;
 * a worker that began on the WASM-only build never becomes a WebGPU one (no second runtime either).
 * onnxruntime reads the thread count once, when its wasm starts (the first session), so the
 * first call's threads hold for the worker's life; each model instance has a worker of its own.
 */
export function ortFor(backend: OrtBuild, threads: number): Promise<OrtWeb> {
  if (loaded && backend === 'webgpu' && loaded.build === 'wasm') {
    return Promise.reject(new Error('this worker already runs the WASM-only onnxruntime: a WebGPU model needs a worker of its own'));
  }
  if (!loaded) {
    const build = BUILDS[backend];
    loaded = {
      build: backend,
      ort: build.load().then((ort) => {
        ort.env.wasm.wasmPaths = { wasm: new URL(build.wasm, self.location.href).href, mjs: new URL(build.loader, self.location.href).href };
        ort.env.wasm.numThreads = threads;
        ort.env.logLevel = 'error';
        return ort;
      }),
    };
  }
  return loaded.ort;
}

/**
 * Threads for this worker's sessions (a pool splits the cores between its instances): as asked,
 * else all cores up to 4. Without cross-origin isolation there is no SharedArrayBuffer and so one
 * thread, whatever was asked.
 */
export function wasmThreadsFor(requested: number | undefined): number {
  return globalThis.crossOriginIsolated && requested ? Math.max(1, Math.min(16, Math.floor(requested))) : defaultWasmThreads(1);
}

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


/** Whether a WebGPU adapter exists here, and what it is (SwiftShader is a fallback adapter). */
export async function webgpuAdapter(): Promise<{ available: boolean; fallback: boolean; description: string }> {
  const g = await probeWebGpu();
  if (!g.available) return { available: false, fallback: false, description: g.reason };
  return { available: true, fallback: g.fallback, description: [g.vendor, g.architecture, g.description].filter(Boolean).join(' ') || 'unknown adapter' };
}
