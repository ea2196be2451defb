/**
 * `npx tsx scripts/embed/bench.ts [--glove-copies N] [--use-lite-chars N] [--memory-gb G] [--skip glove,use-lite,memory] [--json FILE]`
 *
 * The embed CLI's figures as JSON rows (the house rule: speed and memory targets live in bench
 * rows, not in timed tests). Inputs are generated in a temporary folder and deleted after:
 * - glove-100d, 2 workers: Moby-Dick × N with each copy's sentences made distinct (a copy number
 *   before each sentence end), so every chunk is embedded, not skipped as a repeat;
 * - use-lite int8, 2 workers × 1 onnxruntime-node thread, over the book's first sentences;
 * - memory: a G-GB text file of Moby-Dick repeated, streamed through the CLI; peak RSS and RSS
 *   as the input is read (flat = streamed, not read whole).
 * Each row names the CPU and the load average: the machine is shared.
 *
 * Rates in a row: chunksPerSecond (the embedding phase: workers ready → last part written; this
 * is the figure the progress line shows), chunksPerSecondWithFinalize (to the finished Parquet
 * file, parts joined), processSeconds (the whole process, start-up included), chunksPerCpuSecond
 * (over the embedding phase, every thread's CPU: what the run costs, whatever the load).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeMobyDick } from '../../tests/unit/parquet-moby.ts';

const { values } = parseArgs({
  options: {
    'glove-copies': { type: 'string', default: '10' },
    /** Runs of each glove configuration (the median is what to quote). */
    repeats: { type: 'string', default: '1' },
    'use-lite-chars': { type: 'string', default: '120000' },
    'memory-gb': { type: 'string', default: '1' },
    skip: { type: 'string', default: '' },
    json: { type: 'string' },
  },
});
const skip = new Set(values.skip!.split(','));
const root = resolve(import.meta.dirname ?? '.', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'embedscope-embed-bench-'));
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const rows: Record<string, unknown>[] = [];

function run(args: string[]): Promise<Record<string, unknown> & { chunksPerSecond: number }> {
  const stats = join(dir, `stats-${rows.length}-${Date.now()}.json`);
  return new Promise((resolvePromise, reject) => {
    const load0 = loadavg()[0];
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/embed.ts'), ...args, '--quiet', '--json', stats], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`embed exited with ${code}`));
      resolvePromise({ ...JSON.parse(readFileSync(stats, 'utf8')), loadAverage: [load0, loadavg()[0]] });
    });
  });
}

function row(metric: string, r: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const out = { metric, cpu, ...extra, ...r };
  delete (out as Record<string, unknown>).rssSamples;
  rows.push(out);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

try {
  const moby = writeMobyDick(join(dir, 'moby-dick.txt'));
  const book = readFileSync(moby, 'utf8');
  if (!skip.has('glove')) {
    const copies = Number(values['glove-copies']);
    const input = join(dir, 'distinct.txt');
    const out = createWriteStream(input);
    for (let k = 0; k < copies; k++) out.write(`${book.replace(/([.!?;:"])(\s)/g, ` ${k}$1$2`)}\n\n`);
    await new Promise((r) => out.end(r));
    for (let rep = 0; rep < Number(values.repeats); rep++) {
      for (const precision of ['float32', 'float32,int8,binary']) {
        const out = join(dir, `glove-${precision}.parquet`);
        rmSync(out, { force: true });
        const r = await run([input, '--model', 'glove-100d', '--precision', precision, '--workers', '2', '--out', out]);
        row('cli_chunks_per_s', r, { input: `Moby-Dick × ${copies}, distinct sentences`, repeat: rep });
      }
    }
  }
  if (!skip.has('use-lite')) {
    const input = join(dir, 'use-lite.txt');
    writeFileSync(input, book.slice(0, Number(values['use-lite-chars'])));
    // Two workers × one onnxruntime-node thread, and one worker × two threads (the page's best
    // WASM configuration is one worker × two threads).
    for (const [dtype, workers, threads] of [['int8', 2, 1], ['int8', 1, 2], ['fp32', 2, 1]] as const) {
      const r = await run([input, '--model', 'use-lite', '--dtype', dtype, '--precision', 'float32,int8', '--workers', String(workers), '--threads', String(threads), '--out', join(dir, `use-lite-${dtype}-${workers}x${threads}.parquet`)]);
      row('cli_chunks_per_s', r, { input: `Moby-Dick, first ${values['use-lite-chars']} characters`, threadsPerWorker: threads });
    }
  }
  if (!skip.has('memory')) {
    const target = Number(values['memory-gb']) * 1024 ** 3;
    const input = join(dir, 'big.txt');
    const out = createWriteStream(input);
    let written = 0;
    while (written < target) {
      if (!out.write(book)) await new Promise<void>((r) => out.once('drain', () => r()));
      written += Buffer.byteLength(book);
    }
    await new Promise((r) => out.end(r));
    const r = await run([input, '--model', 'glove-100d', '--precision', 'float32', '--workers', '2', '--out', join(dir, 'big.parquet')]);
    const samples = (r.rssSamples as [number, number][]) ?? [];
    const at = (f: number) => samples.find(([x]) => x >= f)?.[1] ?? null;
    row('cli_max_rss_bytes', { ...r, value: r.maxRssBytes }, {
      input: `Moby-Dick repeated to ${(written / 1024 ** 3).toFixed(2)} GB`,
      rssAt10: at(0.1),
      rssAt50: at(0.5),
      rssAt90: at(0.9),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (values.json) writeFileSync(values.json, JSON.stringify({ rows }, null, 2));
