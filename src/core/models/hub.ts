/**
 * Models from the Hugging Face hub in the transformers.js layout (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model{,_fp16,_quantized}.onnx). Each file is downloaded once, with
 * progress, and kept in the Cache API; it is written to the cache only when complete, so a
 * download cut short is never used — the next load fetches it again.
 */
import { ModelLoadError } from '../errors.ts';
import type { ModelFiles } from './files.ts';

export const HUB_ENDPOINT = 'https://huggingface.co';
export const HUB_CACHE = 'embedscope-hub-v1';

export interface HubOptions {
  endpoint?: string;
  revision?: string;
  onProgress?: (p: { file: string; loaded: number; total: number | null }) => void;
  fetch?: typeof fetch;
}

export function validHubId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(id);
}

export function hubFiles(modelId: string, opts: HubOptions = {}): ModelFiles {
  if (!validHubId(modelId)) throw new ModelLoadError(modelId || 'model id', 'is not a Hugging Face model id (expected "owner/name", e.g. Xenova/all-MiniLM-L6-v2)');
  const base = `${opts.endpoint ?? HUB_ENDPOINT}/${modelId}/resolve/${opts.revision ?? 'main'}/`;
  const fetchImpl = opts.fetch ?? fetch;
  return {
    label: `${modelId} (Hugging Face)`,
    async read(name) {
      const url = base + name;
      const cache = typeof caches === 'undefined' ? null : await caches.open(HUB_CACHE);
      const hit = await cache?.match(url);
      if (hit) return hit.arrayBuffer();
      let res: Response;
      try {
        res = await fetchImpl(url);
      } catch (err) {
        throw new ModelLoadError(name, `could not be downloaded from ${base} (${(err as Error).message}); are you online?`);
      }
      if (res.status === 404) return null;
      if (res.status === 401 || res.status === 403) throw new ModelLoadError(name, `${modelId} is private or gated (HTTP ${res.status})`);
      if (!res.ok || !res.body) throw new ModelLoadError(name, `download failed: HTTP ${res.status}`);
      const total = Number(res.headers.get('content-length')) || null;
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        opts.onProgress?.({ file: name, loaded, total });
      }
      if (total !== null && loaded !== total) throw new ModelLoadError(name, `download was cut short (${loaded} of ${total} bytes); try again`);
      const bytes = new Uint8Array(loaded);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.byteLength;
      }
      // Only a complete file enters the cache.
      await cache?.put(url, new Response(bytes, { headers: { 'content-type': res.headers.get('content-type') ?? 'application/octet-stream' } }));
      return bytes.buffer;
    },
  };
}
