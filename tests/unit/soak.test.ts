/**
 * The soak run's plan and verdicts (src/bench/soak-plan.ts), and the defects the soak found,
 * each with the test that failed before its fix.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { cellsThatFit, chunksThatFit, compareTexts, FULL, MIN_SLOPE_CYCLES, planSoak, slope, soakTexts, TARGETS, theilSen, verdictRows, type SoakMeasurements } from '../../src/bench/soak-plan.ts';
import { normalizeRows } from '../../src/core/util/vectors.ts';
import { precisions } from '../../src/core/precision/index.ts';
import { QuotaError, VectorStore } from '../../src/core/store/store.ts';
import { runIngestJob } from '../../src/core/store/ingest.ts';
import { exportNpy, parseNpyImport } from '../../src/core/store/transfer.ts';
import { summarise, type ProcessDump } from '../../src/bench/soak-memory.ts';

describe('soak plan', () => {
  it('is the issue’s full size at 10 minutes and scales down below', () => {
    const full = planSoak(10);
    expect(full).toMatchObject({ cycles: FULL.cycles, chunks: FULL.chunks, interleavedSearches: FULL.searches - 200 });
    const short = planSoak(2);
    // A cell's cycles are never scaled down (a slope from 6 is noise): fewer minutes measure fewer cells.
    expect(short.cycles).toBe(FULL.cycles);
    expect(short.chunks).toBe(60_000);
    expect(short.cyclesMs + short.ingestMs).toBeLessThan(2 * 60_000);
    expect(planSoak(30).chunks).toBe(FULL.chunks); // never more than the full run
  });

  it('refuses minutes that are not a positive number', () => {
    expect(() => planSoak(0)).toThrow(/positive/);
    expect(() => planSoak(Number('abc'))).toThrow(/positive/);
  });

  it('fits the chunks to the measured rate, within the plan and a floor that lets every fault land', () => {
    const plan = planSoak(2);
    expect(chunksThatFit(plan, 100_000)).toBe(plan.chunks);
    expect(chunksThatFit(plan, 100)).toBe(10_000);
    expect(chunksThatFit(plan, 1000)).toBe(15_000); // 1000/s × 30 s × 0.5
  });

  it('gives each cell that fits all its cycles, in priority order, skipping one too dear for a cheaper one after it', () => {
    const cells = [
      { cell: 'glove ×1', costMs: 500 },
      { cell: 'use-lite ×1', costMs: 4000 },
      { cell: 'glove ×2', costMs: 700 },
    ];
    // 30 cycles × 1.1 margin: 16.5 s, 132 s, 23.1 s.
    expect(cellsThatFit(cells, 30, 45_000)).toEqual(['glove ×1', 'glove ×2']);
    expect(cellsThatFit(cells, 30, 150_000)).toEqual(['glove ×1', 'use-lite ×1']);
    expect(cellsThatFit(cells, 30, 180_000)).toEqual(['glove ×1', 'use-lite ×1', 'glove ×2']);
    expect(cellsThatFit(cells, 30, 10_000)).toEqual([]);
  });
});

describe('soak arithmetic', () => {
  it('slope is the least-squares step per point', () => {
    expect(slope([5, 5, 5])).toBe(0);
    expect(slope([0, 2, 4, 6])).toBeCloseTo(2);
    expect(slope([10])).toBe(0);
  });

  it('Theil–Sen ignores a spike that least squares follows, and pools series without their offsets', () => {
    const flat = Array.from({ length: 30 }, (_, i) => 200 + (i % 3)); // no growth, ±1 of noise
    const spiked = [...flat.slice(0, 29), 390]; // one reading mid-teardown, at the end (use-lite: 390 before 200 after)
    expect(Math.abs(theilSen(spiked))).toBeLessThan(0.1);
    expect(slope(spiked)).toBeGreaterThan(1); // a failed verdict from one reading
    expect(theilSen([0, 2, 4, 6])).toBe(2);
    // Two cells, each flat at its own level: pooled, no growth (their offset is not a slope).
    expect(theilSen([100, 100, 100], [300, 300, 300])).toBe(0);
    expect(theilSen([0, 1, 2], [50, 51, 52])).toBe(1);
    expect(theilSen([7])).toBeNaN();
  });

  it('compareTexts counts lost, duplicated and unexpected rows', () => {
    expect(compareTexts(['a', 'b', 'c'], ['a', 'b', 'c'])).toEqual({ lost: 0, duplicated: 0, unexpected: 0, stored: 3 });
    expect(compareTexts(['a', 'b', 'c'], ['a', 'a', 'c', 'z'])).toEqual({ lost: 1, duplicated: 1, unexpected: 1, stored: 4 });
  });

  it('soakTexts repeats the base with a pass mark so every chunk is distinct', () => {
    const t = soakTexts(['x', 'y', 'x', ' '], 5);
    expect(t).toEqual(['x', 'y', 'x (soak pass 1)', 'y (soak pass 1)', 'x (soak pass 2)']);
    expect(new Set(soakTexts(['a', 'b', 'c'], 1000)).size).toBe(1000);
  });

  const MB = 2 ** 20;
  const flatCycles = (level: number, perCycleMb = 0) => Array.from({ length: 30 }, (_, i) => level + (i * perCycleMb + ((i * 7) % 5) * 0.3) * MB);
  const good: SoakMeasurements = {
    memoryAfterFirstCycle: 300e6,
    cellCycles: [
      { cell: 'glove ×1', memory: flatCycles(300e6) },
      { cell: 'use-lite ×1', memory: flatCycles(320e6) },
    ],
    memoryEnd: 310e6,
    memorySource: 'test',
    chunksSubmitted: 10,
    lost: 0,
    duplicated: 0,
    precisionRows: { float32: 10, int8: 10, binary: 10 },
    firstSearchesMs: [10, 11, 12],
    lastSearchesMs: [11, 12, 13],
    freshSearchesMs: [10, 11, 12],
    workersAfterUnload: [0, 0],
  };

  it('verdict rows name the issue’s metrics and pass a clean run', () => {
    const rows = verdictRows(good);
    for (const metric of ['chunks_lost', 'chunks_duplicated', 'memory_growth_ratio', 'memory_slope_mb_per_cycle', 'search_slowdown_ratio']) {
      expect(rows.find((r) => r.metric === metric), metric).toMatchObject({ suite: 'soak', pass: true });
    }
  });

  it('each target fails on its own', () => {
    const fails = (m: Partial<SoakMeasurements>) => verdictRows({ ...good, ...m }).filter((r) => r.pass === false).map((r) => r.metric);
    expect(fails({ memoryEnd: 300e6 * (TARGETS.memoryGrowthRatio + 0.01) })).toEqual(['memory_growth_ratio']);
    // A leak of 2 MB per cycle in one cell: that cell's verdict fails, and the pooled slope does not hide it.
    const leaky = [good.cellCycles[0], { cell: 'use-lite ×1', memory: flatCycles(320e6, 2) }];
    expect(fails({ cellCycles: leaky })).toEqual(['memory_slope_cell_mb_per_cycle']);
    expect(fails({ cellCycles: leaky.map((c) => ({ ...c, memory: flatCycles(300e6, 2) })) })).toEqual(['memory_slope_mb_per_cycle', 'memory_slope_cell_mb_per_cycle', 'memory_slope_cell_mb_per_cycle']);
    expect(fails({ lost: 1 })).toEqual(['chunks_lost']);
    expect(fails({ duplicated: 2 })).toEqual(['chunks_duplicated']);
    expect(fails({ precisionRows: { float32: 10, int8: 9, binary: 10 } })).toEqual(['precision_rows']);
    expect(fails({ lastSearchesMs: [13, 14, 15] })).toEqual(['search_slowdown_ratio']);
    // Against the fresh page beside the last ones when there is one: a slow machine at the start
    // does not pass a slowdown, a slow machine at the end does not fail a page that kept its speed.
    expect(fails({ firstSearchesMs: [5, 5, 5], lastSearchesMs: [11, 12, 13], freshSearchesMs: [11, 12, 13] })).toEqual([]);
    expect(fails({ firstSearchesMs: [20, 20, 20], lastSearchesMs: [15, 15, 15], freshSearchesMs: [11, 12, 13] })).toEqual(['search_slowdown_ratio']);
    expect(fails({ workersAfterUnload: [0, 1] })).toEqual(['workers_after_unload']);
  });

  it('a slope from too few cycles gets no verdict, and says so', () => {
    const rows = verdictRows({ ...good, cellCycles: [{ cell: 'use-lite ×2', memory: flatCycles(300e6, 5).slice(0, MIN_SLOPE_CYCLES - 1) }], cellsNotMeasured: ['use-lite fp16 ×2 (~400 s)'] });
    const headline = rows.find((r) => r.metric === 'memory_slope_mb_per_cycle')!;
    expect(headline.pass).toBeUndefined();
    expect(String(headline.note)).toMatch(/not measured/);
    expect(String(headline.not_measured)).toMatch(/fp16 ×2.*use-lite ×2 \(9 cycles\)/);
    expect(rows.find((r) => r.metric === 'memory_slope_cell_mb_per_cycle')!.pass).toBeUndefined();
  });
});

describe('found by the soak', () => {
  // Rows of few nonzero values (a short text under a static model: glove averages 1–3 words)
  // scaled by 1/‖x‖ ≈ 1 ± 1e-7 moved a last bit, so a normalised row normalised again changed: the
  // soak's export + re-import differed in 39 of 60,000 float32 rows.
  const sparseRows = (n: number, dims: number) => {
    let s = 12345;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows = new Float32Array(n * dims);
    for (let i = 0; i < rows.length; i++) rows[i] = rnd() < 0.05 ? rnd() : 0;
    return rows;
  };

  it('normalising rows that are already unit length changes no bit', () => {
    const unit = normalizeRows(sparseRows(5000, 100), 100);
    const again = normalizeRows(unit, 100);
    let changed = 0;
    for (let i = 0; i < unit.length; i++) if (again[i] !== unit[i]) changed++;
    expect(changed).toBe(0);
    // Rows that are not unit length are still normalised.
    const scaled = normalizeRows(unit.map((x) => x * 3), 100);
    for (let i = 0; i < 1000; i++) expect(scaled[i]).toBeCloseTo(unit[i], 6);
  });

  it('a NumPy export imported back holds the same float32 bytes', async () => {
    const dims = 100;
    const store = await VectorStore.open(`soak-roundtrip-${Math.random()}`);
    const c = await store.createCollection({ name: 'rt', modelId: 'm', modelDims: dims, precisions: ['float32', 'int8', 'binary'] });
    const n = 300;
    const job = await store.enqueue(c.id, Array.from({ length: n }, (_, i) => ({ text: `text ${i}`, source: 's' })));
    const batch = await store.nextBatch(job.id, n);
    // Model outputs are unit length; sparse ones are those whose float32 moved.
    await store.commitBatch(job.id, batch, normalizeRows(sparseRows(n, dims), dims), dims);
    const stored = await store.collection(c.id);
    const vectors = { float32: await store.loadVectors(c.id, 'float32') };
    const { files } = exportNpy({ name: 'rt', model: 'm', modelDims: dims, dims, calibration: stored.calibration, chunks: await store.chunks(c.id), vectors });
    const imported = await store.importCollection(parseNpyImport(Object.fromEntries(Object.entries(files).map(([name, content]) => [name, typeof content === 'string' ? new TextEncoder().encode(content) : content]))), { precisions: ['float32', 'int8', 'binary'] });
    for (const p of ['float32', 'int8', 'binary'] as const) {
      const a = await store.loadVectors(c.id, p);
      const b = await store.loadVectors(imported.id, p);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength)), p).toBe(true);
    }
    expect(precisions.float32.bytesPerVector(dims)).toBe(400);
    store.close();
  });

  it('a full disk that refuses even the job status still says "Storage is full", and the store stays exact', async () => {
    const dims = 100;
    const store = await VectorStore.open(`soak-quota-${Math.random()}`);
    const c = await store.createCollection({ name: 'q', modelId: 'm', modelDims: dims, precisions: ['float32'] });
    const job = await store.enqueue(c.id, Array.from({ length: 64 }, (_, i) => ({ text: `t ${i}`, source: 's' })));
    // The browser's refusal, as the soak saw it at 67,584 of 280,000 chunks: every write fails.
    const full = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const commit = store.commitBatch.bind(store);
    let commits = 0;
    store.commitBatch = async (...args: Parameters<VectorStore['commitBatch']>) => {
      if (++commits > 1) throw new QuotaError('Storage is full: the browser refused to store this batch.');
      return commit(...args);
    };
    const setStatus = store.setJobStatus.bind(store);
    store.setJobStatus = async (id, status, error) => {
      if (status !== 'running') throw full;
      return setStatus(id, status, error);
    };
    const embed = async (texts: string[]) => ({ vectors: normalizeRows(sparseRows(texts.length, dims), dims), dims });
    await expect(runIngestJob({ store, jobId: job.id, embed, batchSize: 16 })).rejects.toThrow(/Storage is full/);
    expect((await store.collection(c.id)).count).toBe(16);
    expect((await store.nextBatch(job.id, 100)).length).toBe(48); // the rest still pending: nothing lost
    store.close();
  });
});

describe('soak memory breakdown', () => {
  it('sums the renderers’ allocators from a memory-infra dump, each isolate’s heap by kind, and leaves other processes out', () => {
    const MB = 2 ** 20;
    const dumps: ProcessDump[] = [
      {
        pid: 1,
        privateFootprint: 100 * MB,
        allocators: {
          malloc: 30 * MB,
          'malloc/partitions': 29 * MB,
          'malloc/allocated_objects/__abc': 1 * MB,
          v8: 20 * MB,
          'v8/main/heap': 12 * MB,
          'v8/main/heap/old_space': 8 * MB,
          'v8/workers/heap': 5 * MB,
          'v8/workers/heap/large_object_space': 4 * MB,
          'v8/workers/malloc/isolate_0x2D741055C000': 1 * MB,
          'partition_alloc/partitions/buffer': 40 * MB,
          'partition_alloc/partitions/buffer/buckets': 40 * MB,
        },
        details: {},
      },
      { pid: 2, privateFootprint: 20 * MB, allocators: { malloc: 5 * MB, v8: 2 * MB }, details: {} },
      { pid: 3, privateFootprint: 500 * MB, allocators: { malloc: 400 * MB }, details: {} }, // the browser process
    ];
    const s = summarise(dumps, [1, 2]);
    expect(s).toMatchObject({ private_footprint: 120, malloc: 35, v8: 22, 'v8/main/heap': 12, 'partition_alloc/partitions/buffer': 40 });
    // The dump sums every worker isolate under v8/workers; sub-spaces and buckets are not counted twice.
    expect(s['v8/workers/heap']).toBe(5);
    expect(Object.keys(s).some((k) => /space|buckets|__abc|isolate_/.test(k))).toBe(false);
  });
});
