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
  suite: 'static' | 'search' | 'all';
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
