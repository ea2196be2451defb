/**
 * The anchor a person would pick instead of Embedscope: transformers.js (@huggingface/transformers)
 * on the *same* model files, with its own defaults — `device: 'wasm'`, its default threads (it sets
 * none: onnxruntime-web's own default), AutoModel + AutoTokenizer from the local folder, the
 * `sentence_embedding` output — timed with the same protocol as our rows, in the same Chromium.
 * Its wasm comes from the app (its default is a CDN, which a benchmark must not depend on); the
 * build is the one it picks by default (asyncify), not ours.
 *
 * Page only (Vite `?url` imports); loaded on demand by the benchmark.
 */
import { AutoModel, AutoTokenizer, env } from '@huggingface/transformers';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import mjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import type { TransformerDtype } from '../core/models/dtypes.ts';
import { transformersJsDtype } from './transformersjs-dtypes.ts';

export interface TransformersJsModel {
  /** WASM threads onnxruntime-web chose for it (its default: half the cores up to 4 when isolated). */
  threads: number;
  embed(texts: string[]): Promise<{ rows: number; dims: number }>;
  dispose(): Promise<void>;
}

let configured = false;
function configure() {
  if (configured) return;
  configured = true;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // A path, not a URL: transformers.js treats an http(s) "local" path as remote and skips it.
  env.localModelPath = new URL('models/', document.baseURI).pathname;
  env.useBrowserCache = false; // timed loads read the files as ours do (HTTP cache), not its Cache API copy
  const onnx = env.backends.onnx as unknown as { wasm: { wasmPaths?: unknown; numThreads?: number } };
  onnx.wasm.wasmPaths = { wasm: new URL(wasmUrl, document.baseURI).href, mjs: new URL(mjsUrl, document.baseURI).href };
}

/** Loads `model` (a folder under the app's models/) the way its README says to. */
export async function loadTransformersJs(model: string, dtype: TransformerDtype, files: readonly string[]): Promise<TransformersJsModel> {
  configure();
  const tokenizer = await AutoTokenizer.from_pretrained(model);
  const session = await AutoModel.from_pretrained(model, { dtype: transformersJsDtype(dtype, files) as never, device: 'wasm' });
  const onnx = env.backends.onnx as unknown as { wasm: { numThreads?: number } };
  // It sets no thread count: onnxruntime-web's default is half the cores, 1 to 4, when isolated.
  const ortDefault = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, Math.ceil((navigator.hardwareConcurrency || 1) / 2))) : 1;
  return {
    threads: Number(onnx.wasm.numThreads) || ortDefault,
    async embed(texts) {
      const inputs = tokenizer(texts, { padding: true, truncation: true });
      const out = (await session(inputs)) as Record<string, { dims: number[]; dispose?: () => void }>;
      const emb = out.sentence_embedding;
      if (!emb) throw new Error(`transformers.js gave no sentence_embedding output (it gave ${Object.keys(out).join(', ')})`);
      const [rows, dims] = emb.dims;
      for (const t of Object.values(out)) t.dispose?.();
      return { rows, dims };
    },
    dispose: async () => {
      await session.dispose();
    },
  };
}
