/**
 * The page's handle on distillation: the distill worker behind the one bridge (cancel = the
 * bridge's abort), the teacher's embed proxied back to the page's model pool (as the quality
 * worker's is), and the distilled models kept in IndexedDB (their own small database: a model is
 * a few MB of files, not a collection) so they survive a reload, and zipped for download. A run
 * is kept there too while it goes (its inputs here, its checkpoints by the worker), so one
 * interrupted by a crash or a closed tab is listed after a reload and resumes where it stood.
 */
import * as Comlink from 'comlink';
import type { IDBPDatabase } from 'idb';
import { modelFolderName, zipModelFolder } from './core/models/archive.ts';
import { WorkerBridge } from './bridge.ts';
import type { DistillProgress } from './core/distill/distill.ts';
import { deleteRun, openDistillDb, runState, type CheckpointWrite, type RunState } from './core/distill/checkpoint-db.ts';
import type { StaticModelFiles } from './core/models/word-vectors.ts';
import type { ModelSpec } from './core/models/types.ts';
import type { BenchEntry } from './bench/run.ts';
import type { DistillOutcome, DistillRequest, DistillWorkerApi } from '../workers/api/distill.ts';

export type { DistillProgress } from './core/distill/distill.ts';
export type { CheckpointWrite, RunState } from './core/distill/checkpoint-db.ts';

/** A distilled model as kept: its files and where it came from. */
export interface DistilledModel {
  id: string;
  label: string;
  teacher: string;
  corpus: string;
  sentences: number;
  settings: { pcaDims: number; maxEpochs: number; maxWords: number };
  dims: number;
  words: number;
  kept: DistillOutcome['kept'];
  notes: string[];
  createdAt: number;
  files: StaticModelFiles;
}

const bridge = new WorkerBridge<DistillWorkerApi>({
  create: () => new Worker(new URL('../workers/distill.worker.ts', import.meta.url), { type: 'module', name: 'distill' }),
  idleMs: 60_000,
  // The fit reads the flag once per batch of 256 sentences; a batch of a large table can take a while.
  abortGraceMs: 2_000,
});

/** A run as kept while it goes: everything needed to start it again, and where it came from. */
export interface DistillRun {
  id: string;
  createdAt: number;
  /** The teacher: its spec id and dtype find it among the loaded models; `ref` and `label` say which it was. */
  teacher: { specId: string; dtype?: string; ref: string; label: string };
  corpus: string;
  settings: DistilledModel['settings'];
  request: DistillRequest;
}

/** A kept run and where its last checkpoint left it (null: none was written). */
export type InterruptedRun = DistillRun & { state: RunState | null };

/** Keeps the run's inputs (before the worker writes any checkpoint of it). */
export async function saveRun(run: DistillRun): Promise<void> {
  await (await open()).put('runs', run);
}

export async function listRuns(): Promise<InterruptedRun[]> {
  const d = await open();
  const runs = (await d.getAll('runs')) as DistillRun[];
  const out: InterruptedRun[] = [];
  for (const r of runs.sort((a, b) => a.createdAt - b.createdAt)) out.push({ ...r, state: await runState(d, r.id) });
  return out;
}

/** Forgets a run and its checkpoints (after success, cancel or Discard). */
export async function discardRun(id: string): Promise<void> {
  await deleteRun(await open(), id);
}

/**
 * Runs (or resumes: the worker finds the run's checkpoints) a distillation in the worker.
 * `onCheckpoint` hears of each checkpoint written, with its cost.
 */
export function runDistill(
  req: DistillRequest,
  runId: string,
  embed: (texts: string[]) => Promise<Float32Array>,
  onProgress: (p: DistillProgress) => void,
  onCheckpoint: (w: CheckpointWrite) => void,
  signal?: AbortSignal,
): Promise<DistillOutcome> {
  return bridge.call((api, { abortFlag }) => api.distill(req, runId, Comlink.proxy(embed), Comlink.proxy(onProgress), Comlink.proxy(onCheckpoint), abortFlag), signal);
}

let db: Promise<IDBPDatabase> | null = null;
const open = () => (db ??= openDistillDb());

/** Told when the kept models change (the Benchmark view lists them beside the catalog's). */
const changes = new EventTarget();
export function onDistilledChange(listener: () => void): () => void {
  changes.addEventListener('change', listener);
  return () => changes.removeEventListener('change', listener);
}

export async function saveDistilled(m: DistilledModel): Promise<void> {
  await (await open()).put('models', m);
  changes.dispatchEvent(new Event('change'));
}

export async function listDistilled(): Promise<DistilledModel[]> {
  const all = (await (await open()).getAll('models')) as DistilledModel[];
  return all.sort((a, b) => a.createdAt - b.createdAt);
}

export async function deleteDistilled(id: string): Promise<void> {
  await (await open()).delete('models', id);
  changes.dispatchEvent(new Event('change'));
}

/** Every distilled model's id starts so: the Models view tells them from dropped files by it. */
export const DISTILLED_PREFIX = 'distilled-';
export const isDistilled = (spec: { id: string }) => spec.id.startsWith(DISTILLED_PREFIX);

/** The spec that loads a kept model like any static model from files (the model2vec layout). */
export function distilledSpec(m: DistilledModel): ModelSpec {
  const files = Object.fromEntries(Object.entries(m.files).map(([name, data]) => [name, new Blob([data as BlobPart])]));
  return { id: m.id, kind: 'static', source: { type: 'blobs', files, label: m.label } };
}

/**
 * What the Playground remembers of a loaded distilled model: its id only (its files are in this
 * database, not in localStorage); `restoreSpec` turns it back into a loadable spec after a reload.
 */
export function rememberedSpec(spec: { id: string }): { id: string; kind: 'static'; source: { type: 'distilled' } } {
  return { id: spec.id, kind: 'static', source: { type: 'distilled' } };
}

/** A remembered spec as loadable: a distilled one from this database (null once deleted), any other as it is. */
export async function restoreSpec(spec: unknown): Promise<unknown | null> {
  const s = spec as { id?: unknown; source?: { type?: unknown } };
  if (typeof s?.id !== 'string' || s.source?.type !== 'distilled') return spec;
  const m = (await (await open()).get('models', s.id)) as DistilledModel | undefined;
  return m ? distilledSpec(m) : null;
}

/** A kept model as a Benchmark entry: a static model whose spec loads its files from here. */
export function distilledBenchEntry(m: DistilledModel): BenchEntry {
  return { id: m.id, label: m.label, kind: 'static', source: 'user', dims: m.dims, license: 'as its teacher', path: '', files: Object.keys(m.files), description: `Distilled from ${m.teacher} on ${m.corpus}`, spec: distilledSpec(m) };
}

/** The model2vec folder, zipped: loads in model2vec / the page's drop zone as it is. */
export function distilledZip(m: DistilledModel): { name: string; bytes: Uint8Array } {
  const folder = modelFolderName(m.id);
  const readme = `# ${m.label}\n\nDistilled in Embedscope from ${m.teacher} on ${m.corpus} (${m.sentences} sentences): ${m.words} words × ${m.dims} dims, ${m.kept} table, ${m.settings.maxEpochs} epochs max.\n${m.notes.map((n) => `\n${n}\n`).join('')}`;
  const bytes = zipModelFolder(folder, { ...m.files, 'README.md': readme }, ['model.safetensors']);
  return { name: `${folder}.zip`, bytes };
}
