/**
 * `npm run soak -- [--minutes N] [--json FILE] [--webgpu] [--dump-dir DIR]`
 *
 * A day of use in N minutes (default 10): load → embed → unload every catalogue model × dtype ×
 * backend × pool once, then 30 cycles in a row of each cell that fits the time (the static model
 * always; each cell's memory slope is fitted over its own cycles), a big ingest into one
 * collection keeping float32 + int8 + binary with searches interleaved and four faults injected
 * (full disk, reload, a worker crash inside a batch, model unloaded under a queued search), export
 * + re-import, then the last 100 searches beside a fresh page's. Every cell × 30 would take
 * 30–40 minutes on a 2-core machine (5–9 s a Transformer cycle): `--minutes 60`. Checks memory
 * growth, chunks lost or duplicated, search slowdown and workers left after unloads against the
 * targets of issue #15 (src/bench/soak-plan.ts), prints a table and writes
 * `{env, plan, results: [{suite: "soak", metric, value, …}]}` as JSON. Exit status 1 when a target
 * is missed. `--dump-dir` keeps each phase point's raw memory-infra dump and the renderers' smaps
 * (where the memory is, by allocator and mapping). Serves the app with Vite and drives it in
 * headless Chromium (Debian's, or CHROMIUM_PATH) over its DevTools protocol, nothing else attached.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { execSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { CdpBrowser } from '../src/bench/cdp.ts';
import { openSoakPage, runSoak } from '../src/bench/soak.ts';
import type { SoakRow } from '../src/bench/soak-plan.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    json: { type: 'string', default: 'test-results/soak.json' },
    webgpu: { type: 'boolean', default: false },
    /** A folder for each memory point's raw allocator dump (memory-infra) of every process. */
    'dump-dir': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) {
  console.error(`--minutes must be a positive number, not "${values.minutes}"`);
  process.exit(2);
}

const loadBefore = os.loadavg().map((x) => Number(x.toFixed(2)));
// No hot reload: a source file saved during a run would reload the page under the soak (it did once).
const server = await createServer({ logLevel: 'warn', server: { port: 0, strictPort: false, hmr: false } });
await server.listen();
const address = server.httpServer!.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await CdpBrowser.launch(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--js-flags=--expose-gc', ...(values.webgpu ? ['--enable-unsafe-webgpu'] : [])]);
const browserVersion = await browser.version();
let report: Awaited<ReturnType<typeof runSoak>>;
try {
  const page = await openSoakPage(browser, `http://localhost:${port}/`);
  report = await runSoak(page, { minutes, webgpu: values.webgpu, onLog: (line) => console.log(`[soak] ${line}`), onDump: dumpTo(values['dump-dir']) });
} finally {
  await browser.close();
  await server.close();
}

const env = {
  browser: browserVersion,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  load_average_before: loadBefore,
  load_average_after: os.loadavg().map((x) => Number(x.toFixed(2))),
  commit: (() => {
    try {
      return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return null;
    }
  })(),
};
printTable(report.rows);
console.log(`\n${report.pass ? 'PASS' : 'FAIL'}: ${Math.round(report.elapsedMs / 1000)} s, load average ${env.load_average_before.join(' ')} → ${env.load_average_after.join(' ')}`);
await writeFile(values.json!, JSON.stringify({ env, plan: report.plan, pass: report.pass, results: report.rows }, null, 2));
console.log(`wrote ${values.json}`);
process.exit(report.pass ? 0 : 1);

function dumpTo(dir: string | undefined) {
  if (!dir) return undefined;
  return (point: string, dumps: unknown, rendererPids: number[], smaps: unknown) => {
    void mkdir(dir, { recursive: true }).then(() => writeFile(`${dir}/${point}.json`, JSON.stringify({ rendererPids, smaps, dumps }, null, 1)));
  };
}

function printTable(rows: SoakRow[]) {
  const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 1000) / 1000));
  const detail = (r: SoakRow) =>
    Object.entries(r)
      .filter(([k]) => !['suite', 'metric', 'value', 'target', 'pass'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
      .slice(0, 110);
  const lines = rows.map((r) => [r.metric, fmt(r.value), r.target === undefined ? '' : String(r.target), r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL', detail(r)]);
  const head = ['metric', 'value', 'target', '', 'detail'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtRow = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`\n${fmtRow(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(fmtRow(l));
}
