/**
 * `npm run bench -- --suite static|transformer|search|all [--json FILE] [--repeats N] …`
 *
 * Matrix options (comma lists; each overrides the suite's default): --models, --dtypes,
 * --backends wasm,webgpu, --pools 1,2 (workers holding the model) × --threads 1,2 (WASM threads
 * per worker: every combination that fits the cores, 1×1 always), --batches 1,8,32,
 * --text-set sentences|paragraphs, --no-memory (no memory rows per configuration), --no-anchor
 * (skip transformers.js with its defaults on the same files, the vs_transformersjs rows),
 * --auto-budget-ms N (Auto's calibration budget in the auto_vs_best check; 3000 as in the page),
 * --ua-memory (also measureUserAgentSpecificMemory).
 *
 * Serves the app with Vite, opens it in headless Chromium (Debian's, or CHROMIUM_PATH) and runs
 * the page's own benchmark code (src/bench/run.ts) through the same workers a person uses.
 * Prints a table and writes `{env, results: [{suite, metric, value, …}]}` as JSON.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import type { BenchReport, BenchRow } from '../src/bench/run.ts';
import { PREFS_KEY } from '../src/core/choose/playground-prefs.ts';

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
    sentences: { type: 'string' },
    models: { type: 'string' },
    dtypes: { type: 'string' },
    backends: { type: 'string' },
    threads: { type: 'string' },
    batches: { type: 'string' },
    'text-set': { type: 'string' },
    pools: { type: 'string' },
    'ua-memory': { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
    'no-anchor': { type: 'boolean', default: false },
    'auto-budget-ms': { type: 'string' },
    'cached-loads': { type: 'string' },
  },
});
const suite = values.suite!;
if (!['static', 'search', 'transformer', 'all'].includes(suite)) {
  console.error(`Unknown suite "${suite}". Suites: static, transformer, search, all.`);
  process.exit(2);
}

// The machine may be shared: the load average beside the figures says how quiet it was.
const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false } });
await server.listen();
const address = server.httpServer!.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  // ForceEagerMeasureMemory: measureUserAgentSpecificMemory() answers at once instead of after the next GC (up to ~20 s).
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-blink-features=ForceEagerMeasureMemory', ...(values.webgpu || values.backends?.includes('webgpu') ? ['--enable-unsafe-webgpu'] : [])],
});
let report: BenchReport;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.text().startsWith('[bench]')) console.log(m.text());
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // A fresh profile is a first visit: the Playground would load its starter models and Auto would
  // calibrate use-lite beside the benchmark. Measured: glove-100d's static suite ran at 0.49× (batch
  // 1024) and its load took 2.3× as long with them. The benchmark page starts with nothing loaded.
  await page.addInitScript(([key, value]) => localStorage.setItem(key, value), [PREFS_KEY, JSON.stringify({ autoload: false })]);
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
    sentences: values.sentences ? Number(values.sentences) : undefined,
    models: list(values.models),
    dtypes: list(values.dtypes),
    backends: list(values.backends),
    threads: list(values.threads)?.map(Number),
    batches: list(values.batches)?.map(Number),
    textSet: values['text-set'],
    pools: list(values.pools)?.map(Number),
    memory: !values['no-memory'],
    anchor: !values['no-anchor'],
    autoBudgetMs: values['auto-budget-ms'] ? Number(values['auto-budget-ms']) : undefined,
    uaMemory: values['ua-memory'],
    cachedLoads: values['cached-loads'] ? Number(values['cached-loads']) : undefined,
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
    ...cpuSimd(),
    load_average_before: loadBefore,
    load_average_after: os.loadavg().map((x) => Number(x.toFixed(2))),
    commit: gitCommit(),
  };
} finally {
  await browser.close();
  await server.close();
}

if (suite === 'transformer' || suite === 'all') {
  report.results.push(...(await nativeRows(report.results)));
  const { nativeRows: nativeRatios } = await import('../src/bench/derived.ts');
  report.results.push(...nativeRatios(report.results));
  report.results.push(...(await paddingRows()));
}

/**
 * Padded positions at batch 32 on Moby-Dick's sentences and paragraphs (use-lite's tokenizer,
 * 128-token cap), by how many texts one call holds: 32 (a call is one batch: the benchmark, the
 * Playground), 256 (a Collections ingest call, sorted by length in the worker), 2048.
 */
async function paddingRows(): Promise<BenchRow[]> {
  const { readFile } = await import('node:fs/promises');
  const { splitSentences } = await import('../src/core/corpus/sentences.ts');
  const { splitParagraphs } = await import('../src/bench/matrix.ts');
  const { paddedFraction } = await import('../src/bench/padding.ts');
  const { loadTokenizer, parseTokenizerJson } = await import('../src/core/tokenizer.ts');
  const book = await readFile('public/corpora/moby-dick.txt', 'utf8');
  const bytes = await readFile('public/models/use-lite/tokenizer.json');
  const tokenizer = await loadTokenizer(parseTokenizerJson(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  const rows: BenchRow[] = [];
  const sets = { sentences: splitSentences(book).filter((t) => t.length < 400), paragraphs: splitParagraphs(book) };
  for (const [textSet, texts] of Object.entries(sets)) {
    const lengths = texts.map((t) => Math.min(128, tokenizer.encode(t.slice(0, 128 * 32)).length));
    for (const window of [32, 256, 2048]) {
      rows.push({ suite: 'transformer', metric: 'padded_fraction', model: 'use-lite', text_set: textSet, batch: 32, window, texts: texts.length, value: paddedFraction(lengths, 32, window), repeats: 1 });
    }
  }
  return rows;
}
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
  const { takeTexts } = await import('../src/bench/matrix.ts');
  const { summarize } = await import('../src/bench/stats.ts');
  const { catalog } = await import('../models/catalog.ts');
  const { loadOrt, nodeSessionOptions } = await import('../src/core/models/ort-runtime.ts');
  const { ort } = await loadOrt();
  const corpus = splitSentences(await readFile('public/corpora/moby-dick.txt', 'utf8')).filter((t) => t.length < 400);
  const rows: BenchRow[] = [];
  // One native load per model × dtype × thread count the page ran (one instance: onnxruntime-node's
  // own intra-op threads are the native way to use the cores); the ratio row pairs it with the page's
  // one-worker row of the same thread count.
  const wasmRows = pageRows.filter((r) => r.suite === 'transformer' && r.backend === 'wasm' && r.metric === 'sentences_per_s' && Number(r.pool ?? 1) === 1);
  const loads = new Map<string, BenchRow[]>();
  for (const r of wasmRows) {
    const key = `${r.model}|${r.dtype}|${r.threads}`;
    loads.set(key, [...(loads.get(key) ?? []), r]);
  }
  for (const group of loads.values()) {
    const { model: id, dtype, threads } = group[0] as unknown as { model: string; dtype: 'fp32' | 'fp16' | 'int8'; threads: number };
    const entry = catalog.find((m) => m.id === id);
    if (!entry) continue;
    const model = await loadTransformerModel(folderFiles(join('public', entry.path)), {
      id, dtype, ort, backend: 'node', sessionOptions: nodeSessionOptions(threads || 1),
    });
    for (const wasm of group) {
      const batch = Number(wasm.batch);
      const texts = takeTexts(corpus, Number(wasm.sentences) || 256);
      const pass = async () => {
        const t = performance.now();
        for (let i = 0; i < texts.length; i += batch) await model.embed(texts.slice(i, i + batch));
        return performance.now() - t;
      };
      await pass(); // warm-up, not counted
      const rate: number[] = [];
      for (let r = 0; r < Number(values.repeats); r++) rate.push((texts.length / (await pass())) * 1000);
      const base = { suite: 'transformer', model: id, dtype, backend: 'native', pool: 1, threads, batch, sentences: texts.length };
      const native = summarize(rate);
      rows.push({ ...base, metric: 'sentences_per_s', ...native });
      rows.push({ ...base, metric: 'wasm_to_native_ratio', value: wasm.value / native.value, repeats: 1 });
    }
    await model.dispose();
  }
  return rows;
}

/**
 * The CPU's SIMD features that decide native speed (onnxruntime-node's MLAS picks AVX2, AVX-512,
 * VNNI or AMX kernels; onnxruntime-web's WASM build has SIMD128 only, whatever the CPU), from
 * /proc/cpuinfo on Linux; elsewhere only the model name is known.
 */
function cpuSimd(): { simd?: string; simd_missing?: string } {
  let flags: Set<string>;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
  } catch {
    return {};
  }
  const named: [string, string][] = [['avx2', 'AVX2'], ['fma', 'FMA'], ['avx512f', 'AVX-512'], ['avx512_vnni', 'AVX512-VNNI'], ['avx_vnni', 'AVX-VNNI'], ['avx512_bf16', 'AVX512-BF16'], ['amx_tile', 'AMX'], ['amx_int8', 'AMX-INT8']];
  return {
    simd: named.filter(([f]) => flags.has(f)).map(([, n]) => n).join(' ') || 'none of AVX2/AVX-512/VNNI/AMX',
    simd_missing: named.filter(([f]) => !flags.has(f)).map(([, n]) => n).join(' '),
  };
}

function list(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
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
  const backend = (r: BenchRow) => (r.backend !== undefined && Number(r.threads) > 0 ? `${r.backend} ${r.pool ?? 1}×${r.threads}` : r.backend);
  const variant = (r: BenchRow) => [r.model, r.dtype, backend(r), r.source, r.precision, r.kernel].filter((x) => x !== undefined && x !== '').join(' ');
  const size = (r: BenchRow) =>
    r.n !== undefined ? `n=${r.n}` : r.batch !== undefined ? `batch=${r.batch}` : r.pool !== undefined ? `pool=${r.pool}` : r.load !== undefined ? String(r.load) : '';
  const lines = rows.map((r) => [
    r.suite,
    variant(r),
    size(r),
    r.metric,
    fmt(r.value),
    typeof r.min === 'number' ? `${fmt(r.min)} – ${fmt(r.max as number)}` : '',
    typeof r.p95 === 'number' ? fmt(r.p95) : '',
  ]);
  const head = ['suite', 'variant', 'size', 'metric', 'median', 'min – max', 'p95'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`\n${row(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(row(l));
}
