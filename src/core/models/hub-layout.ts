/**
 * Which kind of model a hub repository holds, decided from its file list (and its small JSON
 * files) before any weights are downloaded. The layouts that load, in the order they are tried:
 *
 * - model2vec (minishlab/potion-base-8M): config.json whose model_type is "model2vec", with
 *   model.safetensors and tokenizer.json at the root (its modules.json points at "." as well);
 * - sentence-transformers StaticEmbedding (sentence-transformers/static-retrieval-mrl-en-v1,
 *   static-similarity-mrl-multilingual-v1): modules.json naming a StaticEmbedding module whose
 *   folder (0_StaticEmbedding/) holds model.safetensors and tokenizer.json; a Normalize module
 *   in modules.json turns L2 normalisation on;
 * - transformers.js ONNX (Xenova/…, onnx-community/…): tokenizer.json and onnx/model{suffix}.onnx,
 *   one file per dtype (dtypes.ts); the menu offers exactly the dtype files the repository has.
 *
 * model2vec repositories often carry an onnx/model.onnx too (inputs input_ids + offsets, for
 * transformers.js): the static table is what we load for them, so model2vec is tried first.
 */
import { ModelLoadError } from '../errors.ts';
import { availableDtypes, type TransformerDtype } from './dtypes.ts';
import { hubFiles, listHubFiles, type HubOptions } from './hub.ts';
import { staticModuleFolder } from './static.ts';
import type { HubFileEntry, ModelKindId } from './types.ts';

export type HubLayoutId = 'model2vec' | 'sentence-transformers' | 'transformers.js';

export interface HubChoice {
  /** 'as stored' for static tables (their dtype is the file's), else a transformers.js dtype. */
  dtype: TransformerDtype | 'as stored';
  /** The weights file. */
  file: string;
  /** Everything this choice downloads: weights + tokenizer + configs. */
  bytes: number;
}

export interface HubLayout {
  kind: ModelKindId;
  layout: HubLayoutId;
  /** Where the static table and its tokenizer are ('' = the repository's root). */
  folder: string;
  choices: HubChoice[];
}

export interface HubRepo extends HubLayout {
  modelId: string;
  revision: string;
  files: HubFileEntry[];
}

export const LAYOUTS_THAT_LOAD =
  'model2vec (config.json with model_type "model2vec", model.safetensors and tokenizer.json at the root), ' +
  'sentence-transformers StaticEmbedding (modules.json naming a StaticEmbedding module whose folder holds model.safetensors and tokenizer.json), ' +
  'or transformers.js ONNX (tokenizer.json and onnx/model.onnx, onnx/model_quantized.onnx, … one per dtype)';

const STATIC_EXTRAS = ['config.json', 'modules.json', 'config_sentence_transformers.json', 'README.md'];
const ONNX_EXTRAS = ['config.json', 'tokenizer.json', 'tokenizer_config.json', '1_Pooling/config.json'];

/**
 * Decides the layout from the file list and the parsed config.json / modules.json (null when
 * absent). Throws a ModelLoadError that says what is missing and which layouts load.
 */
export function decideLayout(modelId: string, files: HubFileEntry[], config: Record<string, unknown> | null, modules: unknown): HubLayout {
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const sum = (names: string[]) => names.reduce((s, n) => s + (sizes.get(n) ?? 0), 0);
  const has = (n: string) => sizes.has(n);
  const isModel2vec = config?.['model_type'] === 'model2vec' || (Array.isArray(config?.['architectures']) && (config['architectures'] as unknown[]).includes('StaticModel'));
  if (isModel2vec && has('model.safetensors') && has('tokenizer.json')) {
    return { kind: 'static', layout: 'model2vec', folder: '', choices: [{ dtype: 'as stored', file: 'model.safetensors', bytes: sum(['model.safetensors', 'tokenizer.json', ...STATIC_EXTRAS]) }] };
  }
  const folder = staticModuleFolder(modules);
  if (folder !== null) {
    const at = (n: string) => (folder ? `${folder}/${n}` : n);
    const missing = ['model.safetensors', 'tokenizer.json'].map(at).filter((n) => !has(n));
    if (missing.length) {
      throw new ModelLoadError(modelId, `modules.json names a StaticEmbedding module in "${folder || '.'}", but the repository has no ${missing.join(' or ')}. Layouts that load: ${LAYOUTS_THAT_LOAD}`);
    }
    return { kind: 'static', layout: 'sentence-transformers', folder, choices: [{ dtype: 'as stored', file: at('model.safetensors'), bytes: sum([at('model.safetensors'), at('tokenizer.json'), ...STATIC_EXTRAS]) }] };
  }
  const dtypes = availableDtypes(new Map(files.map((f) => [f.path, f.size])));
  if (dtypes.length && has('tokenizer.json')) {
    const extras = sum(ONNX_EXTRAS);
    return { kind: 'transformer', layout: 'transformers.js', folder: '', choices: dtypes.map((d) => ({ dtype: d.dtype, file: d.file, bytes: (d.bytes ?? 0) + extras })) };
  }
  // Nothing loads: name what the nearest layout lacks.
  const onnx = files.filter((f) => /^onnx\/.+\.onnx$/.test(f.path)).map((f) => f.path);
  let missing: string;
  if (isModel2vec) missing = `config.json says model2vec, but ${['model.safetensors', 'tokenizer.json'].filter((n) => !has(n)).join(' and ')} ${['model.safetensors', 'tokenizer.json'].filter((n) => !has(n)).length > 1 ? 'are' : 'is'} missing`;
  else if (dtypes.length) missing = 'it has ONNX weights but no tokenizer.json';
  else if (onnx.length) missing = `its ONNX files (${onnx.slice(0, 4).join(', ')}) are not named as transformers.js names a dtype (onnx/model{,_fp16,_quantized,_int8,_uint8,_q4,_q4f16,_bnb4}.onnx)`;
  else if (has('model.safetensors') && config) missing = `it has model.safetensors, but config.json's model_type is "${String(config['model_type'] ?? 'unset')}", not model2vec, and there is no onnx/ folder (a transformer needs an ONNX export, e.g. an onnx-community/ or Xenova/ copy)`;
  else if (has('model.safetensors')) missing = 'it has model.safetensors but no config.json (model2vec) or modules.json (sentence-transformers) saying what it is';
  else missing = `it has no model.safetensors and no onnx/ folder (files: ${files.slice(0, 8).map((f) => f.path).join(', ') || 'none'}${files.length > 8 ? ', …' : ''})`;
  throw new ModelLoadError(modelId, `is not a layout Embedscope loads: ${missing}. Layouts that load: ${LAYOUTS_THAT_LOAD}`);
}

function parseJson(bytes: ArrayBuffer | null, file: string): unknown {
  if (!bytes) return null;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ModelLoadError(file, 'is not valid JSON');
  }
}

/**
 * Reads a repository's file list and its small JSON files (config.json, modules.json: each
 * downloaded once and cached like any model file) and decides what it is and what it offers.
 */
export async function inspectHubRepo(modelId: string, opts: Omit<HubOptions, 'listing' | 'onProgress'> = {}): Promise<HubRepo> {
  const files = await listHubFiles(modelId, opts);
  const source = hubFiles(modelId, { ...opts, listing: files });
  const [config, modules] = await Promise.all([source.read('config.json').then((b) => parseJson(b, 'config.json')), source.read('modules.json').then((b) => parseJson(b, 'modules.json'))]);
  const layout = decideLayout(modelId, files, config && typeof config === 'object' ? (config as Record<string, unknown>) : null, modules);
  return { modelId, revision: opts.revision ?? 'main', files, ...layout };
}
