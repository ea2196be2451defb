import { describe, expect, it } from 'vitest';
import {
  bytesPerVector,
  corpusSizeProblem,
  expandVariants,
  measurementKey,
  paretoFront,
  qualityLanguageProblem,
  recommend,
  type Measured,
  type Variant,
} from '../../src/core/choose/variants.ts';
import { formatBytes } from '../../src/core/util/format.ts';

const variant = (id: string, stored: Variant['stored'] = 'float32', dims = 100): Variant => ({ id, model: id, modelLabel: id, kind: 'static', dtype: 'int8', stored, dims, modelDims: dims });
const row = (id: string, ndcg: number | null, speed: number | null, stored: Variant['stored'] = 'float32', dims = 100, status: Measured['status'] = 'done'): Measured => ({
  variant: variant(id, stored, dims),
  status,
  quality: { ndcg10: ndcg },
  sentencesPerS: speed,
  latencyMs: speed === null ? null : 1000 / speed,
  downloadBytes: null,
  memoryBytes: null,
});

describe('expandVariants', () => {
  it('crosses model × dtype × width × stored precision in a stable order', () => {
    const v = expandVariants([
      { id: 'glove-100d', label: 'GloVe', kind: 'static', dtypes: ['int8'], dims: 100 },
      { id: 'use-lite', label: 'USE', kind: 'transformer', dtypes: ['fp32', 'int8'], dims: 512, matryoshkaDims: [256, 512, 4] },
    ]);
    expect(v).toHaveLength(4 + 2 * 2 * 4);
    expect(v.slice(0, 4).map((x) => x.id)).toEqual(['glove-100d · int8 · float32', 'glove-100d · int8 · int8', 'glove-100d · int8 · binary', 'glove-100d · int8 · binary+rescore']);
    expect(v.filter((x) => x.dims === 256).map((x) => x.id)).toContain('use-lite · fp32 · binary · 256d');
    expect(new Set(v.map((x) => x.id)).size).toBe(v.length);
  });

  it('counts bytes per vector as the store packs them', () => {
    expect(bytesPerVector('float32', 100)).toEqual({ index: 400, rescoreRows: 0 });
    expect(bytesPerVector('int8', 100)).toEqual({ index: 100, rescoreRows: 0 });
    expect(bytesPerVector('binary', 100)).toEqual({ index: 13, rescoreRows: 0 });
    expect(bytesPerVector('binary+rescore', 512)).toEqual({ index: 64, rescoreRows: 2048 });
  });
});

describe('paretoFront', () => {
  it('keeps the variants no other beats on both axes', () => {
    const rows = [row('a', 0.8, 100), row('b', 0.7, 300), row('c', 0.7, 200), row('d', 0.6, 300), row('e', 0.9, 50), row('f', null, 1000)];
    const front = paretoFront(rows, (r) => r.quality.ndcg10 ?? null, (r) => r.sentencesPerS, 'higher');
    expect([...front].map((r) => r.variant.id).sort()).toEqual(['a', 'b', 'e']);
  });

  it('with bytes, lower is better', () => {
    const rows = [row('f32', 0.8, 1, 'float32'), row('i8', 0.79, 1, 'int8'), row('bin', 0.6, 1, 'binary'), row('i8b', 0.5, 1, 'int8')];
    const front = paretoFront(rows, (r) => r.quality.ndcg10 ?? null, (r) => bytesPerVector(r.variant.stored, r.variant.dims).index, 'lower');
    expect([...front].map((r) => r.variant.id).sort()).toEqual(['bin', 'f32', 'i8']);
  });
});

describe('recommend', () => {
  const rows = [
    row('f32', 0.8, 100, 'float32'),
    row('i8', 0.795, 100, 'int8'), // −0.6 %: within 1 %
    row('fast', 0.793, 400, 'float32'), // −0.9 %: within 1 %, fastest
    row('rescore', 0.786, 100, 'binary+rescore'), // −1.75 %: within 2 %, smallest index
    row('bin', 0.7, 100, 'binary'), // −12.5 %: too far
    row('broken', null, null, 'float32', 100, 'failed'),
  ];

  it('picks the three goals with reasons in numbers', () => {
    const [best, fastest, smallest] = recommend(rows, 'ndcg10', 1_000_000, formatBytes);
    expect(best.pick!.variant.id).toBe('f32');
    expect(best.reasons[0]).toContain('NDCG@10 (STS-B retrieval) 0.8000, the highest of 5 measured variants (next: 0.7950)');
    expect(best.reasons.join(' ')).toContain('1 variant without NDCG@10');
    expect(fastest.pick!.variant.id).toBe('fast');
    expect(fastest.reasons[0]).toContain('0.9 % below the best (0.8000)');
    expect(fastest.reasons[1]).toContain('400 sentences/s, 4.00× the best-quality variant');
    expect(smallest.pick!.variant.id).toBe('rescore');
    expect(smallest.reasons[1]).toContain('Index of 1,000,000 vectors: 13 MB (13 B a vector), 30.8× smaller than the best-quality variant\'s 400 MB');
    expect(smallest.reasons[2]).toContain('float32 rows (400 MB)');
  });

  it('says so when nothing is measured, and skips variants without the metric', () => {
    const none = recommend([row('x', null, 5, 'float32', 100, 'cancelled')], 'ndcg10', 10, formatBytes);
    expect(none.every((r) => r.pick === null)).toBe(true);
    expect(none[0].reasons[0]).toMatch(/No variant has NDCG@10/);
    const spearmanless = recommend(rows, 'spearman', 10, formatBytes);
    expect(spearmanless[0].pick).toBeNull();
  });

  it('ties go to the faster variant', () => {
    const [best] = recommend([row('slow', 0.8, 10), row('quick', 0.8, 20)], 'ndcg10', 10, formatBytes);
    expect(best.pick!.variant.id).toBe('quick');
  });
});

describe('bad input', () => {
  it('refuses a corpus size of 0, a fraction, or an absurd one, with a reason', () => {
    expect(corpusSizeProblem(0)).toMatch(/at least 1 vector/);
    expect(corpusSizeProblem(-5)).toMatch(/at least 1 vector/);
    expect(corpusSizeProblem(2.5)).toMatch(/whole number/);
    expect(corpusSizeProblem(Number.NaN)).toMatch(/whole number/);
    expect(corpusSizeProblem(1e13)).toMatch(/10,000,000,000,000 vectors is more than 1,000,000,000/);
    expect(corpusSizeProblem(1_000_000)).toBeNull();
  });

  it('gives a model with no STS data in its language a reason instead of a score', () => {
    expect(qualityLanguageProblem({ languages: ['fr', 'de'], modelLabel: 'CamemBERT' })).toMatch(/No STS or retrieval data in fr, de: the shipped STS-B sets are English/);
    expect(qualityLanguageProblem({ languages: ['en', 'fr'], modelLabel: 'm' })).toBeNull();
    expect(qualityLanguageProblem({ modelLabel: 'unknown' })).toBeNull();
  });

  it('cache keys change with every part they depend on', () => {
    const base = { device: '2 cores', browser: 'Chromium 156', model: 'use-lite', dtype: 'int8', config: 'wasm×2', data: 'abc', what: 'speed' as const };
    const keys = new Set([measurementKey(base), ...Object.keys(base).map((k) => measurementKey({ ...base, [k]: k === 'what' ? 'quality' : 'other' }))]);
    expect(keys.size).toBe(8);
  });
});

describe('summarizeSpeed', () => {
  it('reads the best batch, one-sentence latency, download and one instance from bench rows', async () => {
    const { summarizeSpeed } = await import('../../src/core/choose/speed.ts');
    const rows = [
      { suite: 'transformer', metric: 'sentences_per_s', batch: 1, value: 90 },
      { suite: 'transformer', metric: 'latency_ms', batch: 1, value: 11.1 },
      { suite: 'transformer', metric: 'sentences_per_s', batch: 32, value: 310 },
      { suite: 'transformer', metric: 'latency_ms', batch: 32, value: 103 },
      { suite: 'memory', metric: 'memory_bytes', source: 'model_file', pool: 1, value: 7_300_000 },
      { suite: 'memory', metric: 'memory_bytes', source: 'model_weights', pool: 1, value: 7_000_000 },
      { suite: 'memory', metric: 'memory_bytes', source: 'wasm_memory', pool: 1, value: 40_000_000 },
      { suite: 'memory', metric: 'memory_bytes', source: 'index', value: 1 },
    ];
    expect(summarizeSpeed(rows)).toEqual({ sentencesPerS: 310, bestBatch: 32, latencyMs: 11.1, downloadBytes: 7_300_000, memoryBytes: 40_000_000 });
    // A static model: no WASM heap, its weights are the memory.
    expect(summarizeSpeed(rows.filter((r) => r.source !== 'wasm_memory')).memoryBytes).toBe(7_000_000);
    expect(summarizeSpeed([])).toEqual({ sentencesPerS: null, bestBatch: null, latencyMs: null, downloadBytes: null, memoryBytes: null });
  });
});

describe('Choose files', () => {
  it('round-trips and refuses what is not one, saying why', async () => {
    const { toChooseFile, parseChooseFile } = await import('../../src/core/choose/report.ts');
    const file = toChooseFile({ browser: 'Chromium 156', cores: 2 }, [row('a', 0.8, 100)]);
    expect(parseChooseFile(JSON.stringify(file))).toEqual(file);
    expect(() => parseChooseFile('{', 'x.json')).toThrow(/x\.json is not JSON/);
    expect(() => parseChooseFile('{"env":{},"results":[]}')).toThrow(/not a Choose run.*Benchmark view/);
    expect(() => parseChooseFile(JSON.stringify({ ...file, version: 2 }))).toThrow(/version 2/);
    expect(() => parseChooseFile(JSON.stringify({ ...file, env: undefined }))).toThrow(/no environment card/);
    expect(() => parseChooseFile(JSON.stringify({ ...file, rows: [] }))).toThrow(/no measured variants/);
    expect(() => parseChooseFile(JSON.stringify({ ...file, rows: [{ ...file.rows[0], sentencesPerS: 'fast' }] }))).toThrow(/row 1: not a measured variant/);
  });
});

describe('recommend with ties', () => {
  it('names the tied variants and says when the best is already the smallest', () => {
    const rows = [row('use f32', 0.9387, 14, 'float32', 512), row('use i8', 0.9387, 14, 'int8', 512), row('use rescore', 0.9387, 14, 'binary+rescore', 512), row('use bin', 0.93, 14, 'binary', 512)];
    const [best, fastest, smallest] = recommend(rows, 'ndcg10', 1000, formatBytes);
    expect(best.pick!.variant.id).toBe('use rescore');
    expect(best.reasons[1]).toBe('Tied with use f32, use i8 (the same NDCG@10 (STS-B retrieval)): chosen as the faster, then the smaller index.');
    expect(fastest.reasons[1]).toContain('it is the best-quality variant itself');
    expect(smallest.reasons[1]).toContain('the best-quality variant is already the smallest');
  });
});

describe('reproduce snippets', () => {
  it('names the transformers.js dtype, the model2vec route for static models, and each stored step', async () => {
    const { calibrationJson, embedSnippet, quantizeSnippet } = await import('../../src/core/choose/snippet.ts');
    const use = { model: 'use-lite', kind: 'transformer' as const, dtype: 'int8', stored: 'binary+rescore' as const, dims: 256, modelDims: 512 };
    expect(embedSnippet(use)).toContain("AutoModel.from_pretrained('use-lite', { dtype: 'q8', device: 'wasm' })");
    expect(embedSnippet({ ...use, dtype: 'fp32' })).toContain("dtype: 'fp32'");
    expect(embedSnippet({ ...use, kind: 'static', model: 'glove-100d' })).toContain('from model2vec import StaticModel');
    const q = quantizeSnippet(use);
    expect(q).toContain('first 256 of 512 dimensions');
    expect(q).toContain('1 - (2 * hamming(a, b)) / bits');
    expect(q).toContain('top k × 4');
    expect(quantizeSnippet({ ...use, stored: 'int8', dims: 512 })).toContain('Math.trunc((x - min[d]) / step - 128)');
    expect(quantizeSnippet({ ...use, stored: 'float32', dims: 512 })).toContain('float32');
    const cal = JSON.parse(calibrationJson({ min: new Float32Array([-1, 0.5]), max: new Float32Array([1, 2]) }, 'test'));
    expect(cal).toMatchObject({ source: 'test', min: [-1, 0.5], max: [1, 2] });
  });
});

describe('planSpeed: Choose measures speed on Auto\'s kept configuration when there is one', () => {
  it('uses the kept configuration and says so; the default says how to get a better one; static models have none', async () => {
    const { planSpeed } = await import('../../src/core/choose/speed.ts');
    const auto = planSpeed('transformer', { backend: 'wasm', pool: 2, threads: 1 }, 2);
    expect(auto.config).toEqual({ backend: 'wasm', pool: 2, threads: 1 });
    expect(auto.label).toBe("Auto's fastest configuration on this device: 2 workers × 1 WASM thread");
    const fallback = planSpeed('transformer', null, 2);
    expect(fallback.config).toEqual({ backend: 'wasm', pool: 1, threads: 2 });
    expect(fallback.label).toMatch(/^default configuration \(1 worker × 2 WASM threads\): load this model on Auto/);
    // Another configuration is another measurement: the cache keys differ.
    expect(auto.key).not.toBe(fallback.key);
    expect(planSpeed('transformer', { backend: 'webgpu', pool: 1, threads: 0 }, 2).label).toMatch(/WebGPU$/);
    expect(planSpeed('static', { backend: 'wasm', pool: 2, threads: 1 }, 2).key).toBe('js');
  });
});
