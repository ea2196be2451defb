/** What the page and a model worker (workers/model.worker.ts) say to each other: types only. */
import type { WorkerMemory } from '../../src/core/memory-probe.ts';
import type { LoadProgress, ModelSpec } from '../../src/core/models/registry.ts';
import type { EmbedResult, ModelInfo } from '../../src/core/models/types.ts';

export interface ModelWorkerApi {
  /** Loads the model (replacing one already there); progress reports cross back as they come. */
  load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  /**
   * `abortFlag` is shared memory the page sets to 1 to stop between texts (cross-origin isolated
   * pages). `info` rides along only when it changed during the call (a model that moved off a lost GPU).
   */
  embed(texts: string[], abortFlag?: Int32Array): Promise<EmbedResult & { info?: ModelInfo }>;
  /** What this instance holds: its weights as loaded, WebAssembly memory and GPU buffers. */
  memory(): WorkerMemory & { modelBytes: number };
}
