/** The benchmark's framework-free parts: statistics, the matrix, the result format and chart shaping. */
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { median, percentile, relativeSpread, summarize } from '../../src/bench/stats.ts';
import { defaultChoice, expandMatrix, fitsCores, passLength, planMatrix, problemsWith, splitParagraphs, takeTexts } from '../../src/bench/matrix.ts';
import { parseReport, ReportFormatError, toMarkdown, type BenchReport, type BenchRow } from '../../src/bench/report.ts';
import { compareRuns, latencyChart, memoryChart, throughputChart } from '../../src/bench/chart-data.ts';
import { indexBytes } from '../../src/bench/memory.ts';

describe('stats', () => {
  it('median of odd and even counts, p95 by nearest rank', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 1000], 95)).toBe(1000); // the slow call is the p95 of four
    expect(Number.isNaN(median([]))).toBe(true);
  });
  it('summaries keep the spread beside the median', () => {
    expect(summarize([10, 12, 11])).toEqual({ value: 11, min: 10, max: 12, repeats: 3 });
    expect(relativeSpread({ value: 100, min: 95, max: 105 })).toBeCloseTo(0.1);
  });
});

describe('matrix', () => {
  const choice = { ...defaultChoice, models: ['glove-100d', 'use-lite'], dtypes: ['fp32', 'int8'], backends: ['wasm', 'webgpu'] as ('wasm' | 'webgpu')[], threads: [2, 1, 2], batches: [32, 1, 8, 8] };
  it('one cell per load: static once, transformers per backend × dtype × threads (WebGPU without threads)', () => {
    const cells = expandMatrix(choice, catalog, 2);
    expect(cells.map((c) => c.id)).toEqual([
      'glove-100d js',
      'use-lite fp32 wasm 1×1', 'use-lite fp32 wasm 1×2', 'use-lite int8 wasm 1×1', 'use-lite int8 wasm 1×2',
      'use-lite fp32 webgpu', 'use-lite int8 webgpu',
    ]);
    for (const c of cells) expect(c.batches).toEqual([1, 8, 32]);
    for (const c of cells) expect(c.pool).toBe(1);
  });
  it('pool × threads: the combinations that fit the cores run, the others are listed with the reason', () => {
    const pooled = { ...choice, models: ['glove-100d', 'use-lite'], dtypes: ['int8'], backends: ['wasm', 'webgpu'] as ('wasm' | 'webgpu')[], pools: [2, 1, 2, 4], threads: [1, 2] };
    const two = planMatrix(pooled, catalog, 2);
    expect(two.cells.map((c) => [c.id, c.pool, c.threads])).toEqual([
      ['glove-100d js', 1, 0], ['glove-100d js pool 2', 2, 0],
      ['use-lite int8 wasm 1×1', 1, 1], ['use-lite int8 wasm 1×2', 1, 2], ['use-lite int8 wasm 2×1', 2, 1],
      ['use-lite int8 webgpu', 1, 0], // one GPU: WebGPU is one instance
    ]);
    expect(two.skipped).toEqual([
      { id: 'glove-100d js pool 4', reason: '4 workers on 2 cores' },
      { id: 'use-lite int8 wasm 2×2', reason: '2 workers × 2 threads needs 4 cores; this device has 2' },
      { id: 'use-lite int8 wasm 4×1', reason: '4 workers × 1 thread needs 4 cores; this device has 2' },
      { id: 'use-lite int8 wasm 4×2', reason: '4 workers × 2 threads needs 8 cores; this device has 2' },
    ]);
    // On 8 cores everything fits; on 1 core only the 1×1 baseline runs.
    expect(planMatrix(pooled, catalog, 8).skipped).toEqual([]);
    expect(planMatrix({ ...pooled, backends: ['wasm'] }, catalog, 1).cells.filter((c) => c.kind === 'transformer').map((c) => c.id)).toEqual(['use-lite int8 wasm 1×1']);
    expect(fitsCores(1, 1, 1)).toBe(true);
    expect(fitsCores(1, 4, 2)).toBe(false);
    expect(fitsCores(2, 2, 4)).toBe(true);
  });
  it('ignores unknown models and dtypes', () => {
    expect(expandMatrix({ ...choice, models: ['nope'] }, catalog)).toEqual([]);
    // A dtype the model's files do not hold is not a cell; one they hold (use-lite ships q4) is.
    expect(expandMatrix({ ...choice, models: ['use-lite'], dtypes: ['bnb4'] }, catalog)).toEqual([]);
    expect(expandMatrix({ ...choice, models: ['use-lite'], dtypes: ['q4'], backends: ['wasm'], threads: [1], pools: [1] }, catalog, 2).map((c) => c.id)).toEqual(['use-lite q4 wasm 1×1']);
  });
  it('the static suite times one worker and a pool of two unless told otherwise (issue #18 targets one of each)', async () => {
    const { suiteChoice } = await import('../../src/bench/run.ts');
    const staticChoice = suiteChoice('static', { suite: 'static' }, 9000);
    expect(staticChoice.pools).toEqual([1, 2]);
    const cells = planMatrix(staticChoice, catalog, 2).cells.filter((c) => c.model === 'glove-100d'); // this machine's 2 cores
    expect(cells.map((c) => c.pool)).toEqual([1, 2]);
    expect(suiteChoice('static', { suite: 'static', pools: [2] }, 9000).pools).toEqual([2]);
    expect(suiteChoice('transformer', { suite: 'transformer' }, 9000).pools).toEqual([1]);
  });
  it('pass length: the chosen sentences, capped by calls per pass, never less than one batch', () => {
    expect(passLength({ sentences: 256, maxCallsPerPass: 64 }, 1)).toBe(64);
    expect(passLength({ sentences: 256, maxCallsPerPass: 64 }, 32)).toBe(256);
    expect(passLength({ sentences: 8, maxCallsPerPass: 64 }, 32)).toBe(32);
  });
  it('texts cycle when the set is short; paragraphs are blank-line blocks', () => {
    expect(takeTexts(['a', 'b'], 5)).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(takeTexts([], 5)).toEqual([]);
    expect(splitParagraphs('short\n\n' + 'x '.repeat(150) + '\n  \n' + 'y\ny '.repeat(120), 200)).toHaveLength(2);
  });
  it('says what is wrong with a choice', () => {
    expect(problemsWith(choice, catalog)).toEqual([]);
    expect(problemsWith({ ...choice, models: [] }, catalog)[0]).toMatch(/at least one model/);
    expect(problemsWith({ ...choice, models: [] }, catalog, { search: true })).toEqual([]);
    const bad = problemsWith({ ...choice, batches: [], dtypes: [], threads: [], repeats: 0, sentences: 1.5, pools: [9] }, catalog);
    expect(bad.join('\n')).toMatch(/batch size[\s\S]*dtype[\s\S]*thread count[\s\S]*Repeats[\s\S]*Sentences per pass[\s\S]*Pool sizes/);
    expect(problemsWith({ ...choice, pools: [] }, catalog).join('\n')).toMatch(/at least one pool size/);
    expect(problemsWith({ ...choice, threads: [0.5] }, catalog).join('\n')).toMatch(/Thread counts must be whole numbers/);
  });
});

const sample: BenchReport = {
  env: { browser: 'Chromium 156', cores: 2, crossOriginIsolated: true, webgpu: { available: false, reason: 'no adapter | none' } },
  cells: [{ id: 'use-lite fp16 webgpu', status: 'failed', reason: 'WebGPU is not available here' }],
  results: [
    { suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype: 'int8', backend: 'wasm', threads: 2, batch: 8, value: 123.456789, min: 120.1, max: 130.9, repeats: 3 },
    { suite: 'transformer', metric: 'latency_ms', model: 'use-lite', dtype: 'int8', backend: 'wasm', threads: 2, batch: 8, value: 60.5, p95: 71.25, min: 55, max: 80, repeats: 12 },
    { suite: 'memory', metric: 'memory_bytes', source: 'model_weights', model: 'use-lite', dtype: 'int8', pool: 2, value: 14688716, covers: 'weights | per instance', repeats: 1 },
    { suite: 'transformer', metric: 'load_ms', model: 'use-lite', dtype: 'fp32', backend: 'webgpu', software: true, device: 'software (SwiftShader)', value: 56366, repeats: 1 },
    { suite: 'search', metric: 'top10_ms', precision: 'binary', kernel: 'wasm-simd', n: 100000, dims: 512, value: 0.000123456789, repeats: 5, note: null },
  ],
};

describe('report format', () => {
  it('markdown keeps every row, field and six significant digits, pipes included', () => {
    const md = toMarkdown(sample);
    expect(md).toContain('| suite | metric | value | min | max | p95 | repeats |');
    expect(md).toContain('- use-lite fp16 webgpu: failed — WebGPU is not available here');
    const back = parseReport(md, 'run.md');
    expect(back.results).toHaveLength(sample.results.length);
    sample.results.forEach((r, i) => {
      for (const [k, v] of Object.entries(r)) {
        if (typeof v === 'number' && Number.isInteger(v)) expect(back.results[i][k]).toBe(v);
        else if (typeof v === 'number') expect(Math.abs((back.results[i][k] as number) / v - 1)).toBeLessThan(5e-6);
        else expect(back.results[i][k]).toBe(v);
      }
    });
    expect(back.results[2].covers).toBe('weights | per instance');
    expect(back.env.cores).toBe(2);
    expect(back.env.webgpu).toEqual(sample.env.webgpu);
  });
  it('JSON is exact', () => {
    expect(parseReport(JSON.stringify(sample))).toEqual(sample);
  });
  it('rejects what is not a run, saying why and naming the file', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['{"results": 3}', /needs a "results" list/],
      ['{"results": [{"suite": "s", "metric": "m", "value": "fast"}]}', /result 1: the value of m is not a number/],
      ['{"results": [{"suite": "s", "metric": "m", "value": 1, "x": [1]}]}', /field "x" holds a list/],
      ['{"results": [', /not valid JSON/],
      ['# notes\n\njust text', /no results table/],
      ['| a | b |\n|---|---|\n| 1 | 2 |', /no suite, metric and value columns/],
      ['| suite | metric | value |\n|---|---|---|\n| s | m |', /line 3: 2 cells where the header has 3/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseReport(text, 'my-run.md')).toThrow(ReportFormatError);
      expect(() => parseReport(text, 'my-run.md')).toThrow(message);
      expect(() => parseReport(text, 'my-run.md')).toThrow(/my-run\.md/);
    }
  });
});

describe('chart data', () => {
  const rows: BenchRow[] = [
    { suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype: 'int8', backend: 'wasm', threads: 2, batch: 1, value: 10 },
    { suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype: 'int8', backend: 'wasm', threads: 2, batch: 32, value: 40 },
    { suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype: 'fp32', backend: 'wasm', pool: 2, threads: 1, batch: 8, value: 20 },
    { suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype: 'int8', backend: 'native', threads: 2, batch: 1, value: 30 },
    { suite: 'transformer', metric: 'latency_ms', model: 'use-lite', dtype: 'int8', backend: 'wasm', threads: 2, batch: 1, value: 100, p95: 150, max: 200 },
    { suite: 'memory', metric: 'memory_bytes', source: 'wasm_memory', model: 'use-lite', dtype: 'int8', backend: 'wasm', threads: 2, pool: 2, value: 5e7 },
    { suite: 'memory', metric: 'memory_bytes', source: 'index', model: 'use-lite', precision: 'binary', n: 100000, value: 6.4e6 },
  ];
  it('throughput: one line per variant over every batch size, gaps where a cell has no point, native rows left out', () => {
    const t = throughputChart(rows);
    expect(t.labels).toEqual(['1', '8', '32']);
    expect(t.series).toEqual([
      { label: 'use-lite int8 wasm 1×2', saved: false, data: [10, null, 40] }, // a run saved before pools: one worker
      { label: 'use-lite fp32 wasm 2×1', saved: false, data: [null, 20, null] },
    ]);
    expect(throughputChart(rows, rows.slice(0, 1)).series.at(-1)).toEqual({ label: 'saved · use-lite int8 wasm 1×2', saved: true, data: [10, null, null] });
  });
  it('latency and memory bars', () => {
    expect(latencyChart(rows)).toEqual({ labels: ['use-lite int8 wasm 1×2 · batch 1'], series: [{ label: 'median', data: [100] }, { label: 'p95', data: [150] }, { label: 'max', data: [200] }] });
    const m = memoryChart(rows);
    expect(m.labels).toEqual(['use-lite int8 wasm 2×2', 'use-lite index binary (100,000 vectors)']);
    expect(m.series).toEqual([{ label: 'wasm_memory', data: [5e7, null] }, { label: 'index', data: [null, 6.4e6] }]);
  });
  it('compares two runs on what each row measured', () => {
    const saved: BenchRow[] = [{ ...rows[0], value: 5, min: 4 }, { suite: 'x', metric: 'only_saved', value: 1 }];
    const c = compareRuns(rows.slice(0, 2), saved);
    expect(c.map((r) => [r.current, r.saved, r.ratio])).toEqual([[10, 5, 2], [40, null, null], [null, 1, null]]);
  });
  it('index bytes per precision: float32 4 bytes a dim, int8 1, binary 1 bit', () => {
    expect(indexBytes(512, 1000)).toEqual([
      { precision: 'float32', bytes: 2_048_000 },
      { precision: 'int8', bytes: 512_000 },
      { precision: 'binary', bytes: 64_000 },
    ]);
  });
});

describe('the transformers.js anchor and the target ratios', () => {
  it('transformers.js dtypes by file: our int8 (model_quantized.onnx) is its q8', async () => {
    const { transformersJsDtype } = await import('../../src/bench/transformersjs-dtypes.ts');
    const useLite = ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx', 'onnx/model_q4.onnx'];
    expect((['fp32', 'fp16', 'int8', 'q8', 'q4'] as const).map((d) => transformersJsDtype(d, useLite))).toEqual(['fp32', 'fp16', 'q8', 'q8', 'q4']);
    // A repository with transformers.js's own int8 file is read as int8.
    expect(transformersJsDtype('int8', ['onnx/model_int8.onnx', 'onnx/model_quantized.onnx'])).toBe('int8');
    expect(() => transformersJsDtype('fp16', ['onnx/model.onnx'])).toThrow(/no fp16 file/);
  });
  it('one anchor cell per model × dtype, after ours', () => {
    const cells = planMatrix({ ...defaultChoice, models: ['use-lite'], dtypes: ['fp32', 'int8'], backends: ['wasm'], threads: [1], pools: [1], anchor: true }, catalog, 2).cells;
    expect(cells.map((c) => c.id)).toEqual(['use-lite fp32 wasm 1×1', 'use-lite int8 wasm 1×1', 'use-lite fp32 transformers.js default', 'use-lite int8 transformers.js default']);
  });
  it('vs_transformersjs is our best configuration ÷ its default; int8 ÷ fp32 at each one’s best; pools ÷ 1×1', async () => {
    const { derivedRows } = await import('../../src/bench/derived.ts');
    const r = (dtype: string, backend: string, pool: number, threads: number, batch: number, value: number, extra: Partial<BenchRow> = {}): BenchRow =>
      ({ suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype, backend, pool, threads, batch, value, ...extra });
    const rows = [
      r('int8', 'wasm', 1, 1, 32, 60), r('int8', 'wasm', 1, 2, 32, 80), r('int8', 'wasm', 2, 1, 32, 110),
      r('fp32', 'wasm', 1, 1, 32, 50), r('fp32', 'wasm', 1, 2, 32, 88), r('fp32', 'wasm', 2, 1, 32, 70),
      r('int8', 'webgpu', 1, 0, 32, 500, { software: true }), // a software adapter never counts as ours
      r('int8', 'transformersjs', 1, 1, 32, 40),
      r('int8', 'native', 1, 2, 32, 600),
    ];
    const d = derivedRows(rows);
    expect(d.find((x) => x.metric === 'vs_transformersjs')).toMatchObject({ model: 'use-lite', dtype: 'int8', batch: 32, value: 110 / 40, best: 'wasm 2×1' });
    expect(d.find((x) => x.metric === 'int8_vs_fp32')).toMatchObject({ batch: 32, value: 110 / 88, int8_best: 'wasm 2×1', fp32_best: 'wasm 1×2' });
    expect(d.filter((x) => x.metric === 'pool_speedup').map((x) => [x.dtype, x.value])).toEqual([['int8', 110 / 60], ['fp32', 70 / 50]]);
  });
});

describe('native reference at its best', () => {
  it('our best ÷ native best over the thread counts it ran', async () => {
    const { nativeRows } = await import('../../src/bench/derived.ts');
    const r = (backend: string, threads: number, value: number, pool = 1): BenchRow => ({ suite: 'transformer', metric: 'sentences_per_s', model: 'use-lite', dtype: 'int8', backend, pool, threads, batch: 32, value });
    const rows = [r('wasm', 1, 60), r('wasm', 1, 100, 2), r('native', 1, 300), r('native', 2, 500)];
    expect(nativeRows(rows)).toEqual([{ suite: 'transformer', metric: 'best_vs_native_best', model: 'use-lite', dtype: 'int8', batch: 32, value: 0.2, best: 'wasm 2×1', native_best: 'native ×2', repeats: 1 }]);
  });
});

describe('warm-up', () => {
  it('passes until two in a row agree within 10 %, at most the limit', async () => {
    const { warmUntilSteady } = await import('../../src/bench/run.ts');
    const times = (xs: number[]) => {
      let i = 0;
      return async () => xs[Math.min(i++, xs.length - 1)];
    };
    // A fresh worker: slow while V8 compiles in the background, then steady.
    expect(await warmUntilSteady(times([400, 210, 120, 115]))).toBe(4);
    expect(await warmUntilSteady(times([100, 95]))).toBe(2);
    expect(await warmUntilSteady(times([100, 50, 100, 50, 100, 50]), 5)).toBe(5);
    expect(await warmUntilSteady(times([100]), 1)).toBe(1);
  });
});
