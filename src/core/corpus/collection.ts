/**
 * What a new collection, an export and an import do, without the page: the Collections view
 * (src/ui/collections.svelte.ts) only keeps their state for display. Framework-free, so the
 * queueing, the cleanup after a failure and the format detection are unit-tested in Node over a
 * real VectorStore (tests/unit/collection.test.ts, IndexedDB from fake-indexeddb).
 */
import { VectorStore, type ChunkInput } from '../store/store.ts';
import type { CollectionRecord, JobRecord } from '../store/db.ts';
import type { Packed, PrecisionId } from '../precision/index.ts';
import { exportJsonl, exportNpy, ImportError, parseJsonlImport, parseNpyImport, type ImportedRows } from '../store/transfer.ts';
import type { FileOutcome } from './read.ts';

/** Texts are queued in groups of this many: one IndexedDB transaction each, memory bounded. */
export const QUEUE_GROUP = 2000;

export interface QueueProgress {
  chunks: number;
  cached: number;
  bytesRead: number;
  bytes: number;
}

export interface QueueCorpusOptions {
  name: string;
  /** `dtype`: the weights as run, kept in the collection's record (what a Parquet export names). */
  model: { id: string; dims: number; dtype?: string };
  precisions: PrecisionId[];
  dims?: number;
  /** May be a stream (a corpus read as it goes): queued in groups, never held all at once. */
  items: Iterable<ChunkInput> | AsyncIterable<ChunkInput>;
  /** Filled in by the reader as files are read (progress bytes and the "nothing to embed" reasons). */
  outcomes?: FileOutcome[];
  onProgress?: (p: QueueProgress) => void;
  groupSize?: number;
}

export type QueueResult = { job: JobRecord; collection: CollectionRecord } | { job: null; error: string };

/**
 * Creates a collection and queues `items` as its ingestion job (not yet run). When nothing at all
 * could be queued the new collection is removed again and `error` says why; when reading or
 * queueing throws, the half-made collection is removed and the error rethrown. Collections already
 * stored are never touched.
 */
export async function queueCorpus(store: VectorStore, opts: QueueCorpusOptions): Promise<QueueResult> {
  const groupSize = opts.groupSize ?? QUEUE_GROUP;
  const collection = await store.createCollection({
    name: opts.name,
    modelId: opts.model.id,
    modelDims: opts.model.dims,
    dtype: opts.model.dtype ?? null,
    dims: opts.dims,
    precisions: opts.precisions,
  });
  let queued = false;
  try {
    const queue = await store.openQueue(collection.id);
    const sum = (key: 'bytesRead' | 'bytes') => (opts.outcomes ?? []).reduce((n, o) => n + o.report[key], 0);
    let group: ChunkInput[] = [];
    const flush = async () => {
      const job = await queue.append(group);
      group = [];
      opts.onProgress?.({ chunks: job.total, cached: job.cached, bytesRead: sum('bytesRead'), bytes: sum('bytes') });
    };
    try {
      for await (const item of opts.items) {
        group.push(item);
        if (group.length >= groupSize) await flush();
      }
      await flush();
    } catch (err) {
      await queue.abandon();
      throw err;
    }
    const { total, cached } = queue.record;
    if (total + cached === 0) {
      await queue.abandon();
      await store.deleteCollection(collection.id);
      queued = true; // removed on purpose; nothing left to clean up
      const why = (opts.outcomes ?? []).map((o) => o.error).filter(Boolean);
      return { job: null, error: `Nothing to embed: ${why.length ? why.join(' · ') : 'the chosen source has no text.'}` };
    }
    const job = await queue.finish();
    queued = true;
    return { job, collection };
  } finally {
    // A collection that never got its texts queued is an empty shell: remove it.
    if (!queued) await store.deleteCollection(collection.id).catch(() => {});
  }
}

/**
 * A collection as files to download: JSONL (text + float32 vector, one line each) or NumPy
 * (`<name>.<precision>.npy` per kept precision + manifest.json + texts.jsonl).
 */
export async function exportCollection(store: VectorStore, collectionId: string, format: 'jsonl' | 'npy'): Promise<Record<string, Uint8Array | string>> {
  const c = await store.collection(collectionId);
  const chunks = await store.chunks(c.id);
  const base = c.name.replace(/[^\w.-]+/g, '_') || 'collection';
  if (format === 'jsonl') {
    if (!c.precisions.includes('float32')) {
      throw new Error(`JSONL export writes float32 vectors, and "${c.name}" keeps only ${c.precisions.join(', ')}: use the NumPy export`);
    }
    return { [`${base}.jsonl`]: exportJsonl(chunks, (await store.loadVectors(c.id, 'float32')) as Float32Array, c.dims) };
  }
  const vectors: Partial<Record<PrecisionId, Packed>> = {};
  for (const p of c.precisions) vectors[p] = await store.loadVectors(c.id, p);
  const { files } = exportNpy({ name: c.name, model: c.modelId, modelDims: c.modelDims, dims: c.dims, calibration: c.calibration, chunks, vectors });
  return Object.fromEntries(Object.entries(files).map(([name, content]) => [`${base}.${name}`, content]));
}

/** What an import needs of a picked file (a DOM `File` is one). */
export interface ImportFile {
  name: string;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Reads picked files as one import: a NumPy bundle when a `manifest.json` is among them (the other
 * files' names may carry the manifest's prefix, as our export writes them), else exactly one
 * `.jsonl` (a bundle's `texts.jsonl` alone is not one).
 */
export async function readImport(list: readonly ImportFile[]): Promise<ImportedRows> {
  const manifest = list.find((f) => f.name.endsWith('manifest.json'));
  if (manifest) {
    const prefix = manifest.name.slice(0, -'manifest.json'.length);
    const files: Record<string, Uint8Array> = {};
    for (const f of list) files[f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name] = new Uint8Array(await f.arrayBuffer());
    return parseNpyImport(files);
  }
  const jsonl = list.filter((f) => f.name.endsWith('.jsonl') && !f.name.endsWith('texts.jsonl'));
  if (jsonl.length === 1) return parseJsonlImport(await jsonl[0].text(), jsonl[0].name);
  throw new ImportError('Pick one .jsonl file, or a NumPy bundle: manifest.json with its .npy files and texts.jsonl');
}

/**
 * Imports picked files into a new collection. Vectors without a model name are tied to `modelId`
 * (the model chosen in the view), and refused when that model is loaded (`modelDims`) with other
 * dims: queries could not be compared with them.
 */
export async function importCollection(
  store: VectorStore,
  list: readonly ImportFile[],
  opts: {
    modelId?: string;
    modelDims?: number;
    precisions: PrecisionId[];
    rows?: ImportedRows;
    /** Rows stored of the rows kept: at 0 once the file is read, then per transaction (65,536 rows). */
    onProgress?: (done: number, total: number) => void;
    /** Cancels between transactions; what was written goes with the collection. */
    signal?: AbortSignal;
    /** Rows a transaction (the store's default when absent; tests make it small). */
    groupRows?: number;
  },
): Promise<{ collection: CollectionRecord; rows: ImportedRows; notice: string }> {
  // `rows` already read: a Parquet file, whose reader (parquet-wasm) is page-side.
  const rows = opts.rows ?? (await readImport(list));
  if (!rows.model && opts.modelDims !== undefined && opts.modelDims !== rows.modelDims) {
    throw new ImportError(`these vectors have ${rows.modelDims} dims but ${opts.modelId} gives ${opts.modelDims}-dim vectors; queries could not be compared with them`);
  }
  opts.signal?.throwIfAborted();
  const collection = await store.importCollection(rows, {
    precisions: opts.precisions,
    modelId: rows.model ?? opts.modelId,
    onProgress: opts.onProgress,
    signal: opts.signal,
    groupRows: opts.groupRows,
  });
  const notice =
    `Imported ${collection.count.toLocaleString()} vectors into "${collection.name}"` +
    (rows.skipped ? `; skipped ${rows.skipped} unreadable lines (${rows.problems.join('; ')})` : '') +
    '.';
  return { collection, rows, notice };
}

/** The fields of a collection that say which loaded model may add rows to it. */
export type GrowableCollection = Pick<CollectionRecord, 'name' | 'modelId' | 'dtype'>;

/** A collection's dtype says nothing when it was made before dtypes were kept, or read from a file that did not say. */
const knownDtype = (dtype: string | null | undefined): dtype is string => !!dtype && dtype !== 'unknown';

/**
 * Of the loaded models, the one that may add rows to `c` (resume its job): the same id and, when
 * the collection knows its dtype, the same dtype. Another dtype of the same model gives slightly
 * other vectors, and a collection holding both would rank by a mix and export under one dtype's
 * name; so that model is refused with what to load. Where two dtypes of one id are loaded, the
 * collection's is chosen (the view used to take the first of that id). Nothing is changed either way.
 */
export function modelToGrow<M extends { id: string; dtype: string }>(c: GrowableCollection, loaded: readonly M[]): { model: M } | { error: string } {
  const sameId = loaded.filter((m) => m.id === c.modelId);
  if (sameId.length === 0) return { error: `Load ${c.modelId} to resume embedding "${c.name}".` };
  if (!knownDtype(c.dtype)) return { model: sameId[0] };
  const same = sameId.find((m) => m.dtype === c.dtype);
  if (same) return { model: same };
  const others = [...new Set(sameId.map((m) => m.dtype))].join(', ');
  return {
    error:
      `"${c.name}" was embedded by ${c.modelId} ${c.dtype}; the loaded ${c.modelId} runs ${others}, whose vectors differ, so it cannot add rows to it. ` +
      `Load ${c.modelId} as ${c.dtype} to resume; nothing was changed.`,
  };
}

/** The fields of a stored collection the dims check reads. */
export type StoredCollection = Pick<CollectionRecord, 'name' | 'modelId' | 'modelDims'>;

/**
 * Collections are tied to a model by its id. A model loaded under an id that a stored collection
 * was embedded with, but giving other dims (another "Your model", a different hub revision),
 * cannot search or grow that collection: one message per such collection, said when it loads
 * rather than at the first failed search.
 */
export function dimsConflicts(stored: readonly StoredCollection[], model: { id: string; dims: number }): string[] {
  return stored
    .filter((c) => c.modelId === model.id && c.modelDims !== model.dims)
    .map(
      (c) =>
        `Collection "${c.name}" was embedded by ${c.modelId} at ${c.modelDims} dims; this model gives ${model.dims}, so it cannot search or add to it. Load the model it was made with, or make a new collection.`,
    );
}

/** dimsConflicts over this browser's stored collections; none where IndexedDB is missing (private mode). */
export async function storedDimsConflicts(model: { id: string; dims: number }): Promise<string[]> {
  let store: VectorStore | null = null;
  try {
    store = await VectorStore.open();
    return dimsConflicts(await store.listCollections(), model);
  } catch {
    return []; // no IndexedDB here: nothing stored to conflict with
  } finally {
    store?.close();
  }
}
