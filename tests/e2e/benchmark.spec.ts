/**
 * The Benchmark view in real Chromium: short runs (a few sentences, one repeat) through the
 * real workers and models. Timings here mean nothing (shared machine, software WebGPU); what is
 * checked is that every row is well-formed, that failed or cancelled cells say why while the
 * others still run, and that an exported run imports again.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';

interface Row { suite: string; metric: string; value: number; [k: string]: unknown }
interface Report { env: Record<string, unknown>; results: Row[]; cells: { id: string; status: string; reason?: string; notes?: string[] }[] }

/** Sets every checkbox of a group: exactly the `on` ones checked. */
async function only(page: Page, prefix: string, all: (string | number)[], on: (string | number)[]) {
  for (const v of all) await page.getByTestId(`${prefix}-${v}`).setChecked(on.includes(v));
}

async function choose(page: Page, c: { models: string[]; dtypes?: string[]; backends?: string[]; batches?: number[]; pools?: number[]; threads?: number[]; memory?: boolean; sentences?: number }) {
  await only(page, 'bench-model', ['glove-100d', 'use-lite'], c.models);
  await only(page, 'bench-dtype', ['fp32', 'fp16', 'int8'], c.dtypes ?? ['int8']);
  await only(page, 'bench-backend', ['wasm', 'webgpu'], c.backends ?? ['wasm']);
  await only(page, 'bench-batch', [1, 8, 32, 128], c.batches ?? [1, 8]);
  await only(page, 'bench-pool', [1, 2, 4], c.pools ?? [1]);
  await only(page, 'bench-threads', [1, 2], c.threads ?? [1]);
  await page.getByTestId('bench-memory').setChecked(c.memory ?? true);
  await page.getByTestId('bench-repeats').fill('1');
  await page.getByTestId('bench-sentences').fill(String(c.sentences ?? 8));
}

async function runAndWait(page: Page, timeout = 120_000) {
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-progress')).toBeVisible();
  await expect(page.getByTestId('bench-run')).toBeEnabled({ timeout });
}

async function exported(page: Page, testid: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  return { name: download.suggestedFilename(), text: await readFile((await download.path())!, 'utf8') };
}

function expectWellFormed(rows: Row[], cell: { model: string; dtype?: string; backend: string }, batches: number[], opts: { cachedLoad?: boolean } = {}) {
  const mine = rows.filter((r) => r.model === cell.model && r.backend === cell.backend && (cell.dtype === undefined || r.dtype === cell.dtype));
  for (const r of mine) {
    expect(typeof r.suite).toBe('string');
    expect(Number.isFinite(r.value), `${r.metric} is a finite number`).toBe(true);
    // Memory may be 0 where a source does not apply (a static model has no WASM memory); timings never.
    if (r.suite === 'memory') expect(r.value).toBeGreaterThanOrEqual(0);
    else expect(r.value).toBeGreaterThan(0);
  }
  for (const batch of batches) {
    const at = (metric: string) => mine.find((r) => r.metric === metric && r.batch === batch);
    const rate = at('sentences_per_s')!;
    expect(rate, `sentences_per_s at batch ${batch}`).toBeTruthy();
    expect(rate.min as number).toBeLessThanOrEqual(rate.value);
    expect(rate.max as number).toBeGreaterThanOrEqual(rate.value);
    expect(at('tokens_per_s')!.value).toBeGreaterThan(rate.value); // every sentence has at least one token
    const latency = at('latency_ms')!;
    expect(latency.p95 as number).toBeGreaterThanOrEqual(latency.value);
    expect(latency.repeats).toBe(Math.ceil(Number(rate.sentences) / batch)); // one timed call per batch, warm-up excluded
  }
  expect(mine.find((r) => r.metric === 'load_ms' && r.load === 'first')).toBeTruthy();
  if (opts.cachedLoad !== false) expect(mine.find((r) => r.metric === 'load_ms' && r.load === 'cached')).toBeTruthy();
  expect(mine.find((r) => r.metric === 'model_bytes')!.value).toBeGreaterThan(1e6);
}

test.beforeEach(async ({ page }) => {
  await page.goto('/#benchmark');
});

test('a short WASM run over workers × threads gives well-formed rows per configuration, charts and memory rows; its markdown export imports again', async ({ page }) => {
  test.setTimeout(300_000);
  await expect(page.getByTestId('environment-card')).toBeVisible();
  await expect(page.getByTestId('env-isolated')).toContainText('yes');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  test.skip(cores < 2, 'pool × threads needs two cores');
  await choose(page, { models: ['glove-100d', 'use-lite'], dtypes: ['int8'], pools: [1, 2], threads: [1, 2] });
  await runAndWait(page, 280_000);

  // glove: 1 and 2 workers; use-lite: 1×1, 1×2, 2×1 run, 2×2 runs only where 4 cores fit it.
  const configs = cores >= 4 ? ['1×1', '1×2', '2×1', '2×2'] : ['1×1', '1×2', '2×1'];
  await expect(page.locator('[data-testid=bench-cell][data-status=done]')).toHaveCount(2 + configs.length);
  if (cores < 4) {
    const skipped = page.locator('[data-testid=bench-cell][data-status=skipped]');
    await expect(skipped).toHaveCount(1);
    await expect(skipped).toHaveAttribute('data-cell', 'use-lite int8 wasm 2×2');
    await expect(skipped).toContainText(`needs 4 cores; this device has ${cores}`);
  }
  await expect(page.getByTestId('chart-throughput')).toHaveAttribute('data-series', String(2 + configs.length));
  await expect(page.getByTestId('chart-throughput')).toHaveAttribute('data-points', String(2 * (2 + configs.length)));
  await expect(page.getByTestId('chart-latency')).toBeVisible();
  await expect(page.getByTestId('chart-memory')).toBeVisible();
  await expect(page.getByTestId('memory-sources')).toContainText('misses');

  const json = await exported(page, 'bench-export-json');
  expect(json.name).toMatch(/^embedscope-bench-.*\.json$/);
  const report = JSON.parse(json.text) as Report;
  expect(report.env.crossOriginIsolated).toBe(true);
  expect(report.env.cores).toBeGreaterThan(0);
  expect(report.env.webgpu).toBeTruthy();
  expectWellFormed(report.results, { model: 'glove-100d', backend: 'js' }, [1, 8]);
  for (const config of configs) {
    const [pool, threads] = config.split('×').map(Number);
    const mine = report.results.filter((r) => r.pool === pool && r.threads === threads);
    expectWellFormed(mine, { model: 'use-lite', dtype: 'int8', backend: 'wasm' }, [1, 8]);
    // The throughput row carries its configuration, as the row shape asks.
    const rate = mine.find((r) => r.metric === 'sentences_per_s' && r.batch === 8)!;
    expect(rate).toMatchObject({ suite: 'transformer', model: 'use-lite', dtype: 'int8', backend: 'wasm', pool, threads, batch: 8 });
  }
  expectWellFormed(report.results.filter((r) => r.pool === 2), { model: 'glove-100d', backend: 'js' }, [1, 8]);

  // Memory: the file once, weights per pool size (twice the instances, twice the weights), the index per precision.
  const mem = report.results.filter((r) => r.metric === 'memory_bytes' && r.model === 'use-lite');
  const weights = (pool: number) => mem.find((r) => r.source === 'model_weights' && r.pool === pool)!.value;
  expect(mem.find((r) => r.source === 'model_file')!.value).toBeGreaterThan(1e6);
  expect(weights(2)).toBe(2 * weights(1));
  // onnxruntime's WASM heap holds the weights: at least the weights per instance.
  const wasm = (pool: number) => mem.find((r) => r.source === 'wasm_memory' && r.pool === pool)!.value;
  expect(wasm(1)).toBeGreaterThanOrEqual(weights(1));
  expect(wasm(2)).toBeGreaterThan(wasm(1));
  const index = (p: string) => mem.find((r) => r.source === 'index' && r.precision === p)!.value;
  expect(index('float32')).toBe(4 * index('int8'));
  expect(index('int8')).toBe(8 * index('binary'));
  for (const r of mem) expect(typeof r.covers).toBe('string');

  // Memory rows per configuration: each use-lite cell measured its own pool.
  for (const config of configs) {
    const [pool, threads] = config.split('×').map(Number);
    expect(mem.some((r) => r.source === 'model_weights' && r.pool === pool && r.threads === threads), `weights for ${config}`).toBe(true);
  }

  // Markdown out, markdown in: the saved run shows beside this one with the same numbers.
  const md = await exported(page, 'bench-export-md');
  expect(md.text).toContain('| suite | metric | value |');
  await page.getByTestId('bench-import').setInputFiles({ name: md.name, mimeType: 'text/markdown', buffer: Buffer.from(md.text) });
  await expect(page.getByTestId('bench-saved-summary')).toContainText(`${report.results.length} results`);
  const compareRows = page.getByTestId('bench-compare-row');
  await expect(compareRows).toHaveCount(report.results.length);
  // Six significant digits survive the trip: every ratio reads 1.00×.
  const ratios = await compareRows.locator('td:last-child').allTextContents();
  expect(ratios.filter((t) => t !== '').every((t) => t === '1.00×')).toBe(true);
  // The saved run's dashed lines join the throughput chart.
  await expect(page.getByTestId('chart-throughput')).toHaveAttribute('data-series', String(2 * (2 + configs.length)));
});

test('WebGPU cells run on the software adapter and say so; their rows are well-formed', async ({ page }) => {
  test.setTimeout(240_000);
  const gpu = page.getByTestId('env-webgpu');
  await expect(gpu).not.toContainText('checking');
  test.skip(/no WebGPU/.test((await gpu.textContent()) ?? ''), 'this Chromium has no WebGPU adapter');
  // One load: a software adapter compiles every shader on the CPU, about a minute here.
  await choose(page, { models: ['use-lite'], dtypes: ['int8'], backends: ['webgpu'], batches: [1, 8], sentences: 8 });
  await runAndWait(page, 220_000);
  await expect(page.locator('[data-testid=bench-cell][data-status=done]')).toHaveCount(1);
  const report = JSON.parse((await exported(page, 'bench-export-json')).text) as Report;
  const software = (report.env.webgpu as { fallback?: boolean }).fallback === true;
  expectWellFormed(report.results, { model: 'use-lite', dtype: 'int8', backend: 'webgpu' }, [1, 8], { cachedLoad: !software });
  const rate = report.results.find((r) => r.metric === 'sentences_per_s' && r.backend === 'webgpu')!;
  if (software) {
    expect(rate.software).toBe(true);
    expect(String(rate.device)).toMatch(/^software/);
    await expect(page.locator('[data-testid=bench-cell]')).toContainText('software WebGPU adapter');
    await expect(page.locator('[data-testid=bench-results] .tag').first()).toHaveText('software');
  }
  // The weights file WebGPU really loads for int8: the weight-only QDQ variant.
  const file = report.results.find((r) => r.source === 'model_file')!;
  expect(file.value).toBe(report.results.find((r) => r.metric === 'model_bytes' && r.backend === 'webgpu')!.value);
});

test('WebGPU missing, and a model file that will not load: those cells say why and the others still run', async ({ page }) => {
  test.setTimeout(180_000);
  // No navigator.gpu in this page, and use-lite's fp16 weights answer 404.
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
  await page.route('**/models/use-lite/onnx/model_fp16.onnx', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto('/?no-webgpu#benchmark'); // a new URL, not a hash change: the page really reloads
  await expect(page.getByTestId('env-webgpu')).toContainText('navigator.gpu is missing');
  await choose(page, { models: ['glove-100d', 'use-lite'], dtypes: ['fp16'], backends: ['wasm', 'webgpu'], batches: [1], sentences: 4, memory: false });
  await runAndWait(page, 170_000);

  const cell = (id: RegExp) => page.getByTestId('bench-cell').filter({ hasText: id });
  await expect(page.getByTestId('bench-cell')).toHaveCount(3);
  await expect(cell(/glove-100d/)).toHaveAttribute('data-status', 'done');
  await expect(cell(/use-lite fp16 wasm/)).toHaveAttribute('data-status', 'failed');
  await expect(cell(/use-lite fp16 wasm/)).toContainText(/model_fp16\.onnx: is missing/);
  await expect(cell(/use-lite fp16 webgpu/)).toHaveAttribute('data-status', 'failed');
  await expect(cell(/use-lite fp16 webgpu/)).toContainText('navigator.gpu is missing');
  await expect(page.locator('[data-testid=bench-results] tr[data-metric=sentences_per_s]')).toHaveCount(1);
  // The failures travel with an export, so a shared run says what did not run and why.
  const md = (await exported(page, 'bench-export-md')).text;
  expect(md).toContain('use-lite fp16 webgpu: failed — WebGPU is not available here');
});

test('cancel midway keeps the rows measured so far and marks the rest cancelled', async ({ page }) => {
  test.setTimeout(120_000);
  await choose(page, { models: ['glove-100d', 'use-lite'], dtypes: ['fp32', 'int8'], batches: [1], sentences: 64, memory: false });
  await page.getByTestId('bench-run').click();
  // Wait for glove's cell to finish, then cancel while use-lite runs.
  await expect(page.locator('[data-testid=bench-cell][data-status=done]')).toHaveCount(1, { timeout: 60_000 });
  await page.getByTestId('bench-cancel').click();
  await expect(page.getByTestId('bench-run')).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByTestId('bench-cell')).toHaveCount(3);
  await expect(page.locator('[data-testid=bench-cell][data-status=cancelled]')).toHaveCount(2);
  await expect(page.locator('[data-testid=bench-results] tr[data-metric=sentences_per_s]')).toHaveCount(1);
  // The kept rows still export.
  const report = JSON.parse((await exported(page, 'bench-export-json')).text) as Report;
  expect(report.cells.map((c) => c.status)).toEqual(['done', 'cancelled', 'cancelled']);
});

test('bad input: nothing chosen, an empty text set, a file that is not a run — clear messages, nothing lost', async ({ page }) => {
  await choose(page, { models: [], batches: [] });
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-problems')).toContainText('Choose at least one model');

  await choose(page, { models: ['glove-100d'], batches: [] });
  await page.getByTestId('bench-repeats').fill('0');
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-problems')).toContainText('Choose at least one batch size');
  await expect(page.getByTestId('bench-problems')).toContainText('Repeats must be');

  await choose(page, { models: ['glove-100d'], batches: [1] });
  await page.getByTestId('bench-text-custom').check();
  await page.getByTestId('bench-run').click();
  await expect(page.getByTestId('bench-problems')).toContainText('Your text set is empty');

  await page.getByTestId('bench-custom-text').fill('Call me Ishmael. Some years ago I went to sea. It is a way I have of driving off the spleen.');
  await runAndWait(page);
  await expect(page.locator('[data-testid=bench-cell][data-status=done]')).toHaveCount(1);
  const rowsBefore = await page.locator('[data-testid=bench-results] tbody tr').count();

  for (const [name, text, message] of [
    ['notes.md', '# My notes\n\nNo table here.', 'no results table'],
    ['broken.json', '{"results": [', 'not valid JSON'],
    ['other.json', '{"rows": []}', 'needs a "results" list'],
    ['bad.md', '| suite | metric | value |\n| --- | --- | ---: |\n| static | load_ms | fast |', 'is not a number'],
  ] as const) {
    await page.getByTestId('bench-import').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
    await expect(page.getByTestId('bench-import-error')).toContainText(message);
    await expect(page.getByTestId('bench-import-error')).toContainText(name);
  }
  // The current run is untouched.
  await expect(page.locator('[data-testid=bench-results] tbody tr')).toHaveCount(rowsBefore);
});

test('browser-measured memory: the model worker’s bytes from measureUserAgentSpecificMemory, labelled', async ({ page }) => {
  test.setTimeout(120_000);
  await choose(page, { models: ['glove-100d'], batches: [1], sentences: 4, pools: [1, 2] });
  await page.getByTestId('bench-ua-memory').check();
  await runAndWait(page);
  // One cell per pool size (glove in 1 worker, in 2), each measured with its own pool.
  await expect(page.locator('[data-testid=bench-cell][data-status=done]')).toHaveCount(2);
  const report = JSON.parse((await exported(page, 'bench-export-json')).text) as Report;
  for (const c of report.cells) expect(c.notes, `no memory source failed in ${c.id}`).toBeUndefined();
  const ua = (pool: number) => report.results.find((r) => r.source === 'ua_model_workers' && r.pool === pool)!;
  // glove's worker holds its 10 MB table; two workers hold it twice (the page's own heap is not in this figure).
  expect(ua(1).value).toBeGreaterThan(5e6);
  expect(ua(1).workers).toBe(1);
  expect(ua(2).workers).toBe(2);
  expect(ua(2).value).toBeGreaterThan(1.5 * ua(1).value);
  expect(report.results.find((r) => r.source === 'ua_page' && r.pool === 1)!.value).toBeGreaterThan(ua(1).value);
  await expect(page.getByTestId('memory-sources')).toContainText('measureUserAgentSpecificMemory');
});

test('the search benchmark runs from the view too, beside (or without) the models', async ({ page }) => {
  test.setTimeout(180_000);
  await choose(page, { models: [], batches: [1] });
  await page.getByTestId('bench-search').check();
  await runAndWait(page, 170_000);
  await expect(page.locator('[data-testid=bench-cell][data-cell=search]')).toHaveAttribute('data-status', 'done');
  const report = JSON.parse((await exported(page, 'bench-export-json')).text) as Report;
  for (const precision of ['float32', 'int8', 'binary']) {
    for (const n of [10_000, 100_000]) {
      const r = report.results.find((x) => x.suite === 'search' && x.metric === 'top10_ms' && x.precision === precision && x.kernel === 'js' && x.n === n)!;
      expect(r.value).toBeGreaterThan(0);
      expect(r.min as number).toBeLessThanOrEqual(r.value);
    }
  }
  expect(report.results.find((x) => x.metric === 'ingest_per_s')!.value).toBeGreaterThan(0);
});

test('transformers.js with its defaults on the same files: its rows and our best configuration divided by it', async ({ page }) => {
  test.setTimeout(180_000);
  await choose(page, { models: ['use-lite'], dtypes: ['int8'], batches: [8], pools: [1, 2], threads: [1], sentences: 16, memory: false });
  await page.getByTestId('bench-anchor').check();
  await runAndWait(page, 170_000);
  await expect(page.locator('[data-testid=bench-cell][data-cell="use-lite int8 transformers.js default"]')).toHaveAttribute('data-status', 'done');
  const report = JSON.parse((await exported(page, 'bench-export-json')).text) as Report;
  const rate = (backend: string, pool = 1) => report.results.find((r) => r.metric === 'sentences_per_s' && r.backend === backend && r.pool === pool && r.batch === 8)!;
  const tjs = rate('transformersjs');
  expect(tjs.value).toBeGreaterThan(0);
  expect(tjs.min as number).toBeLessThanOrEqual(tjs.value);
  expect(tjs.threads as number).toBeGreaterThanOrEqual(1);
  expect(report.results.find((r) => r.metric === 'load_ms' && r.backend === 'transformersjs')!.value).toBeGreaterThan(0);
  const best = Math.max(rate('wasm', 1).value, rate('wasm', 2).value);
  const vs = report.results.find((r) => r.metric === 'vs_transformersjs')!;
  expect(vs).toMatchObject({ model: 'use-lite', dtype: 'int8', batch: 8 });
  expect(vs.value).toBeCloseTo(best / tjs.value, 6);
  expect(vs.best).toBe(rate('wasm', 1).value >= rate('wasm', 2).value ? 'wasm 1×1' : 'wasm 2×1');
  const pool = report.results.find((r) => r.metric === 'pool_speedup')!;
  expect(pool.value).toBeCloseTo(rate('wasm', 2).value / rate('wasm', 1).value, 6);
  // Each worker reports the time it spent inside the model: a share of the pass's wall time per worker.
  for (const p of [1, 2]) {
    const busy = report.results.find((r) => r.metric === 'worker_busy_fraction' && r.backend === 'wasm' && r.pool === p && r.batch === 8)!;
    expect(busy, `worker_busy_fraction at ${p}×1`).toBeTruthy();
    expect(busy.value).toBeGreaterThan(0.2);
    expect(busy.max as number).toBeLessThanOrEqual(1.0001);
  }
});
