import { describe, expect, it } from 'vitest';
import { calibrate, calibrationFromJson, calibrationToJson, isHamming, precisions, precisionById, scoringOf, truncateDims, type PrecisionId } from '../../src/core/precision/index.ts';
import { TopK } from '../../src/core/search/topk.ts';
import { popcount32 } from '../../src/core/search/kernels.ts';
import { searchWithRescore } from '../../src/core/search/rescore.ts';

const { float32, int8, uint8, binary, ubinary } = precisions;
const f32 = (xs: number[]) => new Float32Array(xs);

describe('precisions, hand-computed (sentence-transformers definitions)', () => {
  it('float32 stores unit rows', () => {
    expect(float32.encode(f32([3, 4, 0, 0]), 2)).toEqual(f32([0.6, 0.8, 0, 0]));
    expect(float32.bytesPerVector(512)).toBe(2048);
  });

  // dim 0 calibrated over [0, 255] (step 1), dim 1 over [-1, 1] (step 2/255)
  const cal = calibrate(f32([0, -1, 255, 1, 7, 0]), 2);

  it('calibration keeps each dimension’s min and max', () => {
    expect(Array.from(cal.min)).toEqual([0, -1]);
    expect(Array.from(cal.max)).toEqual([255, 1]);
  });

  it('uint8 = trunc((x − min) / step); int8 = trunc((x − min) / step − 128), truncating toward zero', () => {
    const rows = f32([100.7, 0, 255, 1, -5, -2]);
    // 100.7 → 100; 0 in [-1,1] → 127.5 → 127 | max → 255 | below the range → clamped to 0
    expect(Array.from(uint8.encode(rows, 2, cal))).toEqual([100, 127, 255, 255, 0, 0]);
    // 100.7 − 128 → −27.3 → −27; 127.5 − 128 → −0.5 → 0 | 127 | clamped to −128
    expect(Array.from(int8.encode(rows, 2, cal))).toEqual([-27, 0, 127, 127, -128, -128]);
    expect(() => int8.encode(rows, 2)).toThrow(/need calibration ranges/);
    expect(() => int8.encode(f32([1, 2, 3]), 3, cal)).toThrow('calibration has 2 dims, the vectors have 3');
  });

  it('binary / ubinary: x > 0 → 1, 8 dims a byte, first dim in the top bit, rows padded to whole bytes', () => {
    const row = f32([0.5, -1, 0, 2, 0.1, -0.1, 3, 0, 1]); // bits 1001 1010 | 1(000 0000)
    expect(Array.from(ubinary.encode(row, 9))).toEqual([0b10011010, 0b10000000]);
    expect(Array.from(binary.encode(row, 9))).toEqual([0b10011010 - 128, 0]);
    expect(binary.bytesPerVector(512)).toBe(64);
    expect(binary.bytesPerVector(9)).toBe(2);
  });

  it('Hamming distance is the same for binary and ubinary storage', () => {
    const rows = f32([0.5, -1, 0, 2, 0.1, -0.1, 3, 0, 1]);
    const query = f32([1, 1, 1, 1, 1, 1, 1, 1, 1]); // 1111 1111 | 1 → differs in 4 bits
    for (const p of [binary, ubinary]) {
      expect(p.topK(query, p.encode(rows, 9), 9, 1)).toEqual([{ index: 0, score: -4 }]);
    }
  });

  it('rescoreRow gives the unpacked bits and the integer values', () => {
    const out = new Float32Array(9);
    binary.rescoreRow(binary.encode(f32([0.5, -1, 0, 2, 0.1, -0.1, 3, 0, 1]), 9), 9, 0, out);
    expect(Array.from(out)).toEqual([1, 0, 0, 1, 1, 0, 1, 0, 1]);
    // int8 rows come back as their bucket's middle: 100.7 − 128 = −27.3 truncates to −27, whose
    // bucket is (100, 101] → 100.5; 0 maps to code 0 (bucket (−1, 1) around 128 steps) → read as
    // −1 + 128.5·2/255 = 2/255, half a step above its middle (int8.ts says why)
    const two = new Float32Array(2);
    int8.rescoreRow(int8.encode(f32([100.7, 0]), 2, cal), 2, 0, two, cal);
    expect(two[0]).toBeCloseTo(100.5, 4);
    expect(two[1]).toBeCloseTo(2 / 255, 5);
    // uint8: 100.7 → code 100, bucket [100, 101) → 100.5
    uint8.rescoreRow(uint8.encode(f32([100.7, 0]), 2, cal), 2, 0, two, cal);
    expect(two[0]).toBeCloseTo(100.5, 4);
  });

  it('Matryoshka truncation keeps a prefix and renormalises', () => {
    expect(truncateDims(f32([3, 4, 12, 0, 5, 3]), 3, 2)).toEqual(f32([0.6, 0.8, 0, 1]));
    expect(() => truncateDims(f32([1, 2]), 2, 3)).toThrow('cannot truncate 2-dim vectors to 3 dims');
  });

  it('unknown precision names are refused with the list of known ones', () => {
    expect(() => precisionById('int4')).toThrow('unknown precision "int4": use one of float32, int8, uint8, binary, ubinary');
  });

  it('each precision describes itself: storage, NumPy dtype, scoring kind, kernel, bytes per vector', () => {
    const described = Object.values(precisions).map((p) => [p.id, p.storage.name, p.numpyDtype, p.scoring, p.kernel, p.bytesPerVector(100)]);
    expect(described).toEqual([
      ['float32', 'Float32Array', '<f4', 'cosine', 'dot_f32', 400],
      ['int8', 'Int8Array', '|i1', 'cosine', 'dot_i8', 100],
      ['uint8', 'Uint8Array', '|u1', 'cosine', 'dot_u8', 100],
      ['binary', 'Int8Array', '|i1', 'hamming', 'hamming', 13],
      ['ubinary', 'Uint8Array', '|u1', 'hamming', 'hamming', 13],
    ]);
    expect(['float32', 'int8', 'uint8', 'binary', 'ubinary'].map(isHamming)).toEqual([false, false, false, true, true]);
    expect(scoringOf('ubinary')).toBe('hamming');
    // encode gives the storage type, so a block read back as `storage` is what was written
    for (const p of Object.values(precisions)) expect(p.encode(f32([1, -1, 0.5, 0]), 2, cal)).toBeInstanceOf(p.storage);
  });

  it('calibration goes to JSON (IndexedDB, export manifests) and back unchanged', () => {
    const json = calibrationToJson(cal);
    expect(json).toEqual({ min: [0, -1], max: [255, 1] });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(calibrationFromJson(json)).toEqual(cal);
    expect(calibrationFromJson(null)).toBeUndefined();
  });

  it('popcount32', () => {
    expect([0, 1, 0xff, 0x80000000, 0xffffffff, 0x12345678].map(popcount32)).toEqual([0, 1, 8, 1, 32, 13]);
  });
});

/** A seeded generator, so a failure reproduces. */
function random(seed: number) {
  return () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((seed >>> 0) / 2 ** 32) * 2 - 1;
  };
}

describe('exact search equals a brute-force reference on random data', () => {
  const dims = 64;
  const n = 700;
  const rand = random(42);
  const rows = new Float32Array(n * dims).map(() => rand());
  const cal = calibrate(rows, dims);

  for (const id of ['float32', 'int8', 'uint8', 'binary', 'ubinary'] as PrecisionId[]) {
    it(id, () => {
      const p = precisions[id];
      const stored = p.encode(rows, dims, cal);
      for (let q = 0; q < 5; q++) {
        const query = new Float32Array(dims).map(() => rand());
        // Brute force: score every row the slow, obvious way, then sort.
        const qEnc = p.encode(query, dims, cal);
        const scores: { index: number; score: number }[] = [];
        for (let r = 0; r < n; r++) {
          let score = 0;
          if (id === 'binary' || id === 'ubinary') {
            const bytes = dims / 8;
            for (let b = 0; b < bytes; b++) {
              let x = ((qEnc[b] as number) ^ (stored[r * bytes + b] as number)) & 0xff;
              while (x) { score -= x & 1; x >>= 1; }
            }
          } else if (id === 'float32') {
            for (let d = 0; d < dims; d++) score += (qEnc[d] as number) * (stored[r * dims + d] as number);
          } else {
            // int8 family, in float64 from the definition: the unit query against each row
            // dequantized to its bucket's middle (uint8 code c: [c, c+1) steps above min → c + ½;
            // int8 c ≥ 0: c + 128.5, c < 0: c + 127.5, and −128, the minimum itself, +0.5 like 0).
            const norm = Math.hypot(...query);
            for (let d = 0; d < dims; d++) {
              const step = (cal.max[d] - cal.min[d]) / 255;
              const c = stored[r * dims + d] as number;
              const middle = id === 'uint8' ? c + 0.5 : c >= 0 ? c + 128.5 : Math.max(c + 127.5, 0.5);
              score += (query[d] / norm) * (cal.min[d] + middle * step);
            }
          }
          scores.push({ index: r, score });
        }
        scores.sort((a, b) => b.score - a.score || a.index - b.index);
        const got = p.topK(query, stored, dims, 10, cal);
        if (p.needsCalibration) {
          // The kernel rounds the folded query weights to int16: each score may be off by at most
          // ½ unit of the largest weight per dimension × the largest code; within that the ranking must hold.
          const byIndex = new Map(scores.map((s) => [s.index, s.score]));
          const norm = Math.hypot(...query);
          const largest = Math.max(...Array.from(query, (x, d) => (Math.abs(x) / norm) * ((cal.max[d] - cal.min[d]) / 255)));
          const maxCode = id === 'int8' ? 128 : 255;
          const tol = dims * maxCode * 0.5 * (largest / Math.min(32767, Math.floor((2 ** 31 - 1) / (maxCode * dims))));
          got.forEach((h, i) => {
            expect(Math.abs(h.score - byIndex.get(h.index)!)).toBeLessThanOrEqual(tol);
            expect(byIndex.get(h.index)!).toBeGreaterThanOrEqual(scores[i].score - 2 * tol);
          });
          expect(got.map((h) => h.index)).toEqual(scores.slice(0, 10).map((h) => h.index)); // no near-ties in this data
        } else {
          expect(got.map((h) => h.index)).toEqual(scores.slice(0, 10).map((h) => h.index));
          got.forEach((h, i) => expect(h.score).toBeCloseTo(scores[i].score, 3));
        }
      }
    });
  }

  it('TopK with k larger than n returns everything, best first', () => {
    const top = new TopK(5);
    [3, 1, 2].forEach((s, i) => top.push(i, s));
    expect(top.result()).toEqual([{ index: 0, score: 3 }, { index: 2, score: 2 }, { index: 1, score: 1 }]);
  });
});

describe('rescoring', () => {
  it('binary candidates rescored with float32 recover the exact top-k that binary alone misses', () => {
    const dims = 64;
    const n = 2000;
    const rand = random(7);
    const rows = new Float32Array(n * dims).map(() => rand());
    const storedF32 = float32.encode(rows, dims);
    const storedBin = binary.encode(rows, dims);
    let binaryOnly = 0;
    let rescored = 0;
    for (let q = 0; q < 20; q++) {
      const query = new Float32Array(dims).map(() => rand());
      const exact = new Set(float32.topK(query, storedF32, dims, 10).map((h) => h.index));
      const overlap = (hits: { index: number }[]) => hits.filter((h) => exact.has(h.index)).length;
      binaryOnly += overlap(binary.topK(query, storedBin, dims, 10));
      const hits = searchWithRescore({
        query, dims, k: 10, multiplier: 40,
        candidates: { precision: binary, stored: storedBin },
        rescoreWith: { precision: float32, stored: storedF32 },
      });
      rescored += overlap(hits);
      expect(hits).toHaveLength(10);
      expect(hits[0].score).toBeLessThanOrEqual(1.000001); // cosine
    }
    expect(rescored).toBeGreaterThan(binaryOnly);
    expect(rescored / 200).toBeGreaterThan(0.9);
  });
});
