/**
 * The one place that picks the ONNX runtime. In a page or worker: onnxruntime-web, its wasm
 * served by the app (ort-web.ts: threads, and the WASM-only or the WebGPU build). In Node (the CLI's native reference, eval,
 * tests): onnxruntime-node on the same files. Both meet `OrtModule`, which is what makes a
 * native figure comparable with the page's.
 */
import type { OrtModule } from './transformer.ts';

export type OrtPlace = 'node' | 'web';

/** Node, not a browser context (vitest's node environment and tsx count as Node). */
export function ortPlace(): OrtPlace {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown; WorkerGlobalScope?: unknown };
  return g.process?.versions?.node && g.document === undefined && g.WorkerGlobalScope === undefined ? 'node' : 'web';
}

/** The runtime for here, loaded once. */
let loading: Promise<{ ort: OrtModule; place: OrtPlace }> | null = null;
export function loadOrt(): Promise<{ ort: OrtModule; place: OrtPlace }> {
  loading ??= (async () => {
    const place = ortPlace();
    if (place === 'node') {
      // A name Vite does not follow: the page's bundle must never include the native addon.
      const name = 'onnxruntime-node';
      return { ort: (await import(/* @vite-ignore */ name)) as unknown as OrtModule, place };
    }
    // A page or worker that only needs WASM; a transformer worker asks ort-web.ts for the build its backend needs.
    const web = await import('./ort-web.ts');
    return { ort: (await web.ortFor('wasm', web.wasmThreadsFor(undefined))) as unknown as OrtModule, place };
  })();
  return loading;
}

/**
 * Session options for onnxruntime-node at `threads` intra-op threads (one inter-op thread: the
 * graph is a chain, and a second pool only competes for the same cores).
 */
export function nodeSessionOptions(threads: number): Record<string, unknown> {
  return { intraOpNumThreads: Math.max(1, Math.floor(threads)), interOpNumThreads: 1 };
}
