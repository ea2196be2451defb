/**
 * The contract every model kind satisfies (see ARCHITECTURE.md, "Two small interfaces"), and the
 * serialisable ModelSpec the page sends a worker. Types only: every models module may import this
 * one, and it imports none of them back but the dtype table (no cycles).
 */
import type { TransformerDtype } from './dtypes.ts';

export type Backend = 'js' | 'wasm' | 'webgpu' | 'node';

export interface ModelInfo {
  id: string;
  /** Model kind module that loaded it, e.g. "static". */
  kind: string;
  /** Upstream layout the files were read as, e.g. "model2vec" or "sentence-transformers". */
  layout: string;
  dims: number;
  backend: Backend;
  /** WASM threads the runtime uses, where it has a thread pool. */
  threads?: number;
  /** Precision of the weights as loaded: "fp32", "fp16", "int8". */
  dtype: string;
  /** Bytes of weights held in memory (tables, scales, mappings; not the tokenizer). */
  bytes: number;
  /** Wall time from the first byte requested to ready, in ms. */
  loadMs: number;
  tokenizer: { implementation: string; vocabSize: number };
  normalize: boolean;
  /** Tokens kept per text; longer texts are truncated and counted. */
  maxTokens: number;
  /** Things a person should know that did not stop the load. */
  warnings: string[];
  /**
   * Widths the model was trained to be truncated to (Matryoshka), largest first, where its files
   * say so (a sentence-transformers model card's MatryoshkaLoss "matryoshka_dims"); absent when
   * they do not.
   */
  matryoshkaDims?: number[];
}

export interface EmbedOptions {
  /** Checked between texts; an AbortSignal fits, and so does a worker's shared-memory flag. */
  signal?: { readonly aborted: boolean };
}

export interface EmbedResult {
  /** rows × dims, row-major. */
  vectors: Float32Array;
  rows: number;
  dims: number;
  /** Tokens that reached the pooling (after truncation, without unknowns). */
  tokens: number;
  /** How many texts were longer than maxTokens and were cut. */
  truncated: number;
  /**
   * Milliseconds each worker that served the call spent inside its model, one entry a worker
   * (set by the worker side, absent in Node): a pool's call whose busy times fall well short of its
   * wall time waited on messaging or on an unbalanced split, not on the cores.
   */
  busyMs?: number[];
}

export interface Embedder {
  readonly info: ModelInfo;
  embed(texts: string[], opts?: EmbedOptions): EmbedResult;
  dispose(): void;
}

/** What a loaded model is to the worker and the page: every kind's embed is async. */
export interface AsyncEmbedder {
  readonly info: ModelInfo;
  embed(texts: string[], opts?: EmbedOptions): Promise<EmbedResult>;
  dispose(): Promise<void>;
}

export type ModelKindId = 'static' | 'transformer';
export type BackendChoice = 'auto' | 'wasm' | 'webgpu';

/** One file of a hub repository as its file list gives it. */
export interface HubFileEntry {
  path: string;
  size: number;
  /** SHA-256 of an LFS file's content; absent for files kept in git. */
  sha256?: string;
  /** Git blob id (SHA-1 of "blob <size>\0" + content) of a file kept in git. */
  gitOid?: string;
}

export type ModelSource =
  | { type: 'url'; baseUrl: string; files?: string[] }
  | { type: 'blobs'; files: Record<string, Blob>; label?: string }
  /** `files`: the repository's file list (with sizes and hashes); names outside it are never requested. */
  | { type: 'hub'; modelId: string; endpoint?: string; revision?: string; files?: HubFileEntry[] };

export interface ModelSpec {
  id: string;
  kind: ModelKindId;
  source: ModelSource;
  maxTokens?: number;
  /** Transformers: which weights file (transformers.js dtype names, see dtypes.ts) and where to run it. */
  dtype?: TransformerDtype;
  backend?: BackendChoice;
  /** WASM threads per instance (onnxruntime-web); default: all cores up to 4. */
  threads?: number;
  /** Texts per session run (transformers); each run pads to its longest text. Default 32. */
  batchSize?: number;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number | null;
}
