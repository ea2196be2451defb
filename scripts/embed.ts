/**
 * `npm run embed -- FILES… --model ID [--dtype D] [--precision float32,int8,binary] [--dims N]
 *                   --out corpus.parquet [--shard i/n] [--workers N] [--threads N] [--chunking sentence|paragraph|tokens]
 *                   [--max-tokens N] [--overlap N] [--field F] [--column C] [--part-rows N]`
 *
 * Embeds a corpus outside the browser with the page's own core — the same readers, chunking,
 * model code, precisions and int8 calibration — into one Parquet file (src/core/parquet).
 * FILES are files, folders (walked; files of other formats and unreadable ones are skipped,
 * counted and named), globs ("docs/**\/*.md", quoted or not) or `-` for JSONL on stdin.
 *
 * - A pool of worker_threads (default: one per core) chunks, hashes, embeds, quantizes and
 *   encodes Parquet parts; the main thread streams the files in, keeps the run's set of content
 *   hashes and writes the parts, so memory holds a few parts, not the corpus.
 * - Resumable: rows go to parts beside the output, written atomically, and joined into the
 *   output as they are written, by copying column chunks (scripts/embed/parts.ts says why).
 *   Re-running the same command skips every chunk whose content hash is already in the output
 *   or its parts, and finishes the file.
 * - `--shard i/n` keeps the chunks whose content hash falls in shard i (scripts/embed/shard.ts):
 *   n machines, no coordinator, and their files together are exactly the whole corpus.
 * - int8/uint8 calibration comes from the first 1,024 chunks of the corpus in input order (the
 *   page calibrates on its first 1,024 too), before sharding, so every shard uses the same ranges.
 * - Identical texts are embedded once (the page's store keeps one row per distinct text as well).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { checkChunking, chunkSection, defaultChunking, type ChunkMode, type ChunkOptions } from '../src/core/corpus/chunk.ts';
import { CorpusError, newReport } from '../src/core/corpus/decode.ts';
import { readSections } from '../src/core/corpus/read.ts';
import { describeError } from '../src/core/errors.ts';
import { makeMeta, type ParquetMeta } from '../src/core/parquet/index.ts';
import { encodeVectors } from '../src/core/parquet/rows.ts';
import { parquetNode } from '../src/core/parquet/node.ts';
import { calibrate, calibrationFromJson, precisionById, type Calibration, type PrecisionId } from '../src/core/precision/index.ts';
import { formatBytes } from '../src/core/util/format.ts';
import { expandInputs, openCorpusFile, type Skipped } from './embed/inputs.ts';
import { locateModel } from './embed/model.ts';
import { Output } from './embed/parts.ts';
import { HashSet128, hexBytes } from './embed/hash-set.ts';
import { parseShard } from './embed/shard.ts';
import type { InitMessage, Reply as WorkerReply, Request, Section } from './embed/worker.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: 'glove-100d' },
    dtype: { type: 'string' },
    precision: { type: 'string', default: 'float32' },
    dims: { type: 'string' },
    out: { type: 'string' },
    shard: { type: 'string' },
    workers: { type: 'string' },
    /** onnxruntime-node threads per worker (transformers); workers × threads should not pass the cores. */
    threads: { type: 'string', default: '1' },
    chunking: { type: 'string', default: defaultChunking.mode },
    'max-tokens': { type: 'string', default: String(defaultChunking.maxTokens) },
    overlap: { type: 'string', default: String(defaultChunking.overlap) },
    field: { type: 'string' },
    column: { type: 'string' },
    'part-rows': { type: 'string', default: '65536' },
    quiet: { type: 'boolean', default: false },
    /** Writes the run's figures (chunks/s, CPU time, peak memory) as JSON: scripts/embed/bench.ts reads them. */
    json: { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`embed: ${message}\n`);
  process.exit(2);
}

const CALIBRATION_CHUNKS = 1024;
/**
 * Text handed to a worker at a time: big enough to keep it busy, small enough to spread. A static
 * model takes 256 kB: per task there is a round trip for the hashes and a batch of embedding
 * calls, and 64 kB tasks (~550 chunks) gave 93–94k glove chunks per CPU-second against 97–100k
 * (1M chunks, load ~4–5, two runs each; 1 MB: no better, more memory). A transformer's chunks
 * are slow enough that 64 kB already spreads a small input over both workers.
 */
const taskChars = () => (info.kind === 'transformer' ? 64 : 256) * 1024;

if (!values.out) fail('--out FILE.parquet is required');
const precisions = [...new Set(values.precision!.split(',').map((p) => p.trim()).filter(Boolean))] as PrecisionId[];
for (const p of precisions) {
  try {
    precisionById(p);
  } catch (err) {
    fail(describeError(err));
  }
}
const needsCalibration = precisions.some((p) => precisionById(p).needsCalibration);
const chunking: ChunkOptions = { mode: values.chunking as ChunkMode, maxTokens: Number(values['max-tokens']), overlap: Number(values.overlap) };
if (!['sentence', 'paragraph', 'tokens'].includes(chunking.mode)) fail('--chunking must be sentence, paragraph or tokens');
const chunkProblem = checkChunking(chunking);
if (chunkProblem) fail(chunkProblem);
let shard = null;
try {
  shard = values.shard ? parseShard(values.shard) : null;
  locateModel(values.model!);
} catch (err) {
  fail(describeError(err));
}
const workerCount = values.workers ? Number(values.workers) : availableParallelism();
if (!Number.isInteger(workerCount) || workerCount < 1) fail('--workers must be a whole number ≥ 1');
const partRows = Number(values['part-rows']);
if (!Number.isInteger(partRows) || partRows < 1) fail('--part-rows must be a whole number ≥ 1');
const askedDims = values.dims ? Number(values.dims) : undefined;
if (askedDims !== undefined && (!Number.isInteger(askedDims) || askedDims < 1)) fail('--dims must be a whole number ≥ 1');

const args = positionals.length ? positionals : process.stdin.isTTY ? fail('name the files, folders or globs to embed (or pipe JSONL into stdin)') : ['-'];
const skipped: Skipped[] = [];
const inputs = await expandInputs(args, skipped);
const totalBytes = inputs.reduce((s, i) => s + i.size, 0);

const pq = parquetNode();
const output = new Output(pq, values.out!);
let resumed: Awaited<ReturnType<Output['resume']>>;
try {
  resumed = await output.resume();
} catch (err) {
  fail(`${describeError(err)} — move it away or pick another --out`);
}

// ---- the pool ----
const threadsPerWorker = Number(values.threads);
if (!Number.isInteger(threadsPerWorker) || threadsPerWorker < 1) fail('--threads must be a whole number ≥ 1');
const pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
let nextId = 0;
const workers = Array.from({ length: workerCount }, () => {
  const w = new Worker(new URL('./embed/worker-boot.mjs', import.meta.url));
  w.on('message', (r: WorkerReply) => {
    if (r.type === 'ready') return;
    if (r.type === 'hashes') {
      w.postMessage({ type: 'keep', id: r.id, keep: newRowsOf(r.chunks, r.hashes) } satisfies Request);
      return;
    }
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.type === 'error') p?.reject(new Error(r.message));
    else p?.resolve(r);
  });
  w.on('error', (err) => fail(`a worker failed: ${describeError(err)}`));
  return w;
});
const init: InitMessage = {
  type: 'init',
  model: values.model!,
  dtype: values.dtype,
  threads: threadsPerWorker,
  dims: askedDims ?? resumed.meta?.dims,
  precisions,
  chunking,
  shard,
  partRows: Math.max(1, Math.ceil(partRows / workerCount)),
};
const infos = await Promise.all(
  workers.map(
    (w) =>
      new Promise<Extract<WorkerReply, { type: 'ready' }>['info']>((resolve) => {
        const onReady = (r: WorkerReply) => {
          if (r.type === 'ready') {
            w.off('message', onReady);
            resolve(r.info);
          } else if (r.type === 'error') fail(r.message);
        };
        w.on('message', onReady);
        w.postMessage(init);
      }),
  ),
);
const info = infos[0];
const dims = askedDims ?? resumed.meta?.dims ?? info.dims;
if (dims > info.dims) fail(`--dims ${dims} is more than ${info.id}'s ${info.dims} dims`);
if (resumed.meta) {
  const m = resumed.meta;
  const wanted = ['float32', ...precisions.filter((p) => p !== 'float32')].join(', ');
  if (m.model !== info.id || m.dtype !== info.dtype || m.dims !== dims || m.precisions.join(', ') !== wanted) {
    fail(
      `${values.out} already holds ${m.model} ${m.dtype} ${m.dims}-d vectors (${m.precisions.join(', ')}); this run makes ${info.id} ${info.dtype} ${dims}-d (${wanted}) — move it away or pick another --out`,
    );
  }
  // Resume skips chunks by content hash: another chunking makes other chunks, and the file would
  // mix both under one label.
  const describe = (c: ChunkOptions | undefined) => (c ? `${c.mode}, ${c.maxTokens} tokens, overlap ${c.overlap}` : 'unknown');
  if (m.chunking && describe(m.chunking as ChunkOptions) !== describe(chunking)) {
    fail(`${values.out} was chunked ${describe(m.chunking as ChunkOptions)}; this run chunks ${describe(chunking)} — resume with the same --chunking, --max-tokens and --overlap, or pick another --out`);
  }
}

let rr = 0;
function call(msg: Request & { id: number }, worker = workers[rr++ % workers.length]): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    pending.set(msg.id, { resolve, reject });
    worker.postMessage(msg);
  });
}

let calibration: Calibration | undefined = calibrationFromJson(resumed.meta?.calibration);
let meta: ParquetMeta | null = null;

async function setCalibration(sample: string[]) {
  if (needsCalibration && !calibration) {
    if (sample.length === 0) fail('no text to calibrate int8 on: the inputs have no chunks');
    const r = (await call({ type: 'embed', id: nextId++, texts: sample }, workers[0])) as Extract<WorkerReply, { type: 'embedded' }>;
    calibration = calibrate(encodeVectors(r.vectors, info.dims, { dims, precisions: ['float32'] }).embedding, dims);
  }
  meta = makeMeta({ model: info.id, dtype: info.dtype, dims, modelDims: info.dims, precisions, calibration, chunking, createdBy: 'embedscope embed CLI' });
  for (const w of workers) w.postMessage({ type: 'setup', calibration: calibration ?? null, meta } satisfies Request);
}

// ---- rows → parts ----
// The workers chunk, hash, embed and encode parts; here only the run's set of content hashes
// (a text met twice, by one worker or both, is kept once: hash-set.ts) and the writing of finished parts.
const written = new HashSet128(resumed.hashes.length + (1 << 16));
// One conversion for all of them: a hex string each through its own arrays cost two allocations a hash.
const resumedKeys = hexBytes(resumed.hashes);
for (let i = 0; i < resumed.hashes.length; i++) written.add(resumedKeys, i * 4);
let newRows = 0;
let chunksSeen = 0;
let writing: Promise<unknown> = Promise.resolve();

/** A task's candidate hashes (16 bytes each) → which are new; null when all are. */
function newRowsOf(chunks: number, hashes: Int32Array): Uint8Array | null {
  chunksSeen += chunks;
  const n = hashes.length / 4;
  let keep: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (written.add(hashes, i * 4)) newRows++;
    else {
      keep ??= new Uint8Array(n).fill(1);
      keep[i] = 0;
    }
  }
  return keep;
}

function take(r: Extract<WorkerReply, { type: 'done' }>) {
  const part = r.part;
  if (!part) return;
  writing = writing.then(async () => {
    const name = await output.writePartBytes(part, meta!);
    if (!values.quiet) process.stderr.write(`${progressLine(true)}\nwrote ${name}\n`);
  });
}

// ---- progress ----
const started = performance.now();
const cpuAtStart = process.cpuUsage();
let bytesRead = 0;
/** Resident memory as the input is read: [fraction of input read, bytes], sampled with the progress line. */
const rssSamples: [number, number][] = [];
setInterval(() => rssSamples.push([totalBytes ? bytesRead / totalBytes : 0, process.memoryUsage().rss]), 1000).unref();
function progressLine(final = false): string {
  const s = (performance.now() - started) / 1000;
  const rate = chunksSeen / Math.max(s, 1e-3);
  const frac = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 0;
  const left = frac > 0.01 && !final ? ` · ~${Math.ceil((s * (1 - frac)) / frac)} s left` : '';
  const of = totalBytes ? ` of ${formatBytes(totalBytes)} (${(frac * 100).toFixed(0)} %)` : '';
  return `${chunksSeen.toLocaleString('en')} chunks · ${Math.round(rate).toLocaleString('en')} chunks/s · ${newRows.toLocaleString('en')} new rows · ${formatBytes(bytesRead)} read${of}${left}`;
}
const tty = process.stderr.isTTY;
const ticker = values.quiet
  ? null
  : setInterval(() => process.stderr.write(tty ? `\r${progressLine()}\x1b[K` : `${progressLine()}\n`), tty ? 250 : 5000);
ticker?.unref();

// ---- read → tasks ----
const inFlight = new Set<Promise<void>>();
const maxInFlight = workers.length * 2;
let preCalibration: { file: string; sections: Section[] }[] | null = needsCalibration && !calibration ? [] : null;
let sampleTexts: string[] = [];

async function dispatch(file: string, sections: Section[]) {
  if (preCalibration) {
    preCalibration.push({ file, sections });
    for (const s of sections) {
      for (const t of chunkSection(s.text, chunking)) if (sampleTexts.length < CALIBRATION_CHUNKS) sampleTexts.push(t);
    }
    if (sampleTexts.length < CALIBRATION_CHUNKS) return;
    await releaseCalibration();
    return;
  }
  while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  const p = call({ type: 'task', id: nextId++, file, sections }).then((r) => take(r as Extract<WorkerReply, { type: 'done' }>));
  const tracked = p.finally(() => inFlight.delete(tracked));
  inFlight.add(tracked);
  tracked.catch((err) => fail(describeError(err)));
}

async function releaseCalibration() {
  const held = preCalibration ?? [];
  preCalibration = null;
  await setCalibration(sampleTexts);
  sampleTexts = [];
  for (const t of held) await dispatch(t.file, t.sections);
}

if (!preCalibration) await setCalibration([]);
const fileErrors: Skipped[] = [];
let filesRead = 0;
for (const input of inputs) {
  let sections: Section[] = [];
  let chars = 0;
  let index = 0;
  try {
    const file = await openCorpusFile(input, (n) => (bytesRead += n));
    const report = newReport(file);
    for await (const s of readSections(file, { field: values.field, column: values.column }, report)) {
      sections.push({ text: s.text, where: s.where, index: index++ });
      chars += s.text.length;
      if (chars >= taskChars()) {
        await dispatch(input.name, sections);
        sections = [];
        chars = 0;
      }
    }
    if (report.skipped) fileErrors.push({ name: input.name, reason: `${report.skipped} records skipped (${report.problems.join('; ')})` });
    filesRead++;
  } catch (err) {
    skipped.push({ name: input.name, reason: err instanceof CorpusError ? err.problem : describeError(err) });
  }
  if (sections.length) await dispatch(input.name, sections);
}
if (preCalibration) await releaseCalibration();
await Promise.all(inFlight);
for (const w of workers) take((await call({ type: 'flush', id: nextId++ }, w)) as Extract<WorkerReply, { type: 'done' }>);
await writing;
if (ticker) clearInterval(ticker);
for (const w of workers) void w.terminate();

const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
const summary = progressLine(true);
if (!meta) fail('nothing was embedded');
const fin = await output.finalize(meta);
const finalizeSeconds = (performance.now() - started) / 1000 - seconds;
if (values.json) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    values.json,
    JSON.stringify({
      model: info.id,
      dtype: info.dtype,
      dims,
      precisions: ['float32', ...precisions.filter((p) => p !== 'float32')],
      workers: workers.length,
      inputBytes: totalBytes,
      chunks: chunksSeen,
      newRows,
      seconds,
      finalizeSeconds,
      chunksPerSecond: chunksSeen / seconds,
      // Text file to finished Parquet: the embedding phase plus finalize (joining the parts).
      chunksPerSecondWithFinalize: chunksSeen / (seconds + finalizeSeconds),
      // The whole process, start-up (loading the model in each worker) included.
      processSeconds: performance.now() / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      chunksPerCpuSecond: chunksSeen / ((cpu.user + cpu.system) / 1e6),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      rssSamples,
      outputBytes: fin.bytes,
    }),
  );
}
const lines = [
  `${tty && !values.quiet ? '\r\x1b[K' : ''}${summary}`,
  `${values.out}: ${formatBytes(fin.bytes)}, ${written.size.toLocaleString('en')} rows (${newRows.toLocaleString('en')} new${resumed.hashes.length ? `, ${resumed.hashes.length.toLocaleString('en')} from before` : ''}) · ${info.id} ${info.dtype} ${dims}-d · ${['float32', ...precisions.filter((p) => p !== 'float32')].join(', ')}${shard ? ` · shard ${shard.index}/${shard.count}` : ''}`,
  `${(chunksSeen / seconds).toFixed(0)} chunks/s over ${seconds.toFixed(2)} s with ${workers.length} workers (+ ${finalizeSeconds.toFixed(2)} s to finalize); ${filesRead} files read`,
];
if (skipped.length) lines.push(`skipped ${skipped.length} input${skipped.length > 1 ? 's' : ''}:`, ...skipped.map((s) => `  ${s.name}: ${s.reason}`));
for (const e of fileErrors) lines.push(`  ${e.name}: ${e.reason}`);
process.stderr.write(`${lines.join('\n')}\n`);
if (newRows === 0 && resumed.hashes.length === 0) process.exit(1);
