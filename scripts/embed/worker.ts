/**
 * One CLI worker thread: sections in, Parquet-ready columns out. Chunking, hashing, the shard and
 * resume filters, the model and the precisions all run here, so every core works on the whole
 * path and the main thread only reads files and writes parts.
 */
import { parentPort } from 'node:worker_threads';
import { chunkSection, type ChunkOptions } from '../../src/core/corpus/chunk.ts';
import { encodeVectors } from '../../src/core/parquet/rows.ts';
import type { PrecisionId } from '../../src/core/precision/types.ts';
import { loadCliModel, type CliModel } from './model.ts';
import { inShard, type Shard } from './shard.ts';
import { contentHashSync } from './hash.ts';

export interface InitMessage {
  type: 'init';
  model: string;
  dtype?: string;
  threads: number;
  dims?: number;
  precisions: PrecisionId[];
  chunking: ChunkOptions;
  shard: Shard | null;
  /** Content hashes already in the output (a resumed run). */
  known: string[];
}
export interface Section {
  text: string;
  where?: string;
  index: number;
}
export type Request =
  | InitMessage
  | { type: 'calibration'; calibration: { min: Float32Array; max: Float32Array } | null }
  | { type: 'embed'; id: number; texts: string[] }
  | { type: 'task'; id: number; file: string; sections: Section[] };


let model: CliModel;
let init: InitMessage;
let known = new Set<string>();
let calibration: { min: Float32Array; max: Float32Array } | undefined;
/**
 * Hashes this worker has already returned: a repeat is not embedded again (the main thread keeps
 * the first). Grows with distinct chunks only — the same bound as the output's own hash set.
 */
const seen = new Set<string>();

async function embedAll(texts: string[]): Promise<Float32Array> {
  const dims = model.info.dims;
  const out = new Float32Array(texts.length * dims);
  if (model.info.kind !== 'transformer') {
    for (let at = 0; at < texts.length; at += model.batch) out.set(await model.embed(texts.slice(at, at + model.batch)), at * dims);
    return out;
  }
  // A transformer pads each call to its longest text: calls of similar lengths (the task's texts
  // sorted by length, vectors put back in order) pad far less than calls in reading order.
  const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
  for (let at = 0; at < order.length; at += model.batch) {
    const ids = order.slice(at, at + model.batch);
    const v = await model.embed(ids.map((i) => texts[i]));
    ids.forEach((i, k) => out.set(v.subarray(k * dims, (k + 1) * dims), i * dims));
  }
  return out;
}

async function task(file: string, sections: Section[]) {
  const ids: string[] = [];
  const texts: string[] = [];
  const sources: string[] = [];
  const hashes: string[] = [];
  let chunks = 0;
  for (const s of sections) {
    const source = s.where ? `${file} · ${s.where}` : file;
    const pieces = chunkSection(s.text, init.chunking);
    for (let k = 0; k < pieces.length; k++) {
      chunks++;
      const hash = contentHashSync(pieces[k]);
      if (known.has(hash) || seen.has(hash) || (init.shard && !inShard(hash, init.shard))) continue;
      seen.add(hash);
      ids.push(`${file}#${s.index}.${k}`);
      texts.push(pieces[k]);
      sources.push(source);
      hashes.push(hash);
    }
  }
  const dims = init.dims ?? model.info.dims;
  const { embedding, codes } = texts.length
    ? encodeVectors(await embedAll(texts), model.info.dims, { dims, precisions: init.precisions, calibration })
    : { embedding: new Float32Array(0), codes: {} };
  return { ids, texts, sources, hashes, embedding, codes, chunks };
}

parentPort!.on('message', async (msg: Request) => {
  try {
    if (msg.type === 'init') {
      init = msg;
      known = new Set(msg.known);
      model = await loadCliModel(msg.model, msg.dtype, msg.threads);
      parentPort!.postMessage({ type: 'ready', info: model.info });
    } else if (msg.type === 'calibration') {
      calibration = msg.calibration ?? undefined;
    } else if (msg.type === 'embed') {
      const vectors = await embedAll(msg.texts);
      parentPort!.postMessage({ type: 'embedded', id: msg.id, vectors }, [vectors.buffer as ArrayBuffer]);
    } else {
      const r = await task(msg.file, msg.sections);
      const buffers = [r.embedding.buffer, ...Object.values(r.codes).map((c) => c!.buffer)] as ArrayBuffer[];
      parentPort!.postMessage({ type: 'done', id: msg.id, ...r }, buffers);
    }
  } catch (err) {
    parentPort!.postMessage({ type: 'error', id: (msg as { id?: number }).id ?? -1, message: (err as Error)?.message ?? String(err) });
  }
});
