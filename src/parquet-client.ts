/**
 * Parquet in the page: the work is core's (src/core/parquet/collection.ts). An export is written
 * by core's own writer (writer.ts) and a file shaped as ours is imported from its pages
 * (direct.ts); parquet-wasm's WASM (4.8 MB, 1.6 MB gzipped — src/core/parquet/format.ts says
 * why this library) is fetched and compiled only for an import of any other file.
 */
import init, * as wasm from 'parquet-wasm/esm';
import wasmUrl from 'parquet-wasm/esm/parquet_wasm_bg.wasm?url';
import { checkImportSize, collectionToParquet, parquetBlobToImport, type ParquetModule } from './core/parquet/index.ts';
import type { VectorStore } from './core/store/store.ts';
import { catalog } from '../models/catalog.ts';

let ready: Promise<ParquetModule> | null = null;
function parquet(): Promise<ParquetModule> {
  ready ??= init({ module_or_path: wasmUrl }).then(() => wasm as ParquetModule);
  return ready;
}

export async function exportParquet(store: VectorStore, collectionId: string): Promise<Uint8Array> {
  return collectionToParquet(store, collectionId);
}

export async function importParquet(file: File) {
  checkImportSize(file.name, file.size); // before reading a byte of a file too large to take
  const modelDims = Object.fromEntries(catalog.map((m) => [m.id, m.dims]));
  // Read a row group at a time from the File itself: the file is never held whole. A file shaped
  // as ours is read without parquet-wasm, which is loaded only for any other.
  return parquetBlobToImport(parquet, file, file.name, { modelDims });
}
