/**
 * One loaded model instance per worker. The page talks to it only through src/bridge.ts; this
 * file exposes the core's model API over Comlink and nothing else.
 */
import { installMemoryProbe, measureWorkerMemory, type WorkerMemory } from '../src/core/memory-probe.ts';
import * as Comlink from 'comlink';
import { loadModel, type LoadProgress, type ModelSpec } from '../src/core/models/registry.ts';
import type { EmbedResult, Embedder, ModelInfo } from '../src/core/models/types.ts';
import type { TransformerEmbedder } from '../src/core/models/transformer.ts';
import { InputError } from '../src/core/errors.ts';
import type { ModelWorkerApi } from './api/model.ts';

// onnxruntime-web is imported lazily by the first transformer load, so this runs before it can
// create any WebAssembly memory or GPU buffer: the probe counts them from birth.
installMemoryProbe();

let model: Embedder | TransformerEmbedder | null = null;

const api: ModelWorkerApi = {
  async load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    await model?.dispose();
    model = null;
    model = await loadModel(spec, onProgress);
    return model.info;
  },

  /** `abortFlag` is shared memory the page sets to 1 to stop between texts (cross-origin isolated pages). */
  /** `info` rides along only when it changed during the call (a model that moved off a lost GPU). */
  async embed(texts: string[], abortFlag?: Int32Array): Promise<EmbedResult & { info?: ModelInfo }> {
    if (!model) throw new InputError('No model is loaded in this worker');
    const signal = abortFlag ? { get aborted() { return Atomics.load(abortFlag, 0) === 1; } } : undefined;
    const before = model.info;
    const started = performance.now();
    const result: EmbedResult = await model.embed(texts, { signal });
    result.busyMs = [performance.now() - started];
    return Comlink.transfer(model.info === before ? result : { ...result, info: model.info }, [result.vectors.buffer]);
  },

  /** What this instance holds: its weights as loaded, WebAssembly memory and GPU buffers. */
  memory(): WorkerMemory & { modelBytes: number } {
    return { ...measureWorkerMemory(), modelBytes: model?.info.bytes ?? 0 };
  },
};

Comlink.expose(api);
