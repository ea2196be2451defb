/**
 * Model kinds by id, and the one way to turn a serialisable ModelSpec (what the page sends to
 * a worker) into a loaded model. Each kind has one async `load(files, spec, runtime)`; a new kind
 * is one module plus one entry here, and loadModel never asks which kind it has.
 */
import { ModelLoadError } from '../errors.ts';
import { blobFiles, urlFiles, type ModelFiles } from './files.ts';
import { hubFiles } from './hub.ts';
import { staticKind } from './static.ts';
import { transformerKind, type OrtModule } from './transformer.ts';
import type { AsyncEmbedder, BackendChoice, LoadProgress, ModelKindId, ModelSource, ModelSpec } from './types.ts';
import type { TransformerDtype } from './dtypes.ts';

export type { BackendChoice, LoadProgress, ModelKindId, ModelSource, ModelSpec } from './types.ts';

/** Where a kind runs: Node passes onnxruntime-node; the page's workers pass nothing (onnxruntime-web). */
export interface ModelRuntime {
  ort?: OrtModule;
}

export interface ModelKind {
  id: ModelKindId;
  label: string;
  description: string;
  cost: string;
  load(files: ModelFiles, spec: ModelSpec, runtime?: ModelRuntime): Promise<AsyncEmbedder>;
}

export const modelKinds: Record<ModelKindId, ModelKind> = {
  static: {
    ...staticKind,
    // The table lookup is synchronous; one async wrapper makes it the same shape as every kind.
    async load(files, spec) {
      const model = await staticKind.load(files, { id: spec.id, maxTokens: spec.maxTokens });
      return {
        info: model.info,
        embed: async (texts, opts) => model.embed(texts, opts),
        dispose: async () => model.dispose(),
      };
    },
  },
  transformer: {
    ...transformerKind,
    async load(files, spec, runtime) {
      if (runtime?.ort) {
        const { loadTransformerModel } = await import('./transformer.ts');
        return loadTransformerModel(files, { id: spec.id, dtype: spec.dtype, ort: runtime.ort, backend: 'node', batchSize: spec.batchSize });
      }
      // Browser only: onnxruntime-web and its wasm load with the first transformer.
      const { loadTransformerInBrowser } = await import('./transformer-browser.ts');
      return loadTransformerInBrowser(files, spec);
    },
  },
};

export function filesFor(source: ModelSource, onProgress?: (p: LoadProgress) => void): ModelFiles {
  if (source.type === 'blobs') return blobFiles(source.files, source.label);
  if (source.type === 'hub') return hubFiles(source.modelId, { endpoint: source.endpoint, revision: source.revision, listing: source.files, onProgress });
  return urlFiles(source.baseUrl, { files: source.files, fetch: onProgress ? progressFetch(onProgress) : fetch });
}

export async function loadModel(spec: ModelSpec, onProgress?: (p: LoadProgress) => void, runtime?: ModelRuntime): Promise<AsyncEmbedder> {
  const kind = modelKinds[spec.kind];
  if (!kind) throw new ModelLoadError(spec.id, `unknown model kind "${spec.kind}"`);
  return kind.load(filesFor(spec.source, onProgress), spec, runtime);
}

/** How a catalogue model is to run (transformers only; static models take none of these). */
export interface RunChoice {
  dtype?: TransformerDtype;
  backend?: BackendChoice;
  batchSize?: number;
  /** WASM threads per instance; absent: the worker's default share of the cores. */
  threads?: number;
}

/** What specFor reads of a catalogue entry (models/catalog.ts's CatalogEntry; core does not import it). */
export interface CatalogModel {
  id: string;
  kind: ModelKindId;
  path: string;
  files: string[];
  dtypes?: TransformerDtype[];
}

/** A catalogue entry → the spec a worker loads (served by the app from `entry.path`). */
export function specFor(entry: CatalogModel, run: RunChoice = {}, baseUri: string = globalThis.document?.baseURI ?? globalThis.location?.href ?? 'http://localhost/'): ModelSpec {
  const spec: ModelSpec = { id: entry.id, kind: entry.kind, source: { type: 'url', baseUrl: new URL(entry.path, baseUri).href, files: entry.files } };
  if (entry.kind === 'transformer') {
    Object.assign(spec, { dtype: run.dtype ?? entry.dtypes?.[0] ?? 'fp32', backend: run.backend ?? 'auto' });
    if (run.batchSize !== undefined) spec.batchSize = run.batchSize;
    if (run.threads !== undefined) spec.threads = run.threads;
  }
  return spec;
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
