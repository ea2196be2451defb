/**
 * Embedscope's Parquet exchange format: one row per chunk, readable as it is by DuckDB, LanceDB,
 * Polars, pandas/pyarrow and anything else that reads Parquet.
 *
 * Columns (Arrow types; Parquet stores the lists as LIST with the Arrow schema beside it):
 *   id            utf8                       the chunk's id (page: collection row; CLI: file#section.k)
 *   text          utf8
 *   source        utf8                       file, and where in it ("moby.txt · line 40")
 *   content_hash  utf8                       SHA-256 of the text, first 16 bytes in hex (the page's cache key)
 *   embedding     fixed_size_list<float32>[dims]   L2-normalised, so dot product = cosine
 *   embedding_int8 | embedding_uint8      fixed_size_list<int8|uint8>[dims] calibrated codes
 *                                         (sentence-transformers' formula)
 *   embedding_binary | embedding_ubinary  fixed_size_binary[ceil(dims/8)] sign bits, numpy.packbits
 *                                         order, raw bits
 * (`embedding_` + the precision id: a bare `binary` is a type keyword in DuckDB and Postgres SQL.)
 *
 * What a reader needs to use the vectors — model id, model dtype, dims, the precisions kept, their
 * parameters and the int8 calibration ranges — is JSON under the key `embedscope` in the file's
 * key-value metadata, so the file explains itself without Embedscope.
 *
 * Library: parquet-wasm (arrow-rs compiled to WASM) + apache-arrow, chosen over hyparquet +
 * hyparquet-writer by measurement (100,000 rows × 100-d float32 + text, uncompressed, median of
 * 5, AMD EPYC AVX2, load ~1.2): parquet-wasm 331 ms (257–538), hyparquet-writer 4,562 ms
 * (3,700–5,059) — hyparquet-writer walks every float through its Dremel encoder and dictionary
 * probe, which holds it to ~22k rows/s, far under the CLI's 200k chunks/s. parquet-wasm also
 * writes Arrow's FixedSizeList (with the ARROW:schema key), which LanceDB takes as a vector column
 * with no conversion. The price is size: 4.8 MB of WASM (1.6 MB gzipped) + 254 kB of minified JS
 * against 54 + 59 kB for hyparquet's pair, paid only when a page exports or imports (lazy).
 * apache-arrow is pinned at 18.1.0, the newest @lancedb/lancedb 0.31's peer range accepts.
 * Files of this shape are now written by our own writer (writer.ts, which says why: 2.9–4.9× less
 * CPU than parquet-wasm on the CLI's parts) and read by direct.ts; parquet-wasm writes and reads
 * every other file, and a page loads it only for those.
 */
import type { Calibration, PrecisionId } from '../precision/types.ts';
import { calibrationFromJson } from '../precision/int8.ts';
import { bytesPerRow } from '../precision/binary.ts';

export const META_KEY = 'embedscope';
export const FORMAT_VERSION = 1;

export const COLUMNS = { id: 'id', text: 'text', source: 'source', hash: 'content_hash', embedding: 'embedding' } as const;

/** The precisions that get a column of their own (float32 is the `embedding` column). */
export const CODE_PRECISIONS = ['int8', 'uint8', 'binary', 'ubinary'] as const satisfies readonly PrecisionId[];
export type CodePrecision = (typeof CODE_PRECISIONS)[number];

/** The column that keeps a precision's codes. */
export const codeColumn = (p: CodePrecision | PrecisionId) => `${COLUMNS.embedding}_${p}`;

/** How each stored precision is to be read elsewhere (written into the metadata as it is). */
export const PRECISION_PARAMS: Record<PrecisionId, string> = {
  float32: 'embedding column: L2-normalised float32; cosine = dot product',
  int8: 'code = clamp(trunc((x − min[d]) / step[d] − 128), −128, 127), step[d] = (max[d] − min[d]) / 255; x ≈ min[d] + (code + 128)·step[d]',
  uint8: 'code = clamp(trunc((x − min[d]) / step[d]), 0, 255), step[d] = (max[d] − min[d]) / 255; x ≈ min[d] + (code + 0.5)·step[d]',
  binary: 'bit = x > 0, 8 dims a byte, first dim in the most significant bit (numpy.packbits); raw bits (the page keeps them − 128 as int8); Hamming distance',
  ubinary: 'bit = x > 0, 8 dims a byte, first dim in the most significant bit (numpy.packbits); Hamming distance',
};

/** One batch of rows, in the page's own forms (`codes` exactly as each precision's `encode` gives them). */
export interface ChunkColumns {
  ids: string[];
  texts: string[];
  sources: string[];
  hashes: string[];
  /** rows × dims, L2-normalised. */
  embedding: Float32Array;
  codes: Partial<Record<CodePrecision, Int8Array | Uint8Array>>;
}

/** The code precisions a file's metadata lists (every precision but float32, which is `embedding`). */
export const codePrecisions = (meta: Pick<ParquetMeta, 'precisions'>) => meta.precisions.filter((p): p is CodePrecision => p !== 'float32');

/** The rows of `c` once every column holds one value a row and every listed precision its codes; throws saying which does not. */
export function checkChunkColumns(c: ChunkColumns, meta: ParquetMeta): number {
  const rows = c.ids.length;
  if (c.texts.length !== rows || c.sources.length !== rows || c.hashes.length !== rows) throw new Error('every column needs one value per row');
  if (c.embedding.length !== rows * meta.dims) throw new Error(`embedding has ${c.embedding.length} values, ${rows} rows × ${meta.dims} dims need ${rows * meta.dims}`);
  for (const p of codePrecisions(meta)) {
    const codes = c.codes[p];
    if (!codes) throw new Error(`the metadata lists ${p}, but no ${p} codes were given`);
    const want = p === 'int8' || p === 'uint8' ? rows * meta.dims : rows * bytesPerRow(meta.dims);
    if (codes.length !== want) throw new Error(`${p} codes have ${codes.length} values, ${rows} rows need ${want}`);
  }
  return rows;
}

export interface ParquetMeta {
  format: 'embedscope';
  version: number;
  /** The model that made the vectors (a catalog id, or a hub/user id). */
  model: string;
  /** The model's weights as run ("fp32", "int8", …): another dtype gives slightly other vectors. */
  dtype: string;
  /** Dimensions stored (after Matryoshka truncation). */
  dims: number;
  /** The model's own dimensions. */
  modelDims: number;
  metric: 'cosine';
  normalized: true;
  /** Precisions kept: always float32 (the embedding column), plus a column for each other one. */
  precisions: PrecisionId[];
  precisionParams: Partial<Record<PrecisionId, string>>;
  /** Per-dimension ranges for int8/uint8 (sentence-transformers' `ranges`), null without them. */
  calibration: { min: number[]; max: number[] } | null;
  rows?: number;
  chunking?: { mode: string; maxTokens: number; overlap: number };
  createdBy: string;
}

export type ParquetProblem =
  | 'not-parquet'
  | 'truncated'
  | 'corrupt'
  | 'no-metadata'
  | 'no-embedding'
  | 'dims'
  | 'dtype'
  | 'model'
  | 'too-large'
  | 'columns';

/** A Parquet file that cannot be used, with the reason said so that a person can act on it. */
export class ParquetFileError extends Error {
  override name = 'ParquetFileError';
  constructor(
    readonly file: string,
    readonly problem: ParquetProblem,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

export function makeMeta(m: {
  model: string;
  dtype: string;
  dims: number;
  modelDims?: number;
  precisions: PrecisionId[];
  calibration?: Calibration | { min: number[]; max: number[] } | null;
  chunking?: ParquetMeta['chunking'];
  rows?: number;
  createdBy?: string;
}): ParquetMeta {
  const precisions: PrecisionId[] = ['float32', ...m.precisions.filter((p) => p !== 'float32')];
  const needs = precisions.some((p) => p === 'int8' || p === 'uint8');
  if (needs && !m.calibration) throw new Error('int8/uint8 columns need their calibration ranges in the metadata');
  return {
    format: 'embedscope',
    version: FORMAT_VERSION,
    model: m.model,
    dtype: m.dtype,
    dims: m.dims,
    modelDims: m.modelDims ?? m.dims,
    metric: 'cosine',
    normalized: true,
    precisions,
    precisionParams: Object.fromEntries(precisions.map((p) => [p, PRECISION_PARAMS[p]])),
    calibration: needs && m.calibration ? { min: Array.from(m.calibration.min), max: Array.from(m.calibration.max) } : null, // typed or already JSON
    ...(m.rows !== undefined ? { rows: m.rows } : {}),
    ...(m.chunking ? { chunking: m.chunking } : {}),
    createdBy: m.createdBy ?? 'embedscope',
  };
}

export function calibrationOf(meta: ParquetMeta): Calibration | undefined {
  return calibrationFromJson(meta.calibration);
}

/** Parses and checks the `embedscope` metadata value. */
export function parseMeta(file: string, json: string | undefined): ParquetMeta {
  if (json === undefined) {
    throw new ParquetFileError(
      file,
      'no-metadata',
      `has no "${META_KEY}" key-value metadata, so which model made its vectors is unknown (write it with Embedscope, or add the key)`,
    );
  }
  let meta: ParquetMeta;
  try {
    meta = JSON.parse(json);
  } catch {
    throw new ParquetFileError(file, 'no-metadata', `its "${META_KEY}" metadata is not valid JSON`);
  }
  if (!meta || meta.format !== 'embedscope' || typeof meta.model !== 'string' || !Number.isInteger(meta.dims) || meta.dims < 1) {
    throw new ParquetFileError(file, 'no-metadata', `its "${META_KEY}" metadata lacks the model id or dims`);
  }
  if (meta.version > FORMAT_VERSION) {
    throw new ParquetFileError(file, 'no-metadata', `was written by a newer Embedscope (format ${meta.version}; this one reads up to ${FORMAT_VERSION})`);
  }
  // Older writers left modelDims out when the vectors were not truncated.
  meta.modelDims ??= meta.dims;
  if (!Number.isInteger(meta.modelDims) || meta.modelDims < meta.dims) {
    throw new ParquetFileError(file, 'no-metadata', `its "${META_KEY}" metadata says the model has ${meta.modelDims} dims, fewer than its ${meta.dims}-dim vectors`);
  }
  if (!Array.isArray(meta.precisions) || meta.precisions.length === 0 || !meta.precisions.every((p) => Object.hasOwn(PRECISION_PARAMS, p))) {
    throw new ParquetFileError(file, 'no-metadata', `its "${META_KEY}" metadata names no known precisions (float32, int8, uint8, binary, ubinary)`);
  }
  if (meta.calibration && (meta.calibration.min?.length !== meta.dims || meta.calibration.max?.length !== meta.dims)) {
    throw new ParquetFileError(file, 'dims', `its int8 calibration has ${meta.calibration.min?.length} dims, its vectors ${meta.dims}`);
  }
  return meta;
}

/** What the reader of a file expects of it (the loaded model; a collection to append to). */
export interface Expect {
  model?: string;
  dtype?: string;
  dims?: number;
}

export function checkExpected(file: string, meta: ParquetMeta, expect: Expect): void {
  if (expect.model !== undefined && meta.model !== expect.model) {
    throw new ParquetFileError(
      file,
      'model',
      `its vectors were made by ${meta.model}, not ${expect.model}: vectors of different models are not comparable (load ${meta.model} to search it)`,
    );
  }
  if (expect.dtype !== undefined && meta.dtype !== expect.dtype) {
    throw new ParquetFileError(file, 'dtype', `its vectors were made by ${meta.model} ${meta.dtype}, not ${expect.dtype} (another dtype gives other vectors)`);
  }
  if (expect.dims !== undefined && meta.dims !== expect.dims) {
    throw new ParquetFileError(file, 'dims', `its vectors have ${meta.dims} dims, ${expect.dims} were expected`);
  }
}
