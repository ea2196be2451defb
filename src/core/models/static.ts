/**
 * Static embedding models: look each token's row up in a table, average, normalise.
 * No attention, so cost is linear in text length and there is no architectural max length.
 *
 * Reads the layouts upstream tools write:
 * - model2vec: config.json + tokenizer.json + model.safetensors with `embeddings` [vocab, dims]
 *   (F32, F16 or I8), optionally `weights` [vocab] (a per-token scale) and `mapping` [vocab]
 *   (token → row, for vocabulary-quantized models);
 * - sentence-transformers StaticEmbedding: model.safetensors with `embedding.weight`,
 *   normalisation from modules.json or config_sentence_transformers.json;
 * - word-vector tables (GloVe): models/build writes them in the model2vec layout with a
 *   WordLevel tokenizer.json, so they need nothing of their own here.
 * Pooling follows model2vec exactly (unknown tokens dropped, mean, L2 with a 1e-12 floor), so
 * our vectors match its reference outputs (tests/unit/static.test.ts).
 */
import { AbortError, InputError, ModelLoadError } from '../errors.ts';
import { readSafetensors, tensorToFloat32, tensorToInt32, int8View, type Tensor } from '../safetensors.ts';
import { loadTokenizer, parseTokenizerJson, type TextTokenizer } from '../tokenizer.ts';
import type { ModelFiles } from './files.ts';
import { OUT_SLOTS, WasmPool } from './static-pool.ts';
import type { EmbedOptions, EmbedResult, Embedder, ModelInfo } from './types.ts';

export const staticKind = {
  id: 'static',
  label: 'Static embeddings',
  description: 'Token table + mean pooling (model2vec, sentence-transformers StaticEmbedding, word vectors). Fast on any CPU.',
  /** What it costs to run: one table lookup and one add per token and dimension. */
  cost: 'O(tokens × dims) per text; memory = rows × dims × bytes per weight',
  defaults: { maxTokens: 512 },
  load: loadStaticModel,
} as const;

export interface StaticLoadOptions {
  id: string;
  /** Tokens kept per text (model2vec's default is 512). */
  maxTokens?: number;
  /** Overrides the files' own normalisation setting. */
  normalize?: boolean;
  /** Test hook: force the transformers.js tokenizer even where the fast path applies. */
  allowFastTokenizer?: boolean;
  /** Test hook: false keeps the JS pooling loop even where WebAssembly SIMD runs. */
  wasmPooling?: boolean;
}

interface Table {
  rows: number;
  dims: number;
  /** f32 rows, or int8 rows that `rowScale` turns into floats. */
  data: Float32Array | Int8Array;
  rowScale: Float32Array | null;
  mapping: Int32Array | null;
  dtype: 'fp32' | 'fp16' | 'int8';
}

export async function loadStaticModel(files: ModelFiles, opts: StaticLoadOptions): Promise<Embedder> {
  const started = performance.now();
  const [configBytes, modulesBytes, stConfigBytes, readmeBytes] = await Promise.all(
    ['config.json', 'modules.json', 'config_sentence_transformers.json', 'README.md'].map((f) => files.read(f)),
  );
  const config = parseOptionalJson(configBytes, 'config.json');
  const modules = parseOptionalJson(modulesBytes, 'modules.json');
  const stConfig = parseOptionalJson(stConfigBytes, 'config_sentence_transformers.json');
  // sentence-transformers keeps the table in the StaticEmbedding module's folder (0_StaticEmbedding/);
  // files dropped in the page arrive flat, so the root is read when the folder has none.
  const folder = staticModuleFolder(modules);
  const readIn = async (name: string) => (folder ? ((await files.read(`${folder}/${name}`)) ?? (await files.read(name))) : files.read(name));
  const [tokenizerBytes, modelBytes] = await Promise.all([readIn('tokenizer.json'), readIn('model.safetensors')]);
  if (modelBytes === null) throw new ModelLoadError(folder ? `${folder}/model.safetensors` : 'model.safetensors', `is missing from ${files.label}`);

  const tokenizer = await loadTokenizer(parseTokenizerJson(tokenizerBytes), { allowFastPath: opts.allowFastTokenizer });
  const tensors = readSafetensors(modelBytes);
  const { table, layout } = readTable(tensors);
  const warnings: string[] = [];
  checkShapes(table, tokenizer, config, warnings);

  const normalize = opts.normalize ?? normalizeSetting(config, modules, stConfig);
  const maxTokens = opts.maxTokens ?? staticKind.defaults.maxTokens;
  const info: ModelInfo = {
    id: opts.id,
    kind: staticKind.id,
    layout,
    dims: table.dims,
    backend: 'js',
    dtype: table.dtype,
    bytes: table.data.byteLength + (table.rowScale?.byteLength ?? 0) + (table.mapping?.byteLength ?? 0),
    loadMs: 0,
    tokenizer: { implementation: tokenizer.implementation, vocabSize: tokenizer.vocabSize },
    normalize,
    maxTokens,
    warnings,
  };
  const matryoshka = matryoshkaDims(config, stConfig, readmeBytes, table.dims);
  if (matryoshka) info.matryoshkaDims = matryoshka;
  info.loadMs = performance.now() - started;
  return new StaticEmbedder(info, table, tokenizer, { wasm: opts.wasmPooling });
}

class StaticEmbedder implements Embedder {
  /** Texts longer than this many characters cannot fit in maxTokens tokens of ≤16 chars; cut first so
   * a megabyte "sentence" costs no more than a long one (model2vec pre-truncates the same way). */
  private readonly maxChars: number;
  /** The table in WebAssembly memory with the SIMD pooling, or null (no SIMD here): then the JS loop. */
  private wasm: WasmPool | null;

  constructor(
    readonly info: ModelInfo,
    private table: Table,
    private tokenizer: TextTokenizer,
    opts: { wasm?: boolean } = {},
  ) {
    this.maxChars = info.maxTokens * Math.max(16, tokenizer.medianTokenChars);
    // Room for any text of maxChars under the default cap (a token is at least one character); grown past it.
    this.wasm = opts.wasm === false ? null : WasmPool.create(table, Math.min(this.maxChars + 1, 16_384));
    // The table now lives in the module's memory: drop the file's copy so the model holds one.
    if (this.wasm) this.table = { ...table, data: new Float32Array(0), rowScale: null, mapping: null };
  }

  /** Which pooling runs, for tests and model info. */
  get pooling(): 'wasm-simd' | 'js' {
    return this.wasm ? 'wasm-simd' : 'js';
  }

  embed(texts: string[], opts: EmbedOptions = {}): EmbedResult {
    if (!Array.isArray(texts)) throw new InputError('embed() takes a list of texts');
    return this.wasm ? this.embedWasm(texts, this.wasm, opts) : this.embedJs(texts, opts);
  }

  /** The text at `t`, checked and cut to maxChars (model2vec's pre-truncation). */
  private textAt(texts: string[], t: number, opts: EmbedOptions): string {
    if (opts.signal?.aborted) throw new AbortError('Embedding was cancelled');
    const text = texts[t];
    if (typeof text !== 'string') throw new InputError(`text ${t + 1} is not a string`);
    return text.length > this.maxChars ? text.slice(0, this.maxChars) : text;
  }

  private embedWasm(texts: string[], wasm: WasmPool, opts: EmbedOptions): EmbedResult {
    const { dims } = this.table;
    const { unkId } = this.tokenizer;
    const maxTokens = this.info.maxTokens;
    const normalize = this.info.normalize;
    const out = new Float32Array(texts.length * dims);
    let tokens = 0;
    let truncated = 0;
    let slot = 0;
    for (let t = 0; t < texts.length; t++) {
      const text = this.textAt(texts, t, opts);
      let ids = wasm.ids;
      let length = this.tokenizer.encodeInto(text, ids);
      if (length > ids.length) {
        wasm.grow(length * 2);
        ids = wasm.ids;
        length = this.tokenizer.encodeInto(text, ids);
      }
      // Unknown tokens out, at most maxTokens kept, in place at the front of `ids`.
      let count = 0;
      let dropped = false;
      for (let k = 0; k < length; k++) {
        const id = ids[k];
        if (id === unkId) continue;
        if (count === maxTokens) {
          dropped = true;
          break;
        }
        ids[count++] = id;
      }
      if (text.length !== texts[t].length || dropped) truncated++;
      tokens += count;
      wasm.pool(count, slot++, normalize);
      if (slot === OUT_SLOTS) {
        wasm.flush(out, t + 1 - slot, slot, dims);
        slot = 0;
      }
    }
    wasm.flush(out, texts.length - slot, slot, dims);
    return { vectors: out, rows: texts.length, dims, tokens, truncated };
  }

  private embedJs(texts: string[], opts: EmbedOptions): EmbedResult {
    const { dims, data, rowScale, mapping } = this.table;
    const { unkId } = this.tokenizer;
    const maxTokens = this.info.maxTokens;
    const out = new Float32Array(texts.length * dims);
    const acc = new Float32Array(dims);
    let ids = new Int32Array(1024); // reused for every text; grown when a text has more tokens
    let tokens = 0;
    let truncated = 0;
    for (let t = 0; t < texts.length; t++) {
      const text = this.textAt(texts, t, opts);
      let length = this.tokenizer.encodeInto(text, ids);
      if (length > ids.length) {
        ids = new Int32Array(length * 2);
        length = this.tokenizer.encodeInto(text, ids);
      }
      acc.fill(0);
      let count = 0;
      let dropped = false;
      for (let k = 0; k < length; k++) {
        const id = ids[k];
        if (id === unkId) continue;
        if (count === maxTokens) {
          dropped = true;
          break;
        }
        const at = (mapping ? mapping[id] : id) * dims;
        const w = rowScale ? rowScale[id] : 1;
        addRow(acc, data, at, w, dims);
        count++;
      }
      if (text.length !== texts[t].length || dropped) truncated++;
      tokens += count;
      // Mean, then L2 with model2vec's 1e-12 floor (an all-unknown text stays a zero vector).
      const inv = 1 / Math.max(count, 1);
      let norm = 0;
      for (let d = 0; d < dims; d++) {
        const v = acc[d] * inv;
        acc[d] = v;
        norm += v * v;
      }
      const scale = this.info.normalize ? 1 / Math.max(Math.sqrt(norm), 1e-12) : 1;
      const base = t * dims;
      for (let d = 0; d < dims; d++) out[base + d] = acc[d] * scale;
    }
    return { vectors: out, rows: texts.length, dims, tokens, truncated };
  }

  dispose(): void {
    this.wasm = null;
    this.table = { ...this.table, data: new Float32Array(0), rowScale: null, mapping: null };
  }
}

// Unrolled by 4 where the width allows (every real table): ~20% faster in V8 than the plain
// loop. Each worker holds one model, so this call site sees one array type and stays monomorphic.
function addRow(acc: Float32Array, data: Float32Array | Int8Array, at: number, w: number, dims: number) {
  let d = 0;
  for (; d + 4 <= dims; d += 4) {
    acc[d] += data[at + d] * w;
    acc[d + 1] += data[at + d + 1] * w;
    acc[d + 2] += data[at + d + 2] * w;
    acc[d + 3] += data[at + d + 3] * w;
  }
  for (; d < dims; d++) acc[d] += data[at + d] * w;
}

function readTable(tensors: Map<string, Tensor>): { table: Table; layout: string } {
  const file = 'model.safetensors';
  let name: string;
  let layout: string;
  if (tensors.has('embeddings')) [name, layout] = ['embeddings', 'model2vec'];
  else if (tensors.has('embedding.weight')) [name, layout] = ['embedding.weight', 'sentence-transformers'];
  else if (tensors.has('0')) [name, layout] = ['0', 'model2vec'];
  else {
    const found = [...tensors.keys()].join(', ') || 'none';
    throw new ModelLoadError(file, `has no embedding table: expected a tensor "embeddings" (model2vec) or "embedding.weight" (sentence-transformers); found ${found}`);
  }
  const t = tensors.get(name)!;
  if (t.shape.length !== 2 || t.shape[0] === 0 || t.shape[1] === 0) {
    throw new ModelLoadError(file, `tensor "${name}" must be a 2-D [vocab, dims] table, but its shape is [${t.shape}]`);
  }
  const [rows, dims] = t.shape;
  let data: Float32Array | Int8Array;
  let dtype: Table['dtype'];
  if (t.dtype === 'F32' || t.dtype === 'F16') {
    // f16 is widened once at load: per-lookup decoding would make every token ~10× dearer.
    data = tensorToFloat32(t);
    dtype = t.dtype === 'F32' ? 'fp32' : 'fp16';
  } else if (t.dtype === 'I8') {
    data = int8View(t);
    dtype = 'int8';
  } else {
    throw new ModelLoadError(file, `tensor "${name}" has dtype ${t.dtype}; static tables must be F32, F16 or I8`);
  }
  const weights = tensors.get('weights');
  const mappingTensor = tensors.get('mapping');
  const rowScale = weights ? tensorToFloat32(weights) : null;
  let mapping: Int32Array | null = null;
  if (mappingTensor) {
    if (mappingTensor.dtype !== 'I32' && mappingTensor.dtype !== 'I64') {
      throw new ModelLoadError(file, `tensor "mapping" must be I32 or I64, not ${mappingTensor.dtype}`);
    }
    mapping = tensorToInt32(mappingTensor);
    for (let i = 0; i < mapping.length; i++) {
      if (mapping[i] < 0 || mapping[i] >= rows) {
        throw new ModelLoadError(file, `tensor "mapping" sends token ${i} to row ${mapping[i]}, outside the ${rows}-row table`);
      }
    }
  }
  if (rowScale && mapping && rowScale.length !== mapping.length) {
    throw new ModelLoadError(file, `tensors "weights" (${rowScale.length}) and "mapping" (${mapping.length}) disagree on the vocabulary size`);
  }
  return { table: { rows, dims, data, rowScale, mapping, dtype }, layout };
}

function checkShapes(table: Table, tokenizer: TextTokenizer, config: Record<string, unknown> | null, warnings: string[]) {
  // Every token id the tokenizer can emit must have a vector; a smaller table means the files
  // belong to different models (or the table was cut short).
  const addressable = table.mapping?.length ?? table.rowScale?.length ?? table.rows;
  if (addressable < tokenizer.vocabSize) {
    const what = table.mapping ? 'tensor "mapping" covers' : table.rowScale ? 'tensor "weights" covers' : 'the embedding table has';
    throw new ModelLoadError(
      'model.safetensors',
      `${what} ${addressable} tokens but tokenizer.json has ${tokenizer.vocabSize}: the table and the tokenizer do not belong together`,
    );
  }
  if (table.rowScale && !table.mapping && table.rowScale.length !== table.rows) {
    throw new ModelLoadError('model.safetensors', `tensor "weights" has ${table.rowScale.length} entries for a ${table.rows}-row table`);
  }
  const declared = config?.['hidden_dim'];
  if (typeof declared === 'number' && declared !== table.dims) {
    // model2vec's own test models say hidden_dim 64 over 2-column tables, and its readers use the
    // table: so do we, but say so.
    warnings.push(`config.json says hidden_dim ${declared}, but the table has ${table.dims} columns; using ${table.dims}.`);
  }
}

function normalizeSetting(
  config: Record<string, unknown> | null,
  modules: unknown,
  stConfig: Record<string, unknown> | null,
): boolean {
  if (typeof config?.['normalize'] === 'boolean') return config['normalize'] as boolean;
  if (typeof stConfig?.['normalize'] === 'boolean') return stConfig['normalize'] as boolean;
  if (Array.isArray(modules)) return modules.some((m) => typeof m?.type === 'string' && m.type.endsWith('.Normalize'));
  return true; // model2vec's default
}

/** The StaticEmbedding module's folder named by modules.json ('' for the root), or null when it names none. */
export function staticModuleFolder(modules: unknown): string | null {
  if (!Array.isArray(modules)) return null;
  const m = modules.find((x) => typeof x?.type === 'string' && /(^|\.)StaticEmbedding$/.test(x.type));
  if (!m) return null;
  return typeof m.path === 'string' ? m.path.replace(/^\.\/?/, '').replace(/\/$/, '') : '';
}

/**
 * The Matryoshka widths a model declares, largest first: a "matryoshka_dims" list in its config
 * (config.json or config_sentence_transformers.json), else the MatryoshkaLoss parameters that
 * sentence-transformers writes into the model card (README.md: `"matryoshka_dims": [1024, 512, …]`,
 * as in static-retrieval-mrl-en-v1's). Widths above the table's are dropped.
 */
export function matryoshkaDims(config: Record<string, unknown> | null, stConfig: Record<string, unknown> | null, readme: ArrayBuffer | null, dims: number): number[] | null {
  const clean = (list: unknown) => {
    if (!Array.isArray(list)) return null;
    const out = [...new Set(list.map(Number).filter((d) => Number.isInteger(d) && d > 0 && d <= dims))].sort((a, b) => b - a);
    return out.length ? out : null;
  };
  for (const c of [config, stConfig]) {
    const listed = clean(c?.['matryoshka_dims'] ?? c?.['matryoshka_dimensions']);
    if (listed) return listed;
  }
  if (!readme) return null;
  const m = /"matryoshka_dims"\s*:\s*\[([\d\s,]+)\]/.exec(new TextDecoder().decode(readme));
  return m ? clean(m[1].split(',').map((x) => x.trim())) : null;
}

function parseOptionalJson(bytes: ArrayBuffer | null, file: string): Record<string, unknown> | null {
  if (bytes === null) return null;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes));
    return value && typeof value === 'object' ? value : null;
  } catch (err) {
    throw new ModelLoadError(file, `is not valid JSON (${(err as Error).message.slice(0, 120)})`);
  }
}
