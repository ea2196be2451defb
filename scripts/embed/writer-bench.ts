/**
 * `npx tsx scripts/embed/writer-bench.ts [--copies N] [--repeats 5] [--json FILE]`
 *
 * Our Parquet writer (src/core/parquet/writer.ts) against parquet-wasm on the same parts: glove-100d
 * rows of Moby-Dick × N made by the CLI, cut into the parts a CLI worker encodes (32,768 rows),
 * encoded by each writer in turn (alternated, so all see the same load), as CPU ms per 100,000
 * rows (this thread's CPU: process.cpuUsage with no other thread working) — median and min–max
 * over the repeats — and the bytes each writes. Ours twice: as a CLI worker runs it (one
 * ParquetWriter for every part, rows added a task's 1,000 at a time) and as one call
 * (encodeParquet: fresh buffers, as a page export). One row each for float32 only and for
 * float32 + int8 + binary. Prints JSON rows; names the CPU and the load average.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ParquetWriter, decodeParquet, encodeParquet, encodeParquetWasm, makeMeta, type ChunkColumns } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { writeMobyDick } from '../../tests/unit/parquet-moby.ts';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '10' }, repeats: { type: 'string', default: '5' }, json: { type: 'string' } } });
const root = resolve(import.meta.dirname ?? '.', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'embedscope-writer-bench-'));
const pq = parquetNode();
const PART = 32_768;
const rows: Record<string, unknown>[] = [];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function cpuMs(f: () => unknown): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

try {
  const book = readFileSync(writeMobyDick(join(dir, 'moby.txt')), 'utf8');
  let text = '';
  for (let k = 0; k < Number(values.copies); k++) text += `${book.replace(/([.!?;:"])(\s)/g, ` ${k}$1$2`)}\n\n`;
  writeFileSync(join(dir, 'in.txt'), text);
  const out = join(dir, 'all.parquet');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/embed.ts'), join(dir, 'in.txt'), '--model', 'glove-100d', '--precision', 'float32,int8,binary', '--workers', '2', '--quiet', '--out', out], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`embed exited with ${r.status}`);
  const all = decodeParquet(pq, new Uint8Array(readFileSync(out)), out);
  const n = all.columns.ids.length;
  const dims = all.meta.dims;
  const cut = (c: ChunkColumns, a: number, b: number, codes: boolean): ChunkColumns => ({
    ids: c.ids.slice(a, b),
    texts: c.texts.slice(a, b),
    sources: c.sources.slice(a, b),
    hashes: c.hashes.slice(a, b),
    embedding: c.embedding.slice(a * dims, b * dims),
    codes: codes ? { int8: c.codes.int8!.slice(a * dims, b * dims), binary: c.codes.binary!.slice(a * 13, b * 13) } : {},
  });
  for (const codes of [false, true]) {
    const meta = makeMeta({ ...all.meta, precisions: codes ? ['float32', 'int8', 'binary'] : ['float32'] });
    const parts: ChunkColumns[] = [];
    for (let a = 0; a + PART <= n; a += PART) parts.push(cut(all.columns, a, a + PART, codes));
    const partRows = parts.length * PART;
    const batches = parts.map((p) => Array.from({ length: Math.ceil(PART / 1000) }, (_, k) => cut(p, k * 1000, Math.min(PART, (k + 1) * 1000), codes)));
    const writer = new ParquetWriter(meta);
    const encode = {
      wasm: (i: number) => encodeParquetWasm(pq, parts[i], meta),
      ours: (i: number) => {
        for (const b of batches[i]) writer.add(b);
        return writer.finish();
      },
      oursOneCall: (i: number) => encodeParquet(parts[i], meta),
    };
    type Which = keyof typeof encode;
    const times: Record<Which, number[]> = { wasm: [], ours: [], oursOneCall: [] };
    const bytes: Record<Which, number> = { wasm: 0, ours: 0, oursOneCall: 0 };
    // Two warm-up passes each (JIT, WASM memory growth), then the repeats, alternated.
    for (let w = 0; w < 2; w++) for (const which of Object.keys(encode) as Which[]) parts.forEach((_, i) => encode[which](i));
    for (let rep = 0; rep < Number(values.repeats); rep++) {
      const order: Which[] = rep % 2 ? ['oursOneCall', 'ours', 'wasm'] : ['wasm', 'ours', 'oursOneCall'];
      for (const which of order) {
        let b = 0;
        const ms = cpuMs(() => {
          for (let i = 0; i < parts.length; i++) b += encode[which](i).length;
        });
        times[which].push((ms * 100_000) / partRows);
        bytes[which] = b;
      }
    }
    const row = {
      metric: 'parquet_write_cpu_ms_per_100k_rows',
      cpu: cpus()[0]?.model,
      loadAverage: loadavg()[0],
      columns: codes ? 'float32 + int8 + binary' : 'float32',
      rows: partRows,
      partRows: PART,
      parquetWasm: { median: median(times.wasm), min: Math.min(...times.wasm), max: Math.max(...times.wasm), bytes: bytes.wasm },
      ours: { median: median(times.ours), min: Math.min(...times.ours), max: Math.max(...times.ours), bytes: bytes.ours },
      oursOneCall: { median: median(times.oursOneCall), min: Math.min(...times.oursOneCall), max: Math.max(...times.oursOneCall), bytes: bytes.oursOneCall },
      ratio: median(times.wasm) / median(times.ours),
      ratioOneCall: median(times.wasm) / median(times.oursOneCall),
    };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (values.json) writeFileSync(values.json, JSON.stringify({ rows }, null, 2));
