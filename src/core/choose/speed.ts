/**
 * Speed and size of one model × dtype from the benchmark's own rows (src/bench/run.ts's
 * runMatrix, the code `npm run bench` runs), read the same way for every variant of that model.
 */
export interface RowLike {
  suite?: unknown;
  metric: string;
  value: number;
  batch?: unknown;
  source?: unknown;
  pool?: unknown;
}

export interface SpeedSummary {
  /** The best median sentences/s over the batch sizes measured (its best configuration). */
  sentencesPerS: number | null;
  /** Which batch gave it. */
  bestBatch: number | null;
  /** Median time of one call of one sentence: a query's embedding. */
  latencyMs: number | null;
  /** The weights file(s) the browser downloads. */
  downloadBytes: number | null;
  /** One instance: the WebAssembly heap where the model runs there, else its weights as held in JS. */
  memoryBytes: number | null;
}

export function summarizeSpeed(rows: readonly RowLike[]): SpeedSummary {
  const rates = rows.filter((r) => r.metric === 'sentences_per_s' && typeof r.batch === 'number');
  const best = rates.reduce<RowLike | null>((b, r) => (b === null || r.value > b.value ? r : b), null);
  const latency = rows.find((r) => r.metric === 'latency_ms' && r.batch === 1);
  const memory = (source: string) => rows.find((r) => r.metric === 'memory_bytes' && r.source === source && (r.pool === 1 || r.pool === undefined));
  const wasm = memory('wasm_memory');
  const weights = memory('model_weights');
  return {
    sentencesPerS: best?.value ?? null,
    bestBatch: (best?.batch as number | undefined) ?? null,
    latencyMs: latency?.value ?? null,
    downloadBytes: memory('model_file')?.value ?? null,
    memoryBytes: wasm && wasm.value > 0 ? wasm.value : (weights?.value ?? null),
  };
}

/** A configuration as Auto keeps it (src/bench/auto.ts's Candidate, restated so core imports nothing above it). */
export interface SpeedConfig {
  backend: 'wasm' | 'webgpu';
  pool: number;
  threads: number;
}

export interface SpeedPlan {
  config: SpeedConfig;
  /** Part of the cache key: a speed measured on another configuration is another measurement. */
  key: string;
  /** What the Choose row says about how its speed was measured. */
  label: string;
}

/**
 * Which configuration Choose measures a model's speed on: the one Auto measured fastest on this
 * device when a decision is kept (the issue asks for speed at its best configuration), else the
 * default (one worker, WASM at the default threads), saying so. Measuring every configuration
 * inside Choose would triple its speed time; Auto already pays that once per model × dtype.
 */
export function planSpeed(kind: 'static' | 'transformer', kept: SpeedConfig | null, defaultThreads: number): SpeedPlan {
  if (kind === 'static') return { config: { backend: 'wasm', pool: 1, threads: 0 }, key: 'js', label: 'JavaScript lookup: no configuration to choose' };
  if (!kept) {
    return {
      config: { backend: 'wasm', pool: 1, threads: defaultThreads },
      key: `wasm×${defaultThreads}`,
      label: `default configuration (1 worker × ${defaultThreads} WASM thread${defaultThreads === 1 ? '' : 's'}): load this model on Auto in the Playground to measure its fastest one here`,
    };
  }
  const where = kept.backend === 'webgpu' ? `WebGPU${kept.pool > 1 ? `, ${kept.pool} workers` : ''}` : `${kept.pool} worker${kept.pool === 1 ? '' : 's'} × ${kept.threads} WASM thread${kept.threads === 1 ? '' : 's'}`;
  return { config: kept, key: `auto ${kept.backend} ${kept.pool}×${kept.threads}`, label: `Auto's fastest configuration on this device: ${where}` };
}
