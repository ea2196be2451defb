/** The contract every model kind satisfies (see ARCHITECTURE.md, "Two small interfaces"). */

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
}

export interface Embedder {
  readonly info: ModelInfo;
  embed(texts: string[], opts?: EmbedOptions): EmbedResult;
  dispose(): void;
}
