/** Models loaded in this tab, each in its own worker. Components read this; only it changes it. */
import { ModelClient } from '../model-client.ts';
import { describeError } from '../core/errors.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { ModelInfo } from '../core/models/types.ts';

export interface LoadedModel {
  key: string;
  label: string;
  spec: ModelSpec;
  status: 'loading' | 'ready' | 'error';
  info: ModelInfo | null;
  error: string | null;
  progress: { file: string; loaded: number; total: number | null } | null;
}

let counter = 0;

class Models {
  list = $state<LoadedModel[]>([]);
  activeKey = $state<string | null>(null);
  /** Clients live outside $state: they hold a Worker, which must not be proxied. */
  private clients = new Map<string, ModelClient>();

  get active(): LoadedModel | null {
    return this.list.find((m) => m.key === this.activeKey) ?? null;
  }

  client(key: string): ModelClient | undefined {
    return this.clients.get(key);
  }

  async load(spec: ModelSpec, label: string): Promise<LoadedModel> {
    const key = `${spec.id}#${++counter}`;
    this.list.push({ key, label, spec, status: 'loading', info: null, error: null, progress: null });
    const entry = this.list[this.list.length - 1];
    const client = new ModelClient(spec, {
      onProgress: (p) => {
        entry.progress = p;
      },
    });
    this.clients.set(key, client);
    try {
      entry.info = await client.load();
      entry.status = 'ready';
      entry.progress = null;
      if (!this.active || this.active.status !== 'ready') this.activeKey = key;
    } catch (err) {
      entry.status = 'error';
      entry.error = describeError(err);
      // A model that failed to load keeps no worker; its card stays to show the message.
      client.unload();
      this.clients.delete(key);
    }
    return entry;
  }

  unload(key: string): void {
    this.clients.get(key)?.unload();
    this.clients.delete(key);
    this.list = this.list.filter((m) => m.key !== key);
    if (this.activeKey === key) this.activeKey = this.list.find((m) => m.status === 'ready')?.key ?? null;
  }
}

export const models = new Models();
