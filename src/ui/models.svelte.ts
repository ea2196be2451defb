/** Models loaded in this tab, each in its own worker. Components read this; only it changes it. */
import { ModelClient, type InstanceMemory } from '../model-client.ts';
import { describeError } from '../core/errors.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { ModelInfo } from '../core/models/types.ts';
import { storedDimsConflicts } from '../core/corpus/collection.ts';
import { specFor, type RunChoice } from '../core/models/registry.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { modelRef, type SavedModel } from '../core/choose/playground-prefs.ts';
import { isDistilled, rememberedSpec } from '../distill-client.ts';

export interface LoadedModel {
  key: string;
  /** Stable across reloads (id · dtype · backend): the Playground remembers columns by it. */
  ref: string;
  label: string;
  spec: ModelSpec;
  status: 'loading' | 'ready' | 'error';
  info: ModelInfo | null;
  error: string | null;
  progress: { file: string; loaded: number; total: number | null } | null;
  /** Workers holding the model (a pool when > 1). */
  instances: number;
  /** Per-instance memory, measured on request (it asks every worker). */
  memory: InstanceMemory[] | null;
}

let counter = 0;

class Models {
  list = $state<LoadedModel[]>([]);
  activeKey = $state<string | null>(null);
  /**
   * The model (by ref) to make active when it becomes ready: the reference column remembered
   * from the last visit may belong to a model that finishes loading after another one.
   */
  preferredRef: string | null = null;
  /** Clients live outside $state: they hold a Worker, which must not be proxied. */
  private clients = new Map<string, ModelClient>();

  get active(): LoadedModel | null {
    return this.list.find((m) => m.key === this.activeKey) ?? null;
  }

  client(key: string): ModelClient | undefined {
    return this.clients.get(key);
  }

  async load(spec: ModelSpec, label: string, opts: { instances?: number } = {}): Promise<LoadedModel> {
    const key = `${spec.id}#${++counter}`;
    const client = new ModelClient(spec, {
      instances: opts.instances,
      onProgress: (p) => {
        entry.progress = p;
      },
      onInfoChange: (info) => {
        entry.info = info;
        entry.instances = client.instances; // Auto may move the model onto another pool size (#13)
      },
    });
    // The same model loaded twice gets a second ref, so each has its own columns.
    const base = modelRef(spec);
    let ref = base;
    for (let n = 2; this.list.some((m) => m.ref === ref); n++) ref = `${base} #${n}`;
    this.list.push({ key, ref, label, spec: client.spec, status: 'loading', info: null, error: null, progress: null, instances: client.instances, memory: null });
    const entry = this.list[this.list.length - 1];
    this.clients.set(key, client);
    try {
      entry.info = await client.load();
      entry.info.warnings.push(...(await storedDimsConflicts(entry.info)));
      entry.status = 'ready';
      entry.progress = null;
      if (!this.active || this.active.status !== 'ready' || entry.ref === this.preferredRef) this.activeKey = key;
    } catch (err) {
      entry.status = 'error';
      entry.error = describeError(err);
      // A model that failed to load keeps no worker; its card stays to show the message.
      client.unload();
      this.clients.delete(key);
    }
    return entry;
  }

  /**
   * Quantizes a loaded ONNX model the person supplied (our quantizer, in a worker) and loads the
   * result beside it as a new model: int8 (MatMulInteger, fastest on WASM) or q4 (MatMulNBits,
   * runs on WASM and WebGPU). The file is stored under the dtype's transformers.js name.
   */
  async quantize(key: string, to: 'int8' | 'q4' = 'int8'): Promise<void> {
    const entry = this.list.find((m) => m.key === key);
    const source = entry?.spec.source;
    if (!entry || source?.type !== 'blobs' || !source.files['onnx/model.onnx']) return;
    entry.error = null;
    const { WorkerBridge } = await import('../bridge.ts');
    const { dtypeEntry } = await import('../core/models/dtypes.ts');
    const bridge = new WorkerBridge<import('../../workers/api/tools.ts').ToolsWorkerApi>({
      create: () => new Worker(new URL('../../workers/tools.worker.ts', import.meta.url), { type: 'module', name: 'quantize' }),
    });
    try {
      const fp32 = source.files['onnx/model.onnx'];
      // Dynamic int8 runs fastest on WASM; the page's models run there unless WebGPU is chosen.
      const { bytes, report } = await bridge.call((api) => (to === 'q4' ? api.quantizeQ4(fp32, 'symmetric') : api.quantize(fp32, 'dynamic')));
      const files = { ...source.files, [dtypeEntry(to).file]: new Blob([bytes as BlobPart]) };
      const ratio = (bytes.byteLength / fp32.size).toFixed(2);
      await this.load({ ...entry.spec, id: `${entry.spec.id}-${to}`, dtype: to, source: { ...source, files } }, `${entry.label} · ${to} (${report.weights} weights, ${ratio}× the size)`, { instances: entry.instances });
    } catch (err) {
      entry.error = `Quantizing failed: ${describeError(err)}`;
    } finally {
      bridge.dispose();
    }
  }

  /** Asks each of the model's workers what it holds, and keeps the answer on its card. */
  async measureMemory(key: string): Promise<void> {
    const entry = this.list.find((m) => m.key === key);
    const client = this.clients.get(key);
    if (!entry || !client) return;
    try {
      entry.memory = await client.memory();
    } catch (err) {
      entry.error = `Could not measure memory: ${describeError(err)}`;
    }
  }

  /** A card that only says why something could not be loaded. */
  fail(label: string, message: string): void {
    this.list.push({ key: `failed#${++counter}`, ref: label, label, spec: { id: label, kind: 'static', source: { type: 'blobs', files: {} } }, status: 'error', info: null, error: message, progress: null, instances: 0, memory: null });
  }

  /**
   * The models that can be loaded again on the next visit: embedded and hub ones (dropped files
   * are the person's and are not kept), loading or ready, in load order.
   */
  /**
   * What the Playground remembers: every model but dropped files (their bytes are gone at reload).
   * One that failed to load is kept: offline or a server error today must not forget it.
   */
  get saved(): SavedModel[] {
    // Distilled models are files too, but kept in IndexedDB: remembered by id, restored from there.
    return this.list
      .filter((m) => m.spec.source.type !== 'blobs' || isDistilled(m.spec))
      .map((m) => ({ ref: m.ref, label: m.label, spec: isDistilled(m.spec) ? rememberedSpec(m.spec) : $state.snapshot(m.spec), instances: m.instances }));
  }

  unload(key: string): void {
    this.clients.get(key)?.unload();
    this.clients.delete(key);
    this.list = this.list.filter((m) => m.key !== key);
    if (this.activeKey === key) this.activeKey = this.list.find((m) => m.status === 'ready')?.key ?? null;
  }
}

export const models = new Models();

/** The spec (registry.specFor, the one catalog entry → ModelSpec) and the label of a shipped model. */
export function catalogSpec(entry: CatalogEntry, opts: RunChoice & { instances?: number } = {}): { spec: ModelSpec; label: string } {
  const { instances = 1, ...run } = opts;
  const spec = specFor(entry, { batchSize: 32, ...run });
  const pool = instances > 1 ? ` · ×${instances}` : '';
  return { spec, label: entry.kind === 'transformer' ? `${entry.label} · ${spec.dtype} · ${spec.backend}${pool}` : `${entry.label}${pool}` };
}
