/**
 * Benchmarks that run in the page, through the same bridge and workers a person uses. The
 * Benchmark view runs a matrix of cells (model × dtype × backend × threads, each at several
 * batch sizes) with `runMatrix`; the CLI (`npm run bench`) calls `runBench`, which turns a suite
 * name into the same matrix and runs it with the same function in headless Chromium.
 *
 * Protocol per cell and batch size: one uncounted warm-up pass, then `repeats` timed passes.
 * Throughput is the median pass with min and max beside it; latency is per worker call (one call
 * = one batch), median and p95 over every timed call. A cell that fails (no WebGPU, a model
 * that does not load) says why and the next cell runs; a cancel keeps the rows already measured.
 */
import { catalog, type CatalogEntry } from '../../models/catalog.ts';
import { splitSentences } from '../core/corpus/sentences.ts';
import { AbortError, describeError } from '../core/errors.ts';
import type { ModelSpec } from '../core/models/registry.ts';
import { DTYPE_FILES, type TransformerDtype } from '../core/models/transformer.ts';
import { dtypeFileIn } from '../core/models/dtypes.ts';
import { collectEnvironment, describeGpu, webgpuInfo, type GpuInfo } from './environment.ts';
import { defaultChoice, expandMatrix, passLength, splitParagraphs, takeTexts, type Cell, type MatrixChoice, type TextSetId } from './matrix.ts';
import { indexBytes, measureUaMemory, memorySources, type MemorySource } from './memory.ts';
import { loadPool, type LoadedPool } from './pool.ts';
import type { BenchReport, BenchRow, CellOutcome } from './report.ts';
import { median, percentile, summarize } from './stats.ts';

export type { BenchReport, BenchRow, CellOutcome } from './report.ts';
export { median } from './stats.ts';

export interface BenchOptions extends Partial<MatrixChoice> {
  suite: 'static' | 'search' | 'transformer' | 'all';
  /** Transformer suite: also run on WebGPU (rows say when the adapter is a software one). */
  webgpu?: boolean;
  /** Transformer suite: sentences per timed pass. */
  transformerSentences?: number;
  /** Search suite: collection sizes, dims and vectors to ingest. */
  searchSizes?: number[];
  searchDims?: number;
  ingest?: number;
  /** Static suite: sentences per call to the worker (besides batch 1 for latency). */
  batchSize?: number;
  /** Static suite: cold loads to time (each in a fresh worker). */
  loads?: number;
  /** Static suite: cap on the distinct sentences used (all of Moby-Dick by default). */
  maxSentences?: number;
  onLog?: (line: string) => void;
}

export interface MatrixHooks {
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  /** Called as rows are measured, so a view can draw them while the run goes on. */
  onRows?: (rows: BenchRow[]) => void;
  onCell?: (outcome: CellOutcome, index: number, total: number) => void;
}

let corpusText: Promise<string> | null = null;
function mobyDick(): Promise<string> {
  corpusText ??= fetch(new URL('corpora/moby-dick.txt', document.baseURI)).then(async (res) => {
    if (!res.ok) throw new Error(`corpora/moby-dick.txt: ${res.status} (run \`npm run models\`)`);
    return res.text();
  });
  return corpusText;
}

export async function loadCorpus(maxSentences = Infinity): Promise<string[]> {
  return splitSentences(await mobyDick()).slice(0, maxSentences);
}

/** The texts a text set stands for: Moby-Dick sentences (under 400 characters), its paragraphs, or the person's own text. */
export async function textSet(id: TextSetId, customText = ''): Promise<string[]> {
  if (id === 'custom') {
    const texts = splitSentences(customText).filter((t) => t.trim());
    if (texts.length === 0) throw new Error('Your text set is empty: paste some text or pick a text file first.');
    return texts;
  }
  const book = await mobyDick();
  return id === 'paragraphs' ? splitParagraphs(book) : splitSentences(book).filter((t) => t.length < 400);
}

function specFor(entry: CatalogEntry, cell: Cell): ModelSpec & { threads?: number } {
  const source = { type: 'url' as const, baseUrl: new URL(entry.path, document.baseURI).href, files: entry.files };
  if (cell.kind === 'static') return { id: entry.id, kind: 'static', source };
  return {
    id: entry.id,
    kind: 'transformer',
    dtype: cell.dtype as TransformerDtype,
    backend: cell.backend === 'webgpu' ? 'webgpu' : 'wasm',
    source,
    ...(cell.backend === 'wasm' ? { threads: cell.threads } : {}),
  };
}

async function fileBytes(entry: CatalogEntry, cell: Cell): Promise<number | null> {
  // The file the loader reads: int8 on WebGPU takes the weight-only (QDQ) file where there is one (dtypes.ts).
  const files =
    cell.kind === 'static'
      ? ['model.safetensors']
      : [dtypeFileIn(cell.dtype as TransformerDtype, entry.files, cell.backend === 'webgpu' ? 'webgpu' : 'wasm') ?? DTYPE_FILES[cell.dtype as TransformerDtype]];
  let total = 0;
  for (const f of files) {
    const res = await fetch(new URL(f, new URL(entry.path, document.baseURI)), { method: 'HEAD' });
    const len = Number(res.headers.get('content-length'));
    if (!res.ok || !Number.isFinite(len) || len <= 0) return null;
    total += len;
  }
  return total;
}

function checkAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new AbortError('The benchmark was cancelled.');
}

/** One pass over `texts` in calls of `batch`, timing each call. */
async function timedPass(pool: LoadedPool, texts: string[], batch: number, signal?: AbortSignal) {
  let tokens = 0;
  const calls: number[] = [];
  const started = performance.now();
  for (let i = 0; i < texts.length; i += batch) {
    checkAborted(signal);
    const t = performance.now();
    tokens += (await pool.embed(texts.slice(i, i + batch), signal)).tokens;
    calls.push(performance.now() - t);
  }
  return { ms: performance.now() - started, tokens, calls };
}

async function measureMemory(entry: CatalogEntry, cell: Cell, spec: ModelSpec, base: Record<string, string | number | boolean>, choice: MatrixChoice, hooks: MatrixHooks, notes: string[]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const row = (source: MemorySource, value: number, extra: Record<string, string | number | boolean> = {}): BenchRow => ({
    suite: 'memory', metric: 'memory_bytes', source, ...base, ...extra, value, covers: memorySources[source].covers,
  });
  if (choice.uaMemory) await new Promise((resolve) => setTimeout(resolve, 1000)); // the cell's own workers are still shutting down
  const file = await fileBytes(entry, cell);
  if (file !== null) rows.push(row('model_file', file, { pool: 1 }));
  // A software WebGPU adapter compiles every shader on the CPU (~1 min a load here): one load is enough to prove the cell.
  const software = cell.backend === 'webgpu' && base.software === true;
  if (software && choice.pools.length) notes.push('software WebGPU adapter: pool memory not measured (each load takes about a minute)');
  for (const instances of software ? [] : choice.pools) {
    checkAborted(hooks.signal);
    const before = choice.uaMemory ? await measureUaMemory() : null;
    const pool = await loadPool(spec, instances);
    try {
      const per = await pool.memory();
      rows.push(row('model_weights', per.reduce((s, m) => s + m.modelBytes, 0), { pool: instances, how: pool.how }));
      rows.push(row('wasm_memory', per.reduce((s, m) => s + m.wasmBytes, 0), { pool: instances, how: pool.how }));
      if (cell.backend === 'webgpu') rows.push(row('gpu_buffers', per.reduce((s, m) => s + m.gpuBufferBytes, 0), { pool: instances, how: pool.how }));
      if (choice.uaMemory) {
        const after = typeof before === 'string' ? before : await measureUaMemory();
        const failure = typeof before === 'string' ? before : typeof after === 'string' ? after : null;
        if (failure && !notes.some((n) => n.includes(failure))) notes.push(`browser-measured memory: ${failure}`);
        if (typeof after === 'object' && after && typeof before === 'object' && before) {
          const workers = after.modelWorkers.reduce((s, b) => s + b, 0) - before.modelWorkers.reduce((s, b) => s + b, 0);
          rows.push(row('ua_model_workers', workers, { pool: instances, workers: after.modelWorkers.length - before.modelWorkers.length, how: pool.how }));
          rows.push(row('ua_page', after.total, { pool: instances, how: pool.how }));
        }
      }
    } finally {
      pool.unload();
      // Chromium's measurement waits on workers that are still shutting down: let them go first.
      if (choice.uaMemory) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    hooks.onLog?.(`${cell.id}: memory with ${instances} instance${instances === 1 ? '' : 's'} measured`);
  }
  for (const { precision, bytes } of indexBytes(entry.dims, 100_000)) {
    rows.push({ suite: 'memory', metric: 'memory_bytes', source: 'index', model: entry.id, precision, n: 100_000, dims: entry.dims, value: bytes, covers: memorySources.index.covers });
  }
  return rows;
}

async function runCell(cell: Cell, texts: string[], choice: MatrixChoice, gpu: GpuInfo, hooks: MatrixHooks, emit: (rows: BenchRow[]) => void, notes: string[]): Promise<void> {
  const entry = catalog.find((m) => m.id === cell.model);
  if (!entry) throw new Error(`${cell.model} is not in the catalog`);
  if (cell.backend === 'webgpu' && !gpu.available) throw new Error(`WebGPU is not available here: ${gpu.reason}`);
  const spec = specFor(entry, cell);
  const suite = cell.kind;
  const software = cell.backend === 'webgpu' && gpu.available && gpu.fallback;
  const base: Record<string, string | number | boolean> = { model: cell.model, dtype: cell.dtype, backend: cell.backend, threads: cell.threads };
  if (cell.backend === 'webgpu') base.device = software ? `software (${describeGpu(gpu)})` : describeGpu(gpu);
  const log = hooks.onLog ?? (() => {});

  // Load time: the first load in this run, then loads whose files the browser has cached.
  let started = performance.now();
  let pool = await loadPool(spec, 1);
  const firstLoad = performance.now() - started;
  if (cell.kind === 'static') base.dtype = pool.info.dtype;
  if (cell.backend === 'wasm') {
    const used = pool.info.threads ?? null;
    if (used !== null && used !== cell.threads) {
      pool.unload();
      throw new Error(`asked for ${cell.threads} WASM thread${cell.threads === 1 ? '' : 's'} but the model runs with ${used}: ${cell.threads > used ? 'the page is not cross-origin isolated' : 'the runtime capped it'}.`);
    }
  }
  if (software) base.software = true;
  const cached: number[] = [];
  if (software && choice.cachedLoads > 0) notes.push('software WebGPU adapter: loads from cache not timed (each load takes about a minute)');
  try {
    for (let i = 0; i < (software ? 0 : choice.cachedLoads); i++) {
      checkAborted(hooks.signal);
      pool.unload();
      started = performance.now();
      pool = await loadPool(spec, 1);
      cached.push(performance.now() - started);
    }
    emit([
      { suite, metric: 'load_ms', ...base, load: 'first', value: firstLoad, repeats: 1 },
      ...(cached.length ? [{ suite, metric: 'load_ms', ...base, load: 'cached', ...summarize(cached) }] : []),
      { suite, metric: 'model_bytes', ...base, value: pool.info.bytes, repeats: 1 },
    ]);
    for (const batch of cell.batches) {
      // A software GPU is ~100× slower than a real one: a short pass proves the cell works without timing anything meaningful.
      const count = software ? Math.min(batch * 2, passLength(choice, batch)) : passLength(choice, batch);
      const sample = takeTexts(texts, count);
      await timedPass(pool, sample.slice(0, Math.max(batch, Math.min(sample.length, 32))), batch, hooks.signal); // warm-up, not counted
      const passes = [];
      for (let r = 0; r < choice.repeats; r++) passes.push(await timedPass(pool, sample, batch, hooks.signal));
      const rate = passes.map((p) => (sample.length / p.ms) * 1000);
      const tokenRate = passes.map((p) => (p.tokens / p.ms) * 1000);
      const calls = passes.flatMap((p) => p.calls);
      const fields = { ...base, batch, sentences: sample.length };
      emit([
        { suite, metric: 'sentences_per_s', ...fields, ...summarize(rate) },
        { suite, metric: 'tokens_per_s', ...fields, ...summarize(tokenRate) },
        { suite, metric: 'latency_ms', ...fields, value: median(calls), p95: percentile(calls, 95), min: Math.min(...calls), max: Math.max(...calls), repeats: calls.length },
      ]);
      log(`${cell.id} batch ${batch}: ${median(rate).toFixed(0)} sentences/s, latency ${median(calls).toFixed(1)} ms (p95 ${percentile(calls, 95).toFixed(1)})`);
    }
  } finally {
    pool.unload();
  }
  if (choice.pools.length) emit(await measureMemory(entry, cell, spec, { model: base.model, dtype: base.dtype, backend: base.backend, threads: base.threads, ...(software ? { software } : {}) }, choice, hooks, notes));
}

/**
 * Runs every cell in turn; never throws for one cell's failure. Rows measured before a failure
 * or a cancel are kept; cells after a cancel are reported as cancelled.
 */
export async function runMatrix(cells: Cell[], texts: string[], choice: MatrixChoice, hooks: MatrixHooks = {}): Promise<{ rows: BenchRow[]; cells: CellOutcome[] }> {
  const rows: BenchRow[] = [];
  const outcomes: CellOutcome[] = [];
  const gpu = await webgpuInfo();
  const emit = (measured: BenchRow[]) => {
    // Index bytes depend on the model's dims only: one set per model, not one per cell.
    const r = measured.filter((x) => x.source !== 'index' || !rows.some((y) => y.source === 'index' && y.model === x.model && y.precision === x.precision));
    rows.push(...r);
    hooks.onRows?.(r);
  };
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    let outcome: CellOutcome;
    if (hooks.signal?.aborted) {
      outcome = { id: cell.id, status: 'cancelled', reason: 'cancelled before it ran' };
    } else {
      const notes: string[] = [];
      try {
        await runCell(cell, texts, choice, gpu, hooks, emit, notes);
        outcome = { id: cell.id, status: 'done', ...(notes.length ? { notes } : {}) };
      } catch (err) {
        const cancelled = hooks.signal?.aborted || (err as Error)?.name === 'AbortError';
        outcome = cancelled ? { id: cell.id, status: 'cancelled', reason: 'cancelled while it ran; rows measured before are kept' } : { id: cell.id, status: 'failed', reason: describeError(err) };
        hooks.onLog?.(`${cell.id}: ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
      }
    }
    outcomes.push(outcome);
    hooks.onCell?.(outcome, i, cells.length);
  }
  return { rows, cells: outcomes };
}

/** The suites the CLI names, as matrices; options override any part of them. */
export function suiteChoice(suite: 'static' | 'transformer', opts: BenchOptions, corpusSentences: number): MatrixChoice {
  const ids = (kind: string) => catalog.filter((m) => m.kind === kind).map((m) => m.id);
  const common = {
    repeats: opts.repeats ?? 5,
    pools: (opts.pools ?? [1]).filter((p) => p > 0), // --pools 0: no memory rows
    uaMemory: opts.uaMemory ?? false,
    textSet: opts.textSet ?? ('sentences' as const),
  };
  if (suite === 'static') {
    // A timed pass of at least ~30k sentences: Moby-Dick alone passes in ~0.1 s, short enough
    // for one scheduler hiccup on a shared machine to move the median.
    return {
      ...defaultChoice, ...common,
      models: opts.models?.filter((m) => ids('static').includes(m)) ?? ids('static'),
      batches: opts.batches ?? [1, opts.batchSize ?? 1024],
      sentences: opts.sentences ?? Math.min(30_000, corpusSentences * 100),
      maxCallsPerPass: opts.maxCallsPerPass ?? 200,
      cachedLoads: opts.cachedLoads ?? opts.loads ?? 3,
    };
  }
  return {
    ...defaultChoice, ...common,
    models: opts.models?.filter((m) => ids('transformer').includes(m)) ?? ids('transformer'),
    dtypes: opts.dtypes ?? ['fp32', 'fp16', 'int8'],
    backends: opts.backends ?? (opts.webgpu ? ['wasm', 'webgpu'] : ['wasm']),
    threads: opts.threads ?? [Math.max(1, Math.min(4, navigator.hardwareConcurrency ?? 1))],
    batches: opts.batches ?? [1, 8, 32],
    sentences: opts.sentences ?? opts.transformerSentences ?? 256,
    maxCallsPerPass: opts.maxCallsPerPass ?? 256,
    cachedLoads: opts.cachedLoads ?? 1,
  };
}

export async function runBench(opts: BenchOptions & { signal?: AbortSignal }): Promise<BenchReport> {
  const results: BenchRow[] = [];
  const cells: CellOutcome[] = [];
  const hooks: MatrixHooks = { onLog: opts.onLog, signal: opts.signal };
  for (const suite of ['static', 'transformer'] as const) {
    if (opts.suite !== suite && opts.suite !== 'all') continue;
    let texts = await textSet(opts.textSet ?? 'sentences');
    if (suite === 'static' && opts.maxSentences) texts = texts.slice(0, opts.maxSentences);
    const choice = suiteChoice(suite, opts, texts.length);
    const run = await runMatrix(expandMatrix(choice, catalog), texts, choice, hooks);
    results.push(...run.rows);
    cells.push(...run.cells);
  }
  if (opts.suite === 'search' || opts.suite === 'all') {
    const { benchSearch } = await import('../search-client.ts');
    results.push(
      ...(await benchSearch(
        { sizes: opts.searchSizes ?? [100_000, 1_000_000], dims: opts.searchDims ?? 512, repeats: opts.repeats ?? 5, ingest: opts.ingest ?? 100_000 },
        opts.onLog ?? (() => {}),
      )),
    );
  }
  return { env: { ...(await collectEnvironment()) }, results, cells };
}
