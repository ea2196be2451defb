/**
 * use-lite-static: use-lite distilled into a word-level static model by src/core/distill
 * (scripts/distill.ts). Distilling takes minutes (the teacher pass over ~83k corpus sentences
 * dominates), more than `npm run models` may take (30 s), so the result is committed under
 * models/use-lite-static/ and this builder only copies it; `npm run distill` rebuilds it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the committed files change, so `npm run models` copies them again. */
export const USE_LITE_STATIC_BUILD_VERSION = 3;
export const USE_LITE_STATIC_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;
export const useLiteStaticSource = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'use-lite-static');

export async function buildUseLiteStatic(): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const f of USE_LITE_STATIC_FILES) out[f] = new Uint8Array(await readFile(join(useLiteStaticSource, f)));
  return out;
}
