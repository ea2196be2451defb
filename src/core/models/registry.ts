/**
 * Model kinds by id, and the one way to turn a serialisable ModelSpec (what the page sends to
 * a worker) into a loaded Embedder. A new kind is one module plus one line here.
 */
import { ModelLoadError } from '../errors.ts';
import { blobFiles, urlFiles, type ModelFiles } from './files.ts';
import { hubFiles } from './hub.ts';
import { staticKind } from './static.ts';
import { transformerKind, type TransformerDtype, type TransformerEmbedder } from './transformer.ts';
import type { Embedder } from './types.ts';

export const modelKinds = { [staticKind.id]: staticKind, [transformerKind.id]: transformerKind } as const;
export type ModelKindId = keyof typeof modelKinds;
export type BackendChoice = 'auto' | 'wasm' | 'webgpu';

export type ModelSource =
  | { type: 'url'; baseUrl: string; files?: string[] }
  | { type: 'blobs'; files: Record<string, Blob>; label?: string }
  | { type: 'hub'; modelId: string; endpoint?: string; revision?: string };

export interface ModelSpec {
  id: string;
  kind: ModelKindId;
  source: ModelSource;
  maxTokens?: number;
  /** Transformers: which weights file (transformers.js dtype names) and where to run it. */
  dtype?: TransformerDtype;
  backend?: BackendChoice;
  /** WASM threads per instance (onnxruntime-web); default: all cores up to 4. */
  threads?: number;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number | null;
}

export function filesFor(source: ModelSource, onProgress?: (p: LoadProgress) => void): ModelFiles {
  if (source.type === 'blobs') return blobFiles(source.files, source.label);
  if (source.type === 'hub') return hubFiles(source.modelId, { endpoint: source.endpoint, revision: source.revision, onProgress });
  return urlFiles(source.baseUrl, { files: source.files, fetch: onProgress ? progressFetch(onProgress) : fetch });
}

export async function loadModel(spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<Embedder | TransformerEmbedder> {
  const files = filesFor(spec.source, onProgress);
  if (spec.kind === transformerKind.id) {
    // Browser only: onnxruntime-web and its wasm load with the first transformer.
    const { loadTransformerInBrowser } = await import('./transformer-browser.ts');
    return loadTransformerInBrowser(files, spec);
  }
  if (spec.kind !== staticKind.id) throw new ModelLoadError(spec.id, `unknown model kind "${spec.kind}"`);
  return staticKind.load(files, { id: spec.id, maxTokens: spec.maxTokens });
}

/** A fetch that reports bytes as they arrive, so the page can show a progress bar. */
function progressFetch(onProgress: (p: LoadProgress) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.ok || !res.body) return res;
    const file = new URL(res.url || String(input)).pathname.split('/').pop() ?? '';
    const length = Number(res.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : null;
    let loaded = 0;
    let reportedAt = 0;
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          loaded += chunk.byteLength;
          // Each report crosses to the page as a message: at most ~20 a second, and the last one.
          const now = performance.now();
          if (now - reportedAt > 50 || loaded === total) {
            reportedAt = now;
            onProgress({ file, loaded, total });
          }
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
