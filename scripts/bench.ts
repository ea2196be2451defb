/**
 * `npm run bench -- --suite static|all [--json FILE] [--repeats N] [--batch N] [--max-sentences N]`
 *
 * Serves the app with Vite, opens it in headless Chromium (Debian's, or CHROMIUM_PATH) and runs
 * the page's own benchmark code (src/bench/run.ts) through the same workers a person uses.
 * Prints a table and writes `{env, results: [{suite, metric, value, …}]}` as JSON.
 */
import { writeFile } from 'node:fs/promises';
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
  },
});
const suite = values.suite!;
if (!['static', 'search', 'all'].includes(suite)) {
  console.error(`Unknown suite "${suite}". Suites: static, search, all (transformer arrives with its issue).`);
  process.exit(2);
}

const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false } });
await server.listen();
const address = server.httpServer!.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
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

printTable(report.results);
if (values.json) {
  await writeFile(values.json, JSON.stringify(report, null, 2));
  console.log(`\nwrote ${values.json}`);
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
