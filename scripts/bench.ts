/**
 * `npm run bench -- --suite static|all [--json FILE] [--repeats N] [--batch N] [--max-sentences N]`
 *
 * Serves the app with Vite, opens it in headless Chromium (Debian's, or CHROMIUM_PATH) and runs
 * the page's own benchmark code (src/bench/run.ts) through the same workers a person uses.
 * Prints a table and writes `{env, results: [{suite, metric, value, …}]}` as JSON.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import type { BenchReport, BenchRow } from '../src/bench/run.ts';

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'all' },
    json: { type: 'string' },
    repeats: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1024' },
    'max-sentences': { type: 'string' },
    'search-sizes': { type: 'string', default: '100000,1000000' },
    'search-dims': { type: 'string', default: '512' },
    ingest: { type: 'string', default: '100000' },
    webgpu: { type: 'boolean', default: false },
    sentences: { type: 'string', default: '256' },
  },
});
const suite = values.suite!;
if (!['static', 'search', 'transformer', 'all'].includes(suite)) {
  console.error(`Unknown suite "${suite}". Suites: static, transformer, search, all.`);
  process.exit(2);
}

const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false } });
await server.listen();
const address = server.httpServer!.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...(values.webgpu ? ['--enable-unsafe-webgpu'] : [])],
});
let report: BenchReport;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith('[bench]')) console.log(m.text());
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://localhost:${port}/`);
  await page.waitForFunction(() => 'embedscope' in globalThis);
  const opts = {
    suite,
    repeats: Number(values.repeats),
    batchSize: Number(values.batch),
    maxSentences: values['max-sentences'] ? Number(values['max-sentences']) : undefined,
    searchSizes: values['search-sizes']!.split(',').map(Number),
    searchDims: Number(values['search-dims']),
    ingest: Number(values.ingest),
    webgpu: values.webgpu,
    transformerSentences: Number(values.sentences),
  };
  // A string, not a function: tsx's compiled functions reference helpers that do not exist in the page.
  report = await page.evaluate(
    `embedscope.runBench({ ...${JSON.stringify(opts)}, onLog: (line) => console.log('[bench] ' + line) })`,
  );
  report.env = {
    ...report.env,
    browser: `Chromium ${browser.version()}`,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    commit: gitCommit(),
  };
} finally {
  await browser.close();
  await server.close();
}

if (suite === 'transformer' || suite === 'all') report.results.push(...(await nativeRows(report.results)));
printTable(report.results);
if (values.json) {
  await writeFile(values.json, JSON.stringify(report, null, 2));
  console.log(`\nwrote ${values.json}`);
}

/**
 * backend "native": onnxruntime-node on the same ONNX files, texts, batches and thread count as
 * the page's WASM rows, so the report can state the browser/native ratio.
 */
async function nativeRows(pageRows: BenchRow[]): Promise<BenchRow[]> {
  const { readFile } = await import('node:fs/promises');
  const { splitSentences } = await import('../src/core/corpus/sentences.ts');
  const { loadTransformerModel } = await import('../src/core/models/transformer.ts');
  const { folderFiles } = await import('../src/core/models/node-files.ts');
  const { catalog } = await import('../models/catalog.ts');
  const ort = await import('onnxruntime-node');
  const texts = splitSentences(await readFile('public/corpora/moby-dick.txt', 'utf8')).filter((t) => t.length < 400).slice(0, Number(values.sentences));
  const rows: BenchRow[] = [];
  for (const entry of catalog.filter((m) => m.kind === 'transformer')) {
    for (const dtype of ['fp32', 'fp16', 'int8'] as const) {
      const wasmRow = pageRows.find((r) => r.model === entry.id && r.dtype === dtype && r.backend === 'wasm' && r.metric === 'sentences_per_s');
      const threads = Number(wasmRow?.threads ?? 1) || 1;
      const model = await loadTransformerModel(folderFiles(join('public', entry.path)), {
        id: entry.id, dtype, ort: ort as never, backend: 'node', sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
      });
      for (const batch of [1, 8, 32]) {
        const pass = async () => {
          const t = performance.now();
          let tokens = 0;
          for (let i = 0; i < texts.length; i += batch) tokens += (await model.embed(texts.slice(i, i + batch))).tokens;
          return { ms: performance.now() - t, tokens };
        };
        await pass();
        const passes = [];
        for (let r = 0; r < Number(values.repeats); r++) passes.push(await pass());
        const rate = passes.map((p) => (texts.length / p.ms) * 1000).sort((a, b) => a - b);
        const base = { suite: 'transformer', model: entry.id, dtype, backend: 'native', threads, batch };
        rows.push({ ...base, metric: 'sentences_per_s', value: rate[rate.length >> 1], min: rate[0], max: rate[rate.length - 1], repeats: rate.length });
        const wasm = pageRows.find((r) => r.model === entry.id && r.dtype === dtype && r.backend === 'wasm' && r.batch === batch && r.metric === 'sentences_per_s');
        if (wasm) rows.push({ ...base, metric: 'wasm_to_native_ratio', value: wasm.value / rate[rate.length >> 1], repeats: 1 });
      }
      await model.dispose();
    }
  }
  return rows;
}

function gitCommit(): string | null {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

function printTable(rows: BenchRow[]) {
  const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  const variant = (r: BenchRow) => [r.model, r.dtype, r.backend, r.precision, r.kernel].filter((x) => x !== undefined && x !== '').join(' ');
  const size = (r: BenchRow) => (r.n !== undefined ? `n=${r.n}` : r.batch !== undefined ? `batch=${r.batch}` : '');
  const lines = rows.map((r) => [
    r.suite,
    variant(r),
    size(r),
    r.metric,
    fmt(r.value),
    typeof r.min === 'number' ? `${fmt(r.min)} – ${fmt(r.max as number)}` : '',
  ]);
  const head = ['suite', 'variant', 'size', 'metric', 'median', 'min – max'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`\n${row(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(row(l));
}
