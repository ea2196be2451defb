/**
 * One CLI worker thread: sections in, Parquet parts out. Chunking, hashing, the shard and resume
 * filters, the model, the precisions and the Parquet encoding all run here, so every core works
 * on the whole path; the main thread reads files, answers which content hashes are new (one set
 * for the run, so two workers never both keep a text) and writes the parts the workers encode.
 *
 * Why the parts are encoded here: with the main thread encoding them (and receiving every row's
 * strings by structured clone), it used 1.7 CPU-s of a 2.8 s run on 204,220 glove chunks and the
 * workers sat idle 38–48 % of the time waiting for it (node --cpu-prof, load ~3).
 */
import { parentPort } from 'node:worker_threads';
import { chunkSection, type ChunkOptions } from '../../src/core/corpus/chunk.ts';
import { ParquetWriter, type ParquetMeta } from '../../src/core/parquet/index.ts';
import { encodeVectors } from '../../src/core/parquet/rows.ts';
import type { PrecisionId } from '../../src/core/precision/types.ts';
import { loadCliModel, type CliModel } from './model.ts';
import { inShard, type Shard } from './shard.ts';
import { contentHashSync } from './hash.ts';
import { hexBytes } from './hash-set.ts';

export interface InitMessage {
  type: 'init';
  model: string;
  dtype?: string;
  threads: number;
  dims?: number;
  precisions: PrecisionId[];
  chunking: ChunkOptions;
  shard: Shard | null;
  /** Rows a part holds before this worker encodes it. */
  partRows: number;
}
export interface Section {
  text: string;
  where?: string;
  index: number;
}
export type Request =
  | InitMessage
  | { type: 'setup'; calibration: { min: Float32Array; max: Float32Array } | null; meta: ParquetMeta }
  | { type: 'embed'; id: number; texts: string[] }
  | { type: 'task'; id: number; file: string; sections: Section[] }
  /** The main thread's answer to a task's hashes: which of them are new (1) — null: all. */
  | { type: 'keep'; id: number; keep: Uint8Array | null }
  /** Encode what is buffered as a part now (the end of the input). */
  | { type: 'flush'; id: number };

export type Reply =
  | { type: 'ready'; info: { id: string; dtype: string; dims: number; kind: string } }
  | { type: 'embedded'; id: number; vectors: Float32Array }
  /** A task's chunks counted and its candidate rows' hashes, 16 bytes each (hexBytes). */
  | { type: 'hashes'; id: number; chunks: number; hashes: Int32Array }
  /** A task or flush finished: rows kept, and a finished part when one filled up. */
  | { type: 'done'; id: number; rows: number; part: Uint8Array | null }
  | { type: 'error'; id: number; message: string };


let model: CliModel;
let init: InitMessage;
/**
 * Rows embedded and not yet in a part, encoded as they come (their strings then die young: with
 * a part's rows held as strings until it was encoded, scavenges took ~1 s of each worker's ~10 s
 * on 1M glove chunks, --trace-gc, load ~6).
 */
let part: ParquetWriter;
/** Tasks waiting for the main thread's keep answer. */
const waiting = new Map<number, (keep: Uint8Array | null) => void>();
let calibration: { min: Float32Array; max: Float32Array } | undefined;

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

async function task(id: number, file: string, sections: Section[]): Promise<number> {
  let ids: string[] = [];
  let texts: string[] = [];
  let sources: string[] = [];
  let hashes: string[] = [];
  let chunks = 0;
  for (const s of sections) {
    const source = s.where ? `${file} · ${s.where}` : file;
    const pieces = chunkSection(s.text, init.chunking);
    for (let k = 0; k < pieces.length; k++) {
      chunks++;
      const hash = contentHashSync(pieces[k]);
      // A repeat (in this task, met before by either worker, or already in a resumed output) is
      // left to the main thread's answer: its one table holds every hash written.
      if (init.shard && !inShard(hash, init.shard)) continue;
      ids.push(`${file}#${s.index}.${k}`);
      texts.push(pieces[k]);
      sources.push(source);
      hashes.push(hash);
    }
  }
  const answer = new Promise<Uint8Array | null>((resolve) => waiting.set(id, resolve));
  const bytes = hexBytes(hashes);
  parentPort!.postMessage({ type: 'hashes', id, chunks, hashes: bytes } satisfies Reply, [bytes.buffer as ArrayBuffer]);
  const keep = await answer;
  if (keep) {
    const rows = [...keep.keys()].filter((i) => keep[i]);
    const sel = <T>(xs: T[]) => rows.map((i) => xs[i]);
    [ids, texts, sources, hashes] = [sel(ids), sel(texts), sel(sources), sel(hashes)];
  }
  if (texts.length === 0) return 0;
  const dims = init.dims ?? model.info.dims;
  const { embedding, codes } = encodeVectors(await embedAll(texts), model.info.dims, { dims, precisions: init.precisions, calibration });
  part.add({ ids, texts, sources, hashes, embedding, codes });
  return texts.length;
}

/** What is buffered, as one Parquet part (null when nothing is). */
function takePart(): Uint8Array | null {
  return !part || part.rows === 0 ? null : part.finish();
}

function finish(id: number, rows: number, part: Uint8Array | null) {
  parentPort!.postMessage({ type: 'done', id, rows, part } satisfies Reply, part ? [part.buffer as ArrayBuffer] : []);
}

parentPort!.on('message', async (msg: Request) => {
  try {
    if (msg.type === 'init') {
      init = msg;
      model = await loadCliModel(msg.model, msg.dtype, msg.threads);
      parentPort!.postMessage({ type: 'ready', info: model.info } satisfies Reply);
    } else if (msg.type === 'setup') {
      calibration = msg.calibration ?? undefined;
      part = new ParquetWriter(msg.meta);
    } else if (msg.type === 'embed') {
      const vectors = await embedAll(msg.texts);
      parentPort!.postMessage({ type: 'embedded', id: msg.id, vectors } satisfies Reply, [vectors.buffer as ArrayBuffer]);
    } else if (msg.type === 'keep') {
      waiting.get(msg.id)?.(msg.keep);
      waiting.delete(msg.id);
    } else if (msg.type === 'flush') {
      finish(msg.id, 0, takePart());
    } else {
      const rows = await task(msg.id, msg.file, msg.sections);
      finish(msg.id, rows, part.rows >= init.partRows ? takePart() : null);
    }
  } catch (err) {
    parentPort!.postMessage({ type: 'error', id: (msg as { id?: number }).id ?? -1, message: (err as Error)?.message ?? String(err) });
  }
});
