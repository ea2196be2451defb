/**
 * Benchmarks that run in the page, through the same bridge and workers a person uses. The CLI
 * (`npm run bench`) drives this very code in headless Chromium; the Benchmark view will too.
 *
 * Protocol: a warm-up pass that is not counted, then `repeats` timed passes; we report the
 * median and the spread (min, max) so a noisy machine is visible, not hidden.
 */
import { ModelClient } from '../model-client.ts';
import { catalog } from '../../models/catalog.ts';
import { splitSentences } from '../core/corpus/sentences.ts';
import type { ModelSpec } from '../core/models/registry.ts';

export interface BenchRow {
  suite: string;
  metric: string;
  value: number;
  [field: string]: string | number | boolean | null;
}

export interface BenchOptions {
  suite: 'static' | 'search' | 'transformer' | 'all';
  /** Transformer suite: also run on WebGPU (rows say when the adapter is a software one). */
  webgpu?: boolean;
  /** Transformer suite: sentences per timed pass. */
  transformerSentences?: number;
  /** Search suite: collection sizes, dims and vectors to ingest. */
  searchSizes?: number[];
  searchDims?: number;
  ingest?: number;
  /** Timed passes after the warm-up. */
  repeats?: number;
  /** Sentences per call to the worker. */
  batchSize?: number;
  /** Cold loads to time (each in a fresh worker). */
  loads?: number;
  /** Cap on the number of sentences used (all of Moby-Dick by default). */
  maxSentences?: number;
  onLog?: (line: string) => void;
}

export interface BenchReport {
  env: Record<string, unknown>;
  results: BenchRow[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function environment(): Record<string, unknown> {
  const nav = globalThis.navigator;
  return {
    userAgent: nav?.userAgent,
    hardwareConcurrency: nav?.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? false,
    webgpu: nav ? 'gpu' in nav : false,
    date: new Date().toISOString(),
  };
}

export async function loadCorpus(maxSentences = Infinity): Promise<string[]> {
  const res = await fetch(new URL('corpora/moby-dick.txt', document.baseURI));
  if (!res.ok) throw new Error(`corpora/moby-dick.txt: ${res.status} (run \`npm run models\`)`);
  return splitSentences(await res.text()).slice(0, maxSentences);
}

async function benchStaticModel(entry: (typeof catalog)[number], texts: string[], opts: BenchOptions): Promise<BenchRow[]> {
  const repeats = opts.repeats ?? 5;
  const batchSize = opts.batchSize ?? 1024;
  const log = opts.onLog ?? (() => {});
  const spec: ModelSpec = {
    id: entry.id,
    kind: 'static',
    source: { type: 'url', baseUrl: new URL(entry.path, document.baseURI).href, files: entry.files },
  };
  const base = { suite: 'static', model: entry.id, backend: 'js', dtype: '', batch: batchSize, sentences: texts.length };

  // Cold loads: a fresh worker each time, from first request to ready (HTTP cache may serve the bytes).
  const loadMs: number[] = [];
  for (let i = 0; i < (opts.loads ?? 3); i++) {
    const client = new ModelClient(spec);
    const started = performance.now();
    await client.load();
    loadMs.push(performance.now() - started);
    client.unload();
  }

  const client = new ModelClient(spec);
  const info = await client.load();
  base.dtype = info.dtype;
  const passes: { ms: number; tokens: number }[] = [];
  for (let pass = 0; pass <= repeats; pass++) {
    let tokens = 0;
    const started = performance.now();
    for (let i = 0; i < texts.length; i += batchSize) {
      tokens += (await client.embed(texts.slice(i, i + batchSize))).tokens;
    }
    const ms = performance.now() - started;
    if (pass > 0) passes.push({ ms, tokens }); // pass 0 warms the JIT
    log(`${entry.id}: pass ${pass}${pass === 0 ? ' (warm-up)' : ''} ${ms.toFixed(0)} ms, ${((texts.length / ms) * 1000).toFixed(0)} sentences/s`);
  }
  // Batch-1 latency: what a single query costs end to end (page → worker → page).
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    await client.embed([texts[i % texts.length]]);
    latencies.push(performance.now() - started);
  }
  client.unload();

  const rate = passes.map((p) => (texts.length / p.ms) * 1000);
  const tokenRate = passes.map((p) => (p.tokens / p.ms) * 1000);
  const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs), repeats: xs.length });
  return [
    { ...base, metric: 'sentences_per_s', value: median(rate), ...spread(rate) },
    { ...base, metric: 'tokens_per_s', value: median(tokenRate), ...spread(tokenRate) },
    { ...base, metric: 'latency_ms', batch: 1, value: median(latencies), ...spread(latencies) },
    { ...base, metric: 'load_ms', value: median(loadMs), ...spread(loadMs) },
    { ...base, metric: 'model_bytes', value: info.bytes, repeats: 1 },
  ];
}

/** Texts cut into calls of `batch` sentences; one call = one session run (the engine batches by 32). */
async function timedPass(client: ModelClient, texts: string[], batch: number) {
  let tokens = 0;
  const started = performance.now();
  for (let i = 0; i < texts.length; i += batch) tokens += (await client.embed(texts.slice(i, i + batch))).tokens;
  return { ms: performance.now() - started, tokens };
}

async function benchTransformer(entry: (typeof catalog)[number], texts: string[], opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const log = opts.onLog ?? (() => {});
  const repeats = opts.repeats ?? 5;
  const { webgpuAdapter, wasmThreads } = await import('../core/models/ort-web.ts');
  const adapter = await webgpuAdapter();
  const backends: ('wasm' | 'webgpu')[] = opts.webgpu && adapter.available ? ['wasm', 'webgpu'] : ['wasm'];
  for (const backend of backends) {
    for (const dtype of ['fp32', 'fp16', 'int8'] as const) {
      const spec: ModelSpec = {
        id: entry.id,
        kind: 'transformer',
        dtype,
        backend,
        source: { type: 'url', baseUrl: new URL(entry.path, document.baseURI).href, files: entry.files },
      };
      const label = backend === 'webgpu' && adapter.fallback ? `webgpu (software: ${adapter.description})` : backend;
      const base = { suite: 'transformer', model: entry.id, dtype, backend, threads: backend === 'wasm' ? wasmThreads : 0, device: label };
      const started = performance.now();
      const client = new ModelClient(spec);
      let info;
      try {
        info = await client.load();
      } catch (err) {
        rows.push({ ...base, metric: 'error', value: 0, error: (err as Error).message });
        continue;
      }
      rows.push({ ...base, metric: 'load_ms', value: performance.now() - started, repeats: 1 });
      rows.push({ suite: 'transformer', model: entry.id, dtype, metric: 'model_bytes', value: info.bytes, repeats: 1 });
      for (const batch of [1, 8, 32]) {
        const sample = backend === 'webgpu' && adapter.fallback ? texts.slice(0, 32) : texts; // a software GPU is slow: fewer sentences
        await timedPass(client, sample.slice(0, Math.min(sample.length, 32)), batch); // warm-up
        const passes = [];
        for (let r = 0; r < repeats; r++) passes.push(await timedPass(client, sample, batch));
        const rate = passes.map((p) => (sample.length / p.ms) * 1000);
        const tokenRate = passes.map((p) => (p.tokens / p.ms) * 1000);
        const spread = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs), repeats: xs.length });
        rows.push({ ...base, batch, metric: 'sentences_per_s', value: median(rate), ...spread(rate) });
        rows.push({ ...base, batch, metric: 'tokens_per_s', value: median(tokenRate), ...spread(tokenRate) });
        log(`${entry.id} ${dtype} ${backend} batch ${batch}: ${median(rate).toFixed(0)} sentences/s`);
      }
      client.unload();
    }
  }
  return rows;
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const results: BenchRow[] = [];
  if (opts.suite === 'static' || opts.suite === 'all') {
    const sentences = await loadCorpus(opts.maxSentences);
    // A timed pass of at least ~30k sentences: Moby-Dick alone (9.8k) passes in ~0.1 s, short
    // enough for one scheduler hiccup on a shared machine to move the median.
    const texts: string[] = [];
    while (texts.length < Math.min(30_000, sentences.length * 100)) texts.push(...sentences);
    for (const entry of catalog.filter((m) => m.kind === 'static')) results.push(...(await benchStaticModel(entry, texts, opts)));
  }
  if (opts.suite === 'transformer' || opts.suite === 'all') {
    const sentences = (await loadCorpus()).filter((t) => t.length < 400).slice(0, opts.transformerSentences ?? 256);
    for (const entry of catalog.filter((m) => m.kind === 'transformer')) results.push(...(await benchTransformer(entry, sentences, opts)));
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
  return { env: environment(), results };
}
