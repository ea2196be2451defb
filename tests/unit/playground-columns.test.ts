import { describe, expect, it } from 'vitest';
import { agreement, columnMatrix, compareColumns, difference, dimsChoices, flips, pickReference, planColumns, upperPairs } from '../../src/core/choose/columns.ts';
import { columnId, defaultPrefs, modelRef, parsePrefs, PREFS_KEY } from '../../src/core/choose/playground-prefs.ts';
import { spearman } from '../../src/core/eval/metrics.ts';
import { pseudoRandomRows } from '../helpers/random.ts';

const rows = (n: number, dims: number, seed = 7) => pseudoRandomRows(n, dims, seed);

describe('columnMatrix', () => {
  it('float32 is the cosine, symmetric with 1 on the diagonal', () => {
    const v = new Float32Array([1, 0, 0, 1, 1, 1]);
    const { matrix, n, bytesPerVector } = columnMatrix(v, 2, { precision: 'float32', dims: 2 });
    expect(n).toBe(3);
    expect(bytesPerVector).toBe(8);
    expect(matrix[0 * 3 + 1]).toBeCloseTo(0, 12);
    expect(matrix[0 * 3 + 2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(matrix[2 * 3 + 0]).toBe(matrix[0 * 3 + 2]);
    for (let i = 0; i < 3; i++) expect(matrix[i * 4]).toBeCloseTo(1, 6);
  });

  it('binary is 1 − 2·Hamming/bits over the sign bits', () => {
    // 10 dims (not a multiple of 8: the padding bits must not count).
    const a = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const b = [1, 1, 1, 1, 1, 1, 1, 1, -1, -1]; // 2 of 10 bits differ → 1 − 0.4
    const c = a.map((x) => -x); // all 10 differ → −1
    const { matrix, bytesPerVector } = columnMatrix(new Float32Array([...a, ...b, ...c]), 10, { precision: 'binary', dims: 10 });
    expect(bytesPerVector).toBe(2);
    expect(matrix[0 * 3 + 1]).toBeCloseTo(0.6, 12);
    expect(matrix[0 * 3 + 2]).toBeCloseTo(-1, 12);
    expect(matrix[1 * 3 + 2]).toBeCloseTo(-0.6, 12);
    expect(matrix[0]).toBe(1);
  });

  it('int8 calibrates on the sentences themselves and stays within a step of float32', () => {
    const v = rows(12, 64);
    const f = columnMatrix(v, 64, { precision: 'float32', dims: 64 });
    const q = columnMatrix(v, 64, { precision: 'int8', dims: 64 });
    expect(q.bytesPerVector).toBe(64);
    expect(q.calibration!.min).toHaveLength(64);
    let worst = 0;
    for (let i = 0; i < f.matrix.length; i++) worst = Math.max(worst, Math.abs(f.matrix[i] - q.matrix[i]));
    expect(worst).toBeGreaterThan(0); // really quantized
    expect(worst).toBeLessThan(0.02);
  });

  it('a Matryoshka width keeps the first dims and renormalises', () => {
    const v = new Float32Array([3, 4, 100, 3, 4, -100]);
    const full = columnMatrix(v, 3, { precision: 'float32', dims: 3 });
    const cut = columnMatrix(v, 3, { precision: 'float32', dims: 2 });
    expect(full.matrix[1]).toBeLessThan(0);
    expect(cut.matrix[1]).toBeCloseTo(1, 6);
    expect(cut.bytesPerVector).toBe(8);
    expect(() => columnMatrix(v, 3, { precision: 'float32', dims: 4 })).toThrow(/cannot show 3-dim vectors at 4 dims/);
    expect(() => columnMatrix(v, 3, { precision: 'float32', dims: 0 })).toThrow(RangeError);
  });
});

describe('agreement and flips', () => {
  const n = 4;
  const pairs = upperPairs(n);
  const matrixOf = (values: number[]) => {
    const m = new Float64Array(n * n).fill(1);
    pairs.forEach(([i, j], p) => (m[i * n + j] = m[j * n + i] = values[p]));
    return m;
  };
  const ref = matrixOf([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);

  it('is 1 for the same order, −1 for the reverse, Spearman over the pairs otherwise', () => {
    expect(agreement(matrixOf([0.5, 0.4, 0.3, 0.2, 0.1, 0]), ref, n)).toBeCloseTo(1, 12);
    expect(agreement(matrixOf([0, 0.1, 0.2, 0.3, 0.4, 0.5]), ref, n)).toBeCloseTo(-1, 12);
    const col = [0.9, 0.7, 0.8, 0.6, 0.5, 0.4];
    expect(agreement(matrixOf(col), ref, n)).toBeCloseTo(spearman(col, [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]), 12);
  });

  it('is null when undefined: under 3 sentences, or a column that scores every pair the same', () => {
    expect(agreement(new Float64Array(4).fill(1), new Float64Array(4).fill(1), 2)).toBeNull();
    expect(agreement(matrixOf([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]), ref, n)).toBeNull();
    expect(() => agreement(new Float64Array(9), ref, n)).toThrow(RangeError);
  });

  it('marks exactly the pairs that swapped places, not ties', () => {
    // Pairs 1 (0–2) and 2 (0–3) swapped; pairs 4 and 5 tied in the column: no flip.
    const { perCell, total } = flips(matrixOf([0.9, 0.7, 0.8, 0.6, 0.45, 0.45]), ref, n);
    expect(total).toBe(1);
    expect(perCell[0 * n + 2]).toBe(1);
    expect(perCell[2 * n + 0]).toBe(1);
    expect(perCell[0 * n + 3]).toBe(1);
    expect(perCell[0 * n + 1]).toBe(0);
    expect(perCell[2 * n + 3]).toBe(0);
    expect(perCell[1 * n + 3]).toBe(0);
    expect(flips(ref, ref, n).total).toBe(0);
  });

  it('difference is column − reference, and compareColumns refuses different sentence counts', () => {
    const col = matrixOf([1, 0.8, 0.7, 0.6, 0.5, 0.1]);
    expect(Array.from(difference(col, ref)).map((x) => +x.toFixed(6))).toContain(-0.3);
    const a = columnMatrix(rows(4, 8), 8, { precision: 'float32', dims: 8 });
    const b = columnMatrix(rows(5, 8), 8, { precision: 'float32', dims: 8 });
    expect(() => compareColumns(a, b)).toThrow(/4 sentences, the reference 5/);
    const self = compareColumns(a, a);
    expect(self.agreement).toBeCloseTo(1, 12);
    expect(self.maxAbsDifference).toBe(0);
  });

  it('binary of real-ish vectors agrees less with float32 than int8 does', () => {
    const v = rows(10, 96, 3);
    const f = columnMatrix(v, 96, { precision: 'float32', dims: 96 });
    const q = compareColumns(columnMatrix(v, 96, { precision: 'int8', dims: 96 }), f);
    const b = compareColumns(columnMatrix(v, 96, { precision: 'binary', dims: 96 }), f);
    expect(q.agreement!).toBeGreaterThan(0.99);
    expect(b.agreement!).toBeLessThan(q.agreement!);
    expect(b.flips.total).toBeGreaterThan(q.flips.total);
  });
});

describe('dimsChoices', () => {
  it('offers the declared Matryoshka widths below the model dims, widest first', () => {
    expect(dimsChoices(768, [64, 128, 256, 512, 768])).toEqual([768, 512, 256, 128, 64].map((dims) => ({ dims, trained: true })));
    expect(dimsChoices(100, [0, 1.5, 200, 50])).toEqual([{ dims: 100, trained: true }, { dims: 50, trained: true }]);
  });

  it('offers untrained halvings down to 16 when the model declares none', () => {
    expect(dimsChoices(100)).toEqual([{ dims: 100, trained: true }, { dims: 50, trained: false }, { dims: 25, trained: false }]);
    expect(dimsChoices(512, []).map((c) => c.dims)).toEqual([512, 256, 128, 64, 32, 16]);
    expect(dimsChoices(20)).toEqual([{ dims: 20, trained: true }]);
  });
});

describe('playground prefs', () => {
  it('starts on the defaults for nothing, junk or a foreign shape', () => {
    for (const raw of [null, '', '{', 'null', '42', '"x"', '[]']) expect(parsePrefs(raw)).toEqual(defaultPrefs());
    expect(PREFS_KEY).toMatch(/^embedscope\./);
  });

  it('keeps what it can read and drops the rest', () => {
    const prefs = parsePrefs(
      JSON.stringify({
        autoload: false,
        models: [{ ref: 'glove-100d', label: 'GloVe', spec: { id: 'glove-100d' }, instances: 2 }, { ref: 3 }, null, { ref: 'x', label: 'y', spec: {}, instances: 99 }],
        hidden: ['a', 4],
        reference: 'glove-100d | float32',
        views: { 'glove-100d': { precisions: ['int8', 'bogus', 'binary'], dims: 50 }, bad: { precisions: 'float32', dims: -1 }, worse: 7 },
      }),
    );
    expect(prefs.autoload).toBe(false);
    expect(prefs.models!.map((m) => [m.ref, m.instances])).toEqual([['glove-100d', 2], ['x', 1]]);
    expect(prefs.hidden).toEqual(['a']);
    expect(prefs.reference).toBe('glove-100d | float32');
    expect(prefs.views['glove-100d']).toEqual({ precisions: ['int8', 'binary'], dims: 50 });
    expect(prefs.views.bad).toEqual({ precisions: ['float32'], dims: null });
    expect(prefs.views.worse).toBeUndefined();
  });

  it('names models and columns stably', () => {
    expect(modelRef({ id: 'use-lite', dtype: 'int8', backend: 'auto' })).toBe('use-lite · int8 · auto');
    expect(modelRef({ id: 'glove-100d' })).toBe('glove-100d');
    expect(columnId('glove-100d', 'binary', null)).toBe('glove-100d | binary');
    expect(columnId('glove-100d', 'binary', 50)).toBe('glove-100d | binary | 50d');
  });
});

describe('planColumns and pickReference', () => {
  const models = [
    { key: 'g#1', ref: 'glove-100d', label: 'GloVe', status: 'ready' as const, dims: 100 },
    { key: 'u#2', ref: 'use-lite · int8 · wasm', label: 'USE', status: 'loading' as const, dims: null },
    { key: 'f#3', ref: 'broken', label: 'Broken', status: 'error' as const, dims: null },
  ];
  const views = { 'glove-100d': { precisions: ['binary', 'float32'] as const, dims: 50 } } as never;

  it('lists each model × chosen precision in a fixed order, skipping failed models', () => {
    const cols = planColumns(models, views, new Set(['glove-100d | binary | 50d']), columnId);
    expect(cols.map((c) => [c.id, c.status, c.hidden])).toEqual([
      ['glove-100d | float32 | 50d', 'ready', false],
      ['glove-100d | binary | 50d', 'ready', true],
      ['use-lite · int8 · wasm | float32', 'loading', false],
    ]);
  });

  it('ignores a remembered width the model does not have', () => {
    const cols = planColumns([{ ...models[0], dims: 40 }], views, new Set(), columnId);
    expect(cols[0].dims).toBeNull();
  });

  it('keeps the picked reference only while its model is active; never a hidden or loading column', () => {
    const cols = planColumns(
      [models[0], { ...models[1], status: 'ready', dims: 512 }],
      { 'glove-100d': { precisions: ['float32', 'int8'], dims: null } },
      new Set(['glove-100d | float32']),
      columnId,
    );
    expect(pickReference(cols, 'glove-100d | int8', 'g#1')!.id).toBe('glove-100d | int8');
    expect(pickReference(cols, 'glove-100d | int8', 'u#2')!.id).toBe('use-lite · int8 · wasm | float32');
    expect(pickReference(cols, 'glove-100d | float32', 'g#1')!.id).toBe('glove-100d | int8'); // hidden: next of the active model
    expect(pickReference(cols, null, null)!.id).toBe('glove-100d | int8');
    expect(pickReference(planColumns([models[1]], {}, new Set(), columnId), null, null)).toBeNull();
  });
});
