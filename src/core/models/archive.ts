/**
 * A model made in the page, taken away: its weights and tokenizer files in the transformers.js
 * layout (config.json, tokenizer.json, tokenizer_config.json, onnx/model{suffix}.onnx), zipped
 * under a folder named after the model — unzip it into transformers.js's localModelPath, or hand
 * the .onnx to onnxruntime, as is.
 *
 * One .zip rather than separate files: a browser asks once per download, and 4–5 prompts for
 * one model is worse than an archive. fflate (MIT, no dependencies, ~8 kB for zipSync) writes it;
 * .onnx weights are stored (level 0: quantized weights barely compress, and storing keeps a
 * 28 MB model to a CRC pass), JSON is deflated.
 */
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { ModelLoadError } from '../errors.ts';
import { dtypeEntry, readDtypeFile, type TransformerDtype } from './dtypes.ts';
import type { ModelFiles } from './files.ts';

/** Files beside the weights that transformers.js or our loader read, when the model has them. */
const COMPANIONS = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', '1_Pooling/config.json', 'modules.json'];

/** A model's id as a folder (and zip) name. */
export const modelFolderName = (id: string) => id.replace(/[^\w.-]+/g, '_');

/**
 * One model folder, zipped: text files (and JSON) deflated, weights stored — they barely compress,
 * and storing keeps a large file to a CRC pass. `weights` names the files to store.
 */
export function zipModelFolder(folder: string, files: Record<string, Uint8Array | string>, weights: string[]): Uint8Array {
  const zip: Zippable = {};
  for (const [name, data] of Object.entries(files)) {
    zip[`${folder}/${name}`] = [typeof data === 'string' ? strToU8(data) : data, { level: weights.includes(name) ? 0 : 6 }];
  }
  return zipSync(zip);
}

export async function transformersJsArchive(id: string, files: ModelFiles, dtype: TransformerDtype): Promise<{ name: string; bytes: Uint8Array; entries: string[] }> {
  const folder = modelFolderName(id);
  const weights = await readDtypeFile(files, dtype);
  if (!weights) throw new ModelLoadError(dtypeEntry(dtype).file, `is missing from ${files.label}: nothing to download`);
  const out: Record<string, Uint8Array | string> = {};
  for (const name of COMPANIONS) {
    const bytes = await files.read(name);
    if (bytes) out[name] = new Uint8Array(bytes);
  }
  const entries = Object.keys(out);
  if (!entries.includes('tokenizer.json')) throw new ModelLoadError('tokenizer.json', `is missing from ${files.label}: the download would not load without it`);
  // Under the dtype's own transformers.js name, whatever file it was read from.
  const file = dtypeEntry(dtype).file;
  out[file] = new Uint8Array(weights.bytes);
  entries.push(file);
  out['README.md'] = `# ${id}\n\nMade in Embedscope: ${dtype} weights (${dtypeEntry(dtype).cost})\n\ntransformers.js: \`pipeline('feature-extraction', '${folder}', { dtype: '${dtype}' })\` with this folder under \`env.localModelPath\`.\n`;
  return { name: `${folder}-${dtype}.zip`, bytes: zipModelFolder(folder, out, [file]), entries };
}

/** The files of such an archive by their path inside the model folder (for tests and re-loading). */
export function readArchive(bytes: Uint8Array): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [path, data] of Object.entries(unzipSync(bytes))) {
    const inside = path.split('/').slice(1).join('/');
    if (inside) out[inside] = data;
  }
  return out;
}
