/**
 * Worker of scripts/exp/ort-builds.ts: loads use-lite on one onnxruntime-web build ("jsep": the
 * default bundle with WebGPU, 28 MB wasm; "wasm": the WASM-only bundle, 14 MB) and reports where
 * the load went, then times passes when asked.
 */
import jsepWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import jsepMjs from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import plainWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import plainMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import { urlFiles } from '../../src/core/models/files.ts';
import { loadTransformerModel, type OrtModule, type TransformerEmbedder } from '../../src/core/models/transformer.ts';
import { withCustomSection } from '../../src/core/util/wasm-section.ts';

let model: TransformerEmbedder;
self.onmessage = async (e: MessageEvent) => {
  const m = e.data;
  if (m.type === 'load') {
    const t0 = performance.now();
    const ort = (m.build === 'wasm' ? await import('onnxruntime-web/wasm') : await import('onnxruntime-web')) as typeof import('onnxruntime-web');
    const tImport = performance.now() - t0;
    ort.env.wasm.wasmPaths = m.build === 'wasm'
      ? { wasm: new URL(plainWasm, self.location.href).href, mjs: new URL(plainMjs, self.location.href).href }
      : { wasm: new URL(jsepWasm, self.location.href).href, mjs: new URL(jsepMjs, self.location.href).href };
    ort.env.wasm.numThreads = m.threads;
    ort.env.logLevel = 'error';
    const phases: Record<string, number> = { import: tImport };
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async (source, imports) => {
      WebAssembly.instantiateStreaming = streaming;
      const s = performance.now();
      let r;
      if (m.threads > 1) {
        const bytes = new Uint8Array(await (await source).arrayBuffer());
        phases.wasmFetch = performance.now() - s;
        r = await WebAssembly.instantiate(withCustomSection(bytes, 'embedscope.worker', `${Math.random()}`), imports);
      } else r = await streaming(source, imports);
      phases.wasmCompile = performance.now() - s - (phases.wasmFetch ?? 0);
      phases.wasmAt = performance.now() - t0;
      return r;
    };
    const t1 = performance.now();
    model = await loadTransformerModel(urlFiles(m.base, { files: m.files }), {
      id: 'use-lite', dtype: m.dtype, ort: ort as unknown as OrtModule, backend: 'wasm',
      sessionOptions: { executionProviders: ['wasm'], graphOptimizationLevel: 'all' },
    });
    phases.loadModel = performance.now() - t1;
    const t2 = performance.now();
    await model.embed(m.texts.slice(0, 32));
    phases.firstCall = performance.now() - t2;
    phases.total = performance.now() - t0;
    postMessage({ type: 'loaded', phases });
  } else if (m.type === 'embed') {
    const t = performance.now();
    for (let i = 0; i < m.texts.length; i += 32) await model.embed(m.texts.slice(i, i + 32));
    postMessage({ type: 'done', ms: performance.now() - t });
  }
};
