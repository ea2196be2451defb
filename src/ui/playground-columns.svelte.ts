/**
 * The Playground's side-by-side state: which sentences were last embedded, each model's vectors
 * for them, and the person's choices (columns hidden, reference, precisions and width per model,
 * models to load at start), kept in localStorage. The comparison math is in core/choose/columns.ts.
 */
import { untrack } from 'svelte';
import { catalog } from '../../models/catalog.ts';
import { COLUMN_PRECISIONS, type ColumnPrecision } from '../core/choose/columns.ts';
import { columnId, DEFAULT_VIEW, parsePrefs, PREFS_KEY, type ModelView, type PlaygroundPrefs } from '../core/choose/playground-prefs.ts';
import { describeError } from '../core/errors.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import type { EmbedResult } from '../core/models/types.ts';
import { embedNow } from '../embed-queue.ts';
import { restoreSpec } from '../distill-client.ts';
import { catalogSpec, models, type LoadedModel } from './models.svelte.ts';
import { playgroundInput, splitSentences } from './playground-text.svelte.ts';

export interface ModelEmbedding {
  generation: number;
  texts: string[];
  status: 'busy' | 'ready' | 'error';
  result: EmbedResult | null;
  ms: number;
  error: string | null;
}

function readPrefs(): PlaygroundPrefs {
  try {
    return parsePrefs(localStorage.getItem(PREFS_KEY));
  } catch {
    return parsePrefs(null); // storage blocked: defaults, nothing remembered
  }
}

class PlaygroundColumns {
  prefs = $state<PlaygroundPrefs>(readPrefs());
  /** The sentences of the last Embed (or of the page's start); bumping the generation re-embeds all. */
  run = $state.raw<{ texts: string[]; generation: number }>({ texts: splitSentences(playgroundInput.text), generation: 1 });
  /** Per loaded model (by key): its vectors for the run's sentences. Raw: the vectors are big typed arrays. */
  embeddings = $state.raw<Record<string, ModelEmbedding>>({});
  private started = false;
  /** True while start() has not yet asked for every remembered model: saving then would forget the rest. */
  private restoring = $state(false);

  view(ref: string): ModelView {
    return this.prefs.views[ref] ?? DEFAULT_VIEW;
  }

  hiddenSet(): Set<string> {
    return new Set(this.prefs.hidden);
  }

  setPrecision(ref: string, precision: ColumnPrecision, on: boolean): void {
    const current = this.view(ref).precisions;
    const next = COLUMN_PRECISIONS.filter((p) => (p === precision ? on : current.includes(p)));
    // A model keeps at least one column; hiding it is the way to show none.
    if (next.length === 0) return;
    this.prefs.views[ref] = { ...this.view(ref), precisions: next };
  }

  setDims(ref: string, dims: number | null): void {
    this.prefs.views[ref] = { ...this.view(ref), dims };
  }

  setHidden(id: string, hidden: boolean): void {
    const rest = this.prefs.hidden.filter((h) => h !== id);
    this.prefs.hidden = hidden ? [...rest, id] : rest;
  }

  /** Every column id this model has now (its chosen precisions at its width). */
  modelColumnIds(m: LoadedModel): string[] {
    const v = this.view(m.ref);
    const dims = v.dims !== null && m.info && v.dims < m.info.dims ? v.dims : null;
    return v.precisions.map((p) => columnId(m.ref, p, dims));
  }

  /** A model is embedded only while one of its columns is shown. */
  shown(m: LoadedModel): boolean {
    const hidden = this.hiddenSet();
    return this.modelColumnIds(m).some((id) => !hidden.has(id));
  }

  setModelShown(m: LoadedModel, shown: boolean): void {
    const ids = new Set(this.modelColumnIds(m));
    const rest = this.prefs.hidden.filter((h) => !ids.has(h));
    this.prefs.hidden = shown ? rest : [...rest, ...ids];
  }

  setReference(id: string, modelKey: string): void {
    this.prefs.reference = id;
    models.activeKey = modelKey;
  }

  /** Embed (again) the given sentences with every shown model. */
  embedAll(texts: string[]): void {
    this.run = { texts, generation: this.run.generation + 1 };
  }

  /**
   * Starts the embeddings the run still lacks: a model that just became ready, one shown again,
   * or every model after Embed. Called from an effect, so it reads the models reactively and its
   * own bookkeeping untracked.
   */
  sync(): void {
    const { texts, generation } = this.run;
    const ready = models.list.filter((m) => m.status === 'ready' && this.shown(m));
    untrack(() => {
      if (texts.length === 0) return;
      for (const m of ready) {
        const have = this.embeddings[m.key];
        if (have && have.generation === generation) continue;
        void this.embedModel(m, texts, generation);
      }
    });
  }

  private async embedModel(m: LoadedModel, texts: string[], generation: number): Promise<void> {
    const client = models.client(m.key);
    if (!client) return;
    const previous = this.embeddings[m.key];
    this.embeddings = { ...this.embeddings, [m.key]: { generation, texts, status: 'busy', result: previous?.result ?? null, ms: previous?.ms ?? 0, error: null } };
    const started = performance.now();
    let next: ModelEmbedding;
    try {
      // On demand: ahead of any corpus batch waiting for this model.
      const result = await embedNow(client, texts);
      next = { generation, texts, status: 'ready', result, ms: performance.now() - started, error: null };
    } catch (err) {
      next = { generation, texts, status: 'error', result: null, ms: 0, error: describeError(err) };
    }
    // A later Embed may have started meanwhile: only the newest run's answer is kept.
    if (this.embeddings[m.key]?.generation === generation) this.embeddings = { ...this.embeddings, [m.key]: next };
  }

  busy(): boolean {
    return models.list.some((m) => this.embeddings[m.key]?.status === 'busy');
  }

  /** Saves the person's choices; called from an effect whenever they change. */
  save(): void {
    const prefs = $state.snapshot(this.prefs);
    const value: PlaygroundPrefs = { ...prefs, models: this.restoring ? prefs.models : models.saved };
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify(value));
    } catch {
      /* storage full or blocked: the choices last for this visit only */
    }
  }

  /**
   * Once per page: loads the remembered models or, on a first visit, the starter pair: the
   * embedded static model (ready in well under a second) and use-lite int8 on WASM (the
   * smallest transformer file, 7.3 MB; WASM because a 2-layer model gains nothing from WebGPU's
   * shader compile at start).
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    // A plain copy: the specs go to workers by postMessage, which cannot clone a $state proxy.
    const prefs = $state.snapshot(this.prefs);
    if (!prefs.autoload) return;
    const reference = prefs.reference;
    const remembered = prefs.models;
    const toLoad = remembered ?? starterModels();
    if (reference) models.preferredRef = toLoad.find((m) => reference.startsWith(`${m.ref} | `))?.ref ?? null;
    // Static models first and alone: they are ready in a fraction of the time a transformer's
    // runtime takes to start, and sharing the cores with that start only delays them.
    const isStatic = (m: { spec: unknown }) => (m.spec as ModelSpec).kind === 'static';
    this.restoring = true;
    void (async () => {
      try {
        // A distilled model comes back from its IndexedDB (gone once deleted there).
        const specs = await Promise.all(toLoad.map((m) => restoreSpec(m.spec).catch(() => null)));
        const loadable = toLoad.flatMap((m, i) => (specs[i] ? [{ ...m, spec: specs[i] }] : []));
        await Promise.all(loadable.filter(isStatic).map((m) => models.load(m.spec as ModelSpec, m.label, { instances: m.instances })));
        for (const m of loadable.filter((x) => !isStatic(x))) void models.load(m.spec as ModelSpec, m.label, { instances: m.instances });
      } finally {
        this.restoring = false; // every remembered model is in the list now: saving sees them all
      }
    })();
  }
}

function starterModels(): { ref: string; label: string; spec: ModelSpec; instances: number }[] {
  const byId = (id: string) => catalog.find((c) => c.id === id);
  const out = [];
  const glove = byId('glove-100d');
  if (glove) out.push({ ref: 'glove-100d', instances: 1, ...catalogSpec(glove) });
  const use = byId('use-lite');
  if (use) out.push({ ref: 'use-lite', instances: 1, ...catalogSpec(use, { dtype: 'int8', backend: 'wasm' }) });
  return out;
}

export const columns = new PlaygroundColumns();
