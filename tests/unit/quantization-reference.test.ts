/**
 * Our int8/uint8/binary/ubinary encoders (src/core/precision/) against an independent expected
 * result: codes from a NumPy implementation of sentence-transformers' `quantize_embeddings`
 * (../shared/data/quantization-reference/, skipped without it), and a small case computed by hand
 * below so a fresh clone still checks the formulas.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate, precisionById, type Calibration } from '../../src/core/precision/index.ts';

const referenceFile = resolve(import.meta.dirname, '../../../shared/data/quantization-reference/quantization-reference.json');

interface ReferenceCase {
  dims: number;
  rows: number;
  embeddings: number[][];
  calibration: number[][];
  ranges: { min: number[]; max: number[] };
  int8: number[][];
  uint8: number[][];
  binary: number[][];
  ubinary: number[][];
  rounding_edges: { int8: number; uint8: number };
}

const flat = (rows: number[][]) => Float32Array.from(rows.flat());

describe('a hand-computed case (no ../shared needed)', () => {
  // 2 rows × 3 dims. Ranges: dim 0 [-1, 1] → step 2/255; dim 1 [0, 0.51] → step 0.002; dim 2 never varied.
  const cal: Calibration = { min: Float32Array.from([-1, 0, 0.25]), max: Float32Array.from([1, 0.51, 0.25]) };
  const rows = Float32Array.from([0.5, 0.2, 0.25, -1, 0.51, -0.3]);
  it('uint8 = trunc((x − min) / step); a dimension without range takes the lowest code', () => {
    // (0.5 + 1) / (2/255) = 191.25 → 191; 0.2 / 0.002 = 100 (float32 0.2 is a hair above) → 100;
    // (−1 + 1) → 0; 0.51 / 0.002 = 255 → 255 (255 is the top bucket, kept).
    expect(Array.from(precisionById('uint8').encode(rows, 3, cal))).toEqual([191, 100, 0, 0, 255, 0]);
  });
  it('int8 = trunc((x − min) / step − 128)', () => {
    // 191.25 − 128 = 63.25 → 63; 100.0000034 − 128 = −27.9999966 → −27 (trunc goes toward zero, as NumPy's
    // astype does); −128; 255 − 128 = 127. Lowest code for no range: −128.
    expect(Array.from(precisionById('int8').encode(rows, 3, cal))).toEqual([63, -27, -128, -128, 127, -128]);
  });
  it('ubinary packs x > 0 most significant bit first, each row padded to a whole byte; binary = ubinary − 128', () => {
    // Row 0: 1 1 1 → 0b1110_0000 = 224; row 1: 0 1 0 → 0b0100_0000 = 64.
    expect(Array.from(precisionById('ubinary').encode(rows, 3))).toEqual([224, 64]);
    expect(Array.from(precisionById('binary').encode(rows, 3))).toEqual([96, -64]);
  });
});

describe.skipIf(!existsSync(referenceFile))('NumPy reference (../shared/data/quantization-reference)', () => {
  const reference = existsSync(referenceFile) ? (JSON.parse(readFileSync(referenceFile, 'utf8')) as { numpy: string; cases: ReferenceCase[] }) : { numpy: '', cases: [] };

  for (const c of reference.cases) {
    describe(`${c.rows} rows × ${c.dims} dims`, () => {
      const embeddings = flat(c.embeddings);
      it('calibration ranges equal the reference min/max', () => {
        const cal = calibrate(flat(c.calibration), c.dims);
        expect(Array.from(cal.min)).toEqual(Array.from(Float32Array.from(c.ranges.min)));
        expect(Array.from(cal.max)).toEqual(Array.from(Float32Array.from(c.ranges.max)));
      });

      for (const id of ['int8', 'uint8'] as const) {
        it(`${id}: every code within 1 of NumPy's, and off by 1 on at most 0.5 % (float64 vs float32 rounding edges)`, () => {
          const cal = { min: Float32Array.from(c.ranges.min), max: Float32Array.from(c.ranges.max) };
          const ours = precisionById(id).encode(embeddings, c.dims, cal);
          const want = c[id].flat();
          expect(ours.length).toBe(want.length);
          let offByOne = 0;
          for (let i = 0; i < want.length; i++) {
            const diff = Math.abs(ours[i] - want[i]);
            expect(diff, `code ${i}`).toBeLessThanOrEqual(1);
            if (diff === 1) offByOne++;
          }
          // The reference counts the codes a plain float64 evaluation flips (rounding_edges): a
          // handful, which is what the README's tolerance is for.
          expect(offByOne).toBeLessThanOrEqual(Math.floor(0.005 * want.length));
        });
      }

      for (const id of ['binary', 'ubinary'] as const) {
        it(`${id}: the same bytes as NumPy's packbits`, () => {
          expect(Array.from(precisionById(id).encode(embeddings, c.dims))).toEqual(c[id].flat());
        });
      }
    });
  }
});
