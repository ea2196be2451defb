/**
 * A page collection ⇄ a Parquet file. Export reads the collection from the store as it is
 * (texts, sources, content hashes, the float32 rows and every other precision's codes); import
 * turns a file into the rows the store's own import takes (ImportedRows), so an imported
 * collection is committed, calibrated and searched like any other.
 */
import type { PrecisionId } from '../precision/types.ts';
import type { VectorStore } from '../store/store.ts';
import type { ImportedRows } from '../store/transfer.ts';
import { decodeBlobForImport, decodeForImport, type ImportColumns, type ParquetModule } from './codec.ts';
import { encodeParquet } from './writer.ts';
import { CODE_PRECISIONS, ParquetFileError, makeMeta, type ChunkColumns, type CodePrecision, type ParquetMeta } from './format.ts';
import { formatBytes } from '../util/format.ts';

/** A collection as a Parquet file, written by writer.ts (no parquet-wasm to load for an export). */
export async function collectionToParquet(store: VectorStore, collectionId: string): Promise<Uint8Array> {
  const c = await store.collection(collectionId);
  if (!c.precisions.includes('float32')) {
    throw new Error(`a Parquet export carries the float32 "embedding" column, and "${c.name}" keeps only ${c.precisions.join(', ')}: use the NumPy export`);
  }
  const chunks = await store.chunks(c.id);
  const codes: ChunkColumns['codes'] = {};
  const kept = c.precisions.filter((p): p is CodePrecision => CODE_PRECISIONS.includes(p as CodePrecision));
  for (const p of kept) codes[p] = (await store.loadVectors(c.id, p)) as Int8Array | Uint8Array;
  const meta = makeMeta({
    model: c.modelId,
    // From the record, fixed when the collection was made: a same-id model loaded now may run
    // other weights. Collections made before the record kept it say so rather than guess.
    dtype: c.dtype ?? 'unknown',
    dims: c.dims,
    modelDims: c.modelDims,
    precisions: c.precisions,
    calibration: c.calibration,
    rows: chunks.length,
    createdBy: 'embedscope page',
  });
  return encodeParquet(
    {
      ids: chunks.map((ch) => `${c.id}:${ch.row}`),
      texts: chunks.map((ch) => ch.text),
      sources: chunks.map((ch) => ch.source),
      hashes: chunks.map((ch) => ch.hash),
      embedding: (await store.loadVectors(c.id, 'float32')) as Float32Array,
      codes,
    },
    meta,
  );
}

/**
 * The most a page imports in one go. parquet-wasm decodes in a 32-bit WASM heap (4 GiB at most),
 * which must hold the file and its decoded columns at once, and the page then keeps a copy of
 * the vectors for the store — about 3 bytes of memory per byte of file.
 */
export const MAX_IMPORT_BYTES = 1024 ** 3;

export function checkImportSize(file: string, bytes: number, limit = MAX_IMPORT_BYTES): void {
  if (bytes > limit) {
    throw new ParquetFileError(
      file,
      'too-large',
      `is ${formatBytes(bytes)}: importing it would need about ${formatBytes(bytes * 3)} of memory in this tab (the file, its decoded columns and the store's copy); a page imports files up to ${formatBytes(limit)} (about ${formatBytes(limit * 3)} of memory). Search it in DuckDB or LanceDB, or split it with \`npm run embed -- … --shard i/n\``,
    );
  }
}

/**
 * A Parquet file → the store's import rows, plus the precisions the file kept. `modelDims` gives
 * the dims of the models this page knows (the catalog): a file that names one of them but holds
 * vectors of other dims did not come from it, and is refused before anything is stored.
 */
export function parquetToImport(
  pq: ParquetModule,
  bytes: Uint8Array,
  file: string,
  opts: { modelDims?: Record<string, number> } = {},
): { rows: ImportedRows; meta: ParquetMeta; precisions: PrecisionId[] } {
  checkImportSize(file, bytes.byteLength);
  return toImport(decodeForImport(pq, bytes, file), file, opts);
}

/** parquetToImport for a picked File (any Blob): read a row group at a time, never whole (decodeBlobForImport). */
export async function parquetBlobToImport(
  pq: ParquetModule | (() => Promise<ParquetModule>),
  blob: Blob,
  file: string,
  opts: { modelDims?: Record<string, number> } = {},
): Promise<{ rows: ImportedRows; meta: ParquetMeta; precisions: PrecisionId[] }> {
  checkImportSize(file, blob.size);
  return toImport(await decodeBlobForImport(pq, blob, file), file, opts);
}

function toImport(c: ImportColumns, file: string, opts: { modelDims?: Record<string, number> }) {
  const meta = c.meta;
  const known = opts.modelDims?.[meta.model];
  if (known !== undefined && known !== meta.modelDims) {
    throw new ParquetFileError(file, 'model', `says ${meta.model} made its vectors, but ${meta.model} gives ${known}-dim vectors and these have ${meta.modelDims}`);
  }
  const rows: ImportedRows = {
    name: file.replace(/\.parquet$/i, ''),
    model: meta.model,
    dtype: meta.dtype,
    modelDims: meta.modelDims,
    dims: meta.dims,
    texts: c.texts.map((text, i) => ({ text, source: c.sources[i] })),
    hashes: c.hashes ?? undefined,
    float32: c.embedding,
    calibration: meta.calibration,
    skipped: 0,
    problems: [],
  };
  return { meta, precisions: meta.precisions, rows };
}
