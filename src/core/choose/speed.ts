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
