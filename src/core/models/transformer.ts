/**
 * Transformer models in ONNX (transformers.js layout: config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model{,_fp16,_quantized}.onnx): tokenize, pad right to the
 * longest in the batch, run the session, pool, normalise.
 *
 * The ONNX runtime is passed in (`ort`): onnxruntime-node for the CLI and tests, onnxruntime-web
 * in the browser — the same module either way, which is what makes the CLI's numbers the page's.
 * Pooling: a `sentence_embedding` output is used as it is (use-lite pools in-graph); otherwise
 * `last_hidden_state` is pooled as sentence-transformers' `1_Pooling/config.json` says — the mean
 * over the attention mask (the default, as for all-MiniLM-L6-v2) or the first token ("cls", as
 * for BGE) — and a `pooler_output`-only model is used as it is.
 */
import { InputError, ModelLoadError } from '../errors.ts';
import { loadTokenizer, parseTokenizerJson, type TextTokenizer } from '../tokenizer.ts';
import type { ModelFiles } from './files.ts';
import type { Backend, EmbedOptions, EmbedResult, ModelInfo } from './types.ts';

import { dtypeFiles, missingKernelMessage, readDtypeFile, type TransformerDtype } from './dtypes.ts';
import { normalizeRows } from '../util/vectors.ts';

/** The inputs we can feed a text model: the tokenizer's ids and mask, and a single segment's type ids. */
const FED_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];

/** The dtype table (name → file, backends, cost) lives in dtypes.ts; re-exported for existing importers. */
export { DTYPE_FILES, type TransformerDtype } from './dtypes.ts';
/** How token vectors become one sentence vector ('none': the graph already pooled). */
export type Pooling = 'mean' | 'cls' | 'none';

/** The slice of the onnxruntime API we use, met by onnxruntime-node and onnxruntime-web. */
export interface OrtTensor {
  data: unknown;
  dims: readonly number[];
}
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => OrtTensor;
}

export const transformerKind = {
  id: 'transformer',
  label: 'Transformer (ONNX)',
  description: 'An ONNX encoder run by onnxruntime: attention makes it slower than static models, and better.',
  cost: 'O(tokens² × layers) per batch; memory = weights + activations of the longest batch',
  defaults: { batchSize: 32 },
} as const;

export interface TransformerLoadOptions {
  id: string;
  dtype?: TransformerDtype;
  /** A different file for that dtype (the WebGPU-friendly int8 variant, say). */
  file?: string;
  ort: OrtModule;
  backend: Backend;
  batchSize?: number;
  sessionOptions?: Record<string, unknown>;
}

export interface TransformerEmbedder {
  readonly info: ModelInfo;
  embed(texts: string[], opts?: EmbedOptions): Promise<EmbedResult>;
  dispose(): Promise<void>;
}

export async function loadTransformerModel(files: ModelFiles, opts: TransformerLoadOptions): Promise<TransformerEmbedder> {
  const started = performance.now();
  const dtype = opts.dtype ?? 'fp32';
  const [[configBytes, tokenizerBytes, tokenizerConfigBytes], weights] = await Promise.all([
    Promise.all(['config.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => files.read(f))),
    opts.file ? files.read(opts.file).then((bytes) => bytes && { file: opts.file!, bytes }) : readDtypeFile(files, dtype),
  ]);
  if (!weights) throw new ModelLoadError(opts.file ?? dtypeFilesLabel(dtype), `is missing from ${files.label}: this model has no ${dtype} variant`);
  const { file, bytes: modelBytes } = weights;
  const config = parseJson(configBytes, 'config.json');
  const tokenizerConfig = parseJson(tokenizerConfigBytes, 'tokenizer_config.json');
  const tokenizer = await loadTokenizer(parseTokenizerJson(tokenizerBytes));
  let session: OrtSession;
  try {
    session = await opts.ort.InferenceSession.create(new Uint8Array(modelBytes), opts.sessionOptions);
  } catch (err) {
    const message = (err as Error).message;
    throw new ModelLoadError(file, missingKernelMessage(message, opts.backend) ?? `could not be loaded by onnxruntime: ${message.split('\n')[0].slice(0, 300)}`);
  }
  const missing = ['input_ids', 'attention_mask'].filter((n) => !session.inputNames.includes(n));
  // BERT-family exports (e.g. all-MiniLM-L6-v2 in the transformers.js layout) also take
  // token_type_ids: one segment per text, so all zeros, as transformers.js and sentence-transformers feed.
  const unknown = session.inputNames.filter((n) => !FED_INPUTS.includes(n));
  if (missing.length || unknown.length) {
    throw new ModelLoadError(file, `expects inputs ${session.inputNames.join(', ')}; we feed input_ids, attention_mask and token_type_ids (${missing.length ? `missing: ${missing.join(', ')}` : `not known: ${unknown.join(', ')}`})`);
  }
  const output = ['sentence_embedding', 'last_hidden_state', 'pooler_output'].find((o) => session.outputNames.includes(o));
  if (!output) {
    throw new ModelLoadError(file, `has outputs ${session.outputNames.join(', ')}; expected sentence_embedding, last_hidden_state or pooler_output`);
  }
  // Only a model that leaves pooling to us is asked for its pooling config. The file is optional:
  // one that cannot be read (absent, or offline and never cached because it never existed) means mean.
  const poolingBytes = output === 'last_hidden_state' ? await files.read('1_Pooling/config.json').catch(() => null) : null;
  const pooling: Pooling = output === 'last_hidden_state' ? poolingMode(parseJson(poolingBytes, '1_Pooling/config.json')) : 'none';
  const maxTokens = Number(tokenizerConfig?.['model_max_length'] ?? config?.['max_position_embeddings'] ?? 512);
  const info: ModelInfo = {
    id: opts.id,
    kind: transformerKind.id,
    layout: 'transformers.js',
    dims: Number(config?.['hidden_size'] ?? 0),
    backend: opts.backend,
    dtype,
    bytes: modelBytes.byteLength,
    loadMs: performance.now() - started,
    tokenizer: { implementation: tokenizer.implementation, vocabSize: tokenizer.vocabSize },
    normalize: true,
    maxTokens: Number.isFinite(maxTokens) && maxTokens > 0 && maxTokens < 1e6 ? maxTokens : 512,
    warnings: [],
  };
  if (pooling !== 'none') info.warnings.push(`${pooling === 'cls' ? 'First-token (CLS)' : 'Mean'} pooling of last_hidden_state${poolingBytes ? ', as 1_Pooling/config.json says' : ''}.`);
  const batchSize = Number.isFinite(opts.batchSize) && opts.batchSize! >= 1 ? Math.floor(opts.batchSize!) : transformerKind.defaults.batchSize;
  const embedder = new OnnxEmbedder(info, tokenizer, session, opts.ort, output, pooling, batchSize, session.inputNames.includes('token_type_ids'));
  if (!info.dims) info.dims = (await embedder.embed(['dimension probe'])).dims;
  return embedder;
}

class OnnxEmbedder implements TransformerEmbedder {
  constructor(
    readonly info: ModelInfo,
    private tokenizer: TextTokenizer,
    private session: OrtSession,
    private ort: OrtModule,
    private output: string,
    private pooling: Pooling,
    private batchSize: number,
    private tokenTypeIds: boolean,
  ) {}

  async embed(texts: string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
    if (!Array.isArray(texts)) throw new InputError('embed() takes a list of texts');
    const { maxTokens } = this.info;
    let truncated = 0;
    let tokens = 0;
    const ids = texts.map((t, i) => {
      if (typeof t !== 'string') throw new InputError(`text ${i + 1} is not a string`);
      // A character cap first, so a 1 MB "sentence" costs like a long one to tokenize.
      const all = this.tokenizer.encode(t.length > maxTokens * 32 ? t.slice(0, maxTokens * 32) : t);
      if (all.length > maxTokens || t.length > maxTokens * 32) truncated++;
      const kept = all.slice(0, maxTokens);
      tokens += kept.length;
      return kept;
    });
    // Texts without tokens (empty strings) get zero vectors: the graph cannot pool nothing.
    const order = ids.map((_, i) => i).filter((i) => ids[i].length > 0).sort((a, b) => ids[a].length - ids[b].length);
    let dims = this.info.dims;
    let out: Float32Array | null = dims ? new Float32Array(texts.length * dims) : null;
    // Batches of similar lengths pad less.
    for (let at = 0; at < order.length; at += this.batchSize) {
      if (opts.signal?.aborted) throw new DOMException('Embedding was cancelled', 'AbortError');
      const rows = order.slice(at, at + this.batchSize);
      const width = Math.max(...rows.map((r) => ids[r].length));
      const inputIds = new BigInt64Array(rows.length * width);
      const mask = new BigInt64Array(rows.length * width);
      rows.forEach((r, i) => ids[r].forEach((id, j) => ((inputIds[i * width + j] = BigInt(id)), (mask[i * width + j] = 1n))));
      const shape = [rows.length, width];
      const result = await this.session.run({
        input_ids: new this.ort.Tensor('int64', inputIds, shape),
        attention_mask: new this.ort.Tensor('int64', mask, shape),
        ...(this.tokenTypeIds ? { token_type_ids: new this.ort.Tensor('int64', new BigInt64Array(rows.length * width), shape) } : {}),
      });
      const raw = result[this.output];
      const vectors = this.pooling === 'none' ? (raw.data as Float32Array) : this.pooling === 'cls' ? firstToken(raw) : meanPool(raw, mask);
      dims = vectors.length / rows.length;
      out ??= new Float32Array(texts.length * dims);
      rows.forEach((r, i) => normalizeRows(vectors.subarray(i * dims, (i + 1) * dims), dims, out!.subarray(r * dims, (r + 1) * dims)));
    }
    return { vectors: out ?? new Float32Array(0), rows: texts.length, dims, tokens, truncated };
  }

  async dispose(): Promise<void> {
    await this.session.release?.();
  }
}

/** sentence-transformers' Pooling modules: mean unless the config asks for the CLS token only. */
function poolingMode(config: Record<string, unknown> | null): Pooling {
  if (config?.['pooling_mode_cls_token'] === true && config['pooling_mode_mean_tokens'] !== true) return 'cls';
  return 'mean';
}

function firstToken(hidden: OrtTensor): Float32Array {
  const [batch, length, dims] = hidden.dims;
  const data = hidden.data as Float32Array;
  const out = new Float32Array(batch * dims);
  for (let b = 0; b < batch; b++) out.set(data.subarray(b * length * dims, b * length * dims + dims), b * dims);
  return out;
}

function meanPool(hidden: OrtTensor, mask: BigInt64Array): Float32Array {
  const [batch, length, dims] = hidden.dims;
  const data = hidden.data as Float32Array;
  const out = new Float32Array(batch * dims);
  for (let b = 0; b < batch; b++) {
    let count = 0;
    for (let t = 0; t < length; t++) {
      if (!mask[b * length + t]) continue;
      count++;
      for (let d = 0; d < dims; d++) out[b * dims + d] += data[(b * length + t) * dims + d];
    }
    for (let d = 0; d < dims; d++) out[b * dims + d] /= Math.max(count, 1);
  }
  return out;
}

function parseJson(bytes: ArrayBuffer | null, file: string): Record<string, unknown> | null {
  if (!bytes) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ModelLoadError(file, 'is not valid JSON');
  }
}

function dtypeFilesLabel(dtype: TransformerDtype): string {
  return dtypeFiles(dtype).join(' or ');
}
