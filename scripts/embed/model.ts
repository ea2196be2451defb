/**
 * Loads a model for the CLI exactly as scripts/eval.ts does: a catalog id (served from
 * public/models/) or a folder, static models in JS, transformers in onnxruntime-node (the page
 * runs the same ONNX file in onnxruntime-web).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { catalog } from '../../models/catalog.ts';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { DTYPE_FILES, loadTransformerModel, type OrtModule, type TransformerDtype } from '../../src/core/models/transformer.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';

export interface CliModel {
  info: { id: string; dtype: string; dims: number; kind: string };
  embed(texts: string[]): Promise<Float32Array>;
  /** Texts per call: static models take many at once, transformers pad to the longest. */
  batch: number;
}

const root = resolve(import.meta.dirname ?? '.', '..', '..');

/** Where a model is and which kind, or why it cannot be used (said before any worker starts). */
export function locateModel(id: string): { dir: string; transformer: boolean } {
  const entry = catalog.find((m) => m.id === id);
  const dir = entry ? join(root, 'public', entry.path) : resolve(id);
  const transformer = entry ? entry.kind === 'transformer' : existsSync(join(dir, 'onnx'));
  if (!existsSync(join(dir, transformer ? 'config.json' : 'model.safetensors'))) {
    throw new Error(
      entry
        ? `${entry.id} is not built yet: run \`npm run models\``
        : `${id} is neither a catalog model (${catalog.map((m) => m.id).join(', ')}) nor a folder with a static or transformers.js model`,
    );
  }
  return { dir, transformer };
}

export async function loadCliModel(id: string, dtype: string | undefined, threads: number): Promise<CliModel> {
  const { dir, transformer } = locateModel(id);
  if (transformer) {
    const d = (dtype ?? 'fp32') as TransformerDtype;
    if (!(d in DTYPE_FILES)) throw new Error(`--dtype must be one of ${Object.keys(DTYPE_FILES).join(', ')}`);
    const ort = (await import('onnxruntime-node')) as unknown as OrtModule;
    const model = await loadTransformerModel(folderFiles(dir), { id, dtype: d, ort, backend: 'node', sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
    return { info: { id, dtype: model.info.dtype, dims: model.info.dims, kind: 'transformer' }, batch: 32, embed: async (texts) => (await model.embed(texts)).vectors };
  }
  const model = await loadStaticModel(folderFiles(dir), { id });
  if (dtype && dtype !== model.info.dtype) throw new Error(`${id} ships ${model.info.dtype} weights only (asked for --dtype ${dtype})`);
  return { info: { id, dtype: model.info.dtype, dims: model.info.dims, kind: 'static' }, batch: 2048, embed: async (texts) => model.embed(texts).vectors };
}
