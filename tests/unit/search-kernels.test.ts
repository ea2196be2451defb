/**
 * The WASM SIMD search kernels (src/core/search/kernels.wat via scan.ts), tested directly against
 * brute force computed here in float64 — on random data, on ties and all-equal rows, and on
 * dims that are not a multiple of 4, 8 or 16 — for SIMD128 and relaxed SIMD, with an ordinary and
 * a shared memory. Node 20 validates relaxed SIMD only behind a V8 flag; it is set here so both
 * paths run (the app detects it with WebAssembly.validate, which the first test checks).
 */
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HAMMING_WIDTHS, KERNEL_VARIANTS, kernelsModuleSource } from '../../scripts/build-wasm.ts';
import { readFile } from 'node:fs/promises';
import { bestFlavor, BLOCK_ROWS, kernelModule, ScanError, ScanIndex, type Flavor } from '../../src/core/search/scan.ts';
import { scanJs } from '../../src/core/search/kernels.ts';
import { TopK, type Hit } from '../../src/core/search/topk.ts';
import type { KernelName, KernelQuery } from '../../src/core/precision/types.ts';
import * as wasm from '../../src/core/search/kernels-wasm.ts';

const relaxedBefore = WebAssembly.validate(Buffer.from(wasm.KERNELS_RELAXED_BASE64, 'base64'));
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

function random(seed: number) {
  return () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (seed >>> 0) / 2 ** 32;
  };
}
const int = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** Sort every row's score, best first, ties to the lower row: the obvious top-k. */
function bruteForce(scores: number[], k: number): Hit[] {
  return scores.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
}

interface Case {
  kernel: KernelName;
  dims: number;
  rows: Uint8Array;
  query: KernelQuery;
  /** Exact float64 scores (raw·scale + bias) of every row. */
  expected: number[];
}

/**
 * Values chosen so every sum is exact in float32 too (multiples of 1/64 times multiples of 1/64,
 * ≤ 512 terms), and integers for the code kernels: the kernels must then match brute force exactly,
 * ties included, whatever order they add in.
 */
function makeCase(kernel: KernelName, dims: number, n: number, seed: number, fill?: 'equal' | 'duplicates'): Case {
  const rand = random(seed);
  if (kernel === 'dot_f32') {
    const q = Float32Array.from({ length: dims }, () => int(rand, -64, 64) / 64);
    let rows = Float32Array.from({ length: n * dims }, () => int(rand, -64, 64) / 64);
    if (fill === 'equal') rows = Float32Array.from({ length: n * dims }, (_, i) => q[i % dims]);
    if (fill === 'duplicates') for (let r = 0; r < n; r++) rows.copyWithin(r * dims, (r % 7) * dims, (r % 7) * dims + dims);
    const expected = Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let d = 0; d < dims; d++) s += q[d] * rows[r * dims + d];
      return s;
    });
    return { kernel, dims, rows: new Uint8Array(rows.buffer), query: { kernel, bytes: new Uint8Array(q.buffer), raw: 'f32', scale: 1, bias: 0 }, expected };
  }
  if (kernel === 'dot_i8' || kernel === 'dot_u8') {
    const signed = kernel === 'dot_i8';
    // Weights as large as int8.ts allows for these dims (|Σ w·c| < 2^31).
    const limit = Math.min(32767, Math.floor((2 ** 31 - 1) / ((signed ? 128 : 255) * dims)));
    const w = Int16Array.from({ length: dims }, () => int(rand, -limit, limit));
    let codes = Uint8Array.from({ length: n * dims }, () => int(rand, 0, 255));
    if (fill === 'equal') codes = Uint8Array.from({ length: n * dims }, (_, i) => (i % dims) * 37);
    if (fill === 'duplicates') for (let r = 0; r < n; r++) codes.copyWithin(r * dims, (r % 7) * dims, (r % 7) * dims + dims);
    const view = signed ? new Int8Array(codes.buffer) : codes;
    // dot_i8 reads a code c as c − 1 below zero, −128 staying −128 (its bucket middle minus 128.5, precision/int8.ts).
    const value = (c: number) => (signed ? (c < 0 ? Math.max(-128, c - 1) : c) : c);
    const scale = 0.25;
    const bias = -3;
    const expected = Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let d = 0; d < dims; d++) s += w[d] * value(view[r * dims + d]);
      return s * scale + bias;
    });
    return { kernel, dims, rows: codes, query: { kernel, bytes: new Uint8Array(w.buffer), raw: 'i32', scale, bias }, expected };
  }
  const width = Math.ceil(dims / 8);
  const q = Uint8Array.from({ length: width }, () => int(rand, 0, 255));
  let rows = Uint8Array.from({ length: n * width }, () => int(rand, 0, 255));
  if (fill === 'equal') rows = Uint8Array.from({ length: n * width }, (_, i) => q[i % width] ^ 0x5a);
  if (fill === 'duplicates') for (let r = 0; r < n; r++) rows.copyWithin(r * width, (r % 7) * width, (r % 7) * width + width);
  const expected = Array.from({ length: n }, (_, r) => {
    let dist = 0;
    for (let b = 0; b < width; b++) for (let x = q[b] ^ rows[r * width + b]; x; x >>= 1) dist += x & 1;
    return 0 - dist; // not −0: the kernel's score is raw·(−1) + 0
  });
  return { kernel, dims, rows, query: { kernel, bytes: q, raw: 'i32', scale: -1, bias: 0 }, expected };
}

const KERNELS: KernelName[] = ['dot_f32', 'dot_i8', 'dot_u8', 'hamming'];
const DIMS = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 129, 512];

describe('search kernels: build and feature detection', () => {
  it('the embedded modules are kernels.wat assembled (run `npm run build:wasm` after editing it)', async () => {
    expect(await kernelsModuleSource()).toBe(await readFile(new URL('../../src/core/search/kernels-wasm.ts', import.meta.url), 'utf8'));
    expect(KERNEL_VARIANTS).toHaveLength(4);
  });

  it('relaxed SIMD is chosen exactly when WebAssembly.validate accepts it, SIMD128 otherwise', () => {
    // Node 20 (V8 11.3) lacks relaxed SIMD unless flagged; the flag above turns it on for the rest.
    expect(typeof relaxedBefore).toBe('boolean');
    expect(kernelModule('simd128', false)).not.toBeNull();
    expect(kernelModule('simd128', true)).not.toBeNull();
    expect(bestFlavor()).toBe(WebAssembly.validate(Buffer.from(wasm.KERNELS_RELAXED_BASE64, 'base64')) ? 'relaxed' : 'simd128');
    expect(bestFlavor()).toBe('relaxed');
  });
});

for (const flavor of ['simd128', 'relaxed'] as Flavor[]) {
  for (const shared of [false, true]) {
    describe(`${flavor} kernels, ${shared ? 'shared' : 'ordinary'} memory, equal brute force`, () => {
      for (const kernel of KERNELS) {
        it(`${kernel}: random rows, every dims from 1 to 512`, () => {
          for (const dims of DIMS) {
            const c = makeCase(kernel, dims, 257, dims * 31 + 1);
            const index = ScanIndex.from(c.rows, { kernel, dims }, { flavor, shared })!;
            expect(index.flavor).toBe(flavor);
            for (const k of [1, 10, 300]) expect(index.scan(c.query, k), `dims ${dims} k ${k}`).toEqual(bruteForce(c.expected, k));
          }
        });

        if (kernel === 'hamming') {
          it('hamming: the unrolled kernel of each common width (256…1024 bits) equals brute force and the loop kernel, odd row counts too', () => {
            for (const width of HAMMING_WIDTHS) {
              const dims = width * 8;
              for (const n of [1, 2, 3, 7, 256, 257, BLOCK_ROWS + 1, BLOCK_ROWS * 2 + 123]) {
                for (const fill of [undefined, 'duplicates', 'equal'] as const) {
                  const c = makeCase(kernel, dims, n, width * 7 + n, fill);
                  const index = ScanIndex.from(c.rows, { kernel, dims }, { flavor, shared })!;
                  expect(index.fixedWidth, `width ${width}`).toBe(true);
                  const loop = ScanIndex.attach(index.memory, index.layout, flavor, { anyWidth: true });
                  expect(loop.fixedWidth).toBe(false);
                  for (const k of [1, 10, 300]) {
                    const got = index.scan(c.query, k);
                    expect(got, `width ${width} n ${n} ${fill ?? 'random'} k ${k}`).toEqual(bruteForce(c.expected, k));
                    expect(loop.scan(c.query, k)).toEqual(got);
                  }
                  // Parts that start and end on odd rows (how workers split a scan), and rescoring's single rows.
                  if (n > 3) {
                    const cuts = [0, 1, Math.floor(n / 2) | 1, n];
                    const merged = new TopK(10);
                    cuts.slice(1).forEach((to, i) => index.scan(c.query, 10, cuts[i], to, i).forEach((h) => merged.push(h.index, h.score)));
                    expect(merged.result()).toEqual(bruteForce(c.expected, 10));
                  }
                  const some = [n - 1, 0, Math.floor(n / 3)];
                  expect(index.scoreRows(c.query, some)).toEqual(some.map((r) => c.expected[r]));
                }
              }
            }
          });

          it('hamming: widths without an unrolled kernel use the loop kernel', () => {
            for (const dims of [8, 100, 129, 520, 1032]) {
              const c = makeCase(kernel, dims, 33, dims);
              const index = ScanIndex.from(c.rows, { kernel, dims }, { flavor, shared })!;
              expect(index.fixedWidth, `dims ${dims}`).toBe(false);
              expect(index.scan(c.query, 10)).toEqual(bruteForce(c.expected, 10));
            }
          });
        }

        it(`${kernel}: ties go to the lower row (duplicated rows, all-equal rows)`, () => {
          for (const dims of [5, 16, 100]) {
            for (const fill of ['duplicates', 'equal'] as const) {
              const c = makeCase(kernel, dims, 50, 9, fill);
              const index = ScanIndex.from(c.rows, { kernel, dims }, { flavor, shared })!;
              const got = index.scan(c.query, 12);
              expect(got).toEqual(bruteForce(c.expected, 12));
              if (fill === 'equal') expect(got.map((h) => h.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
            }
          }
        });

        it(`${kernel}: scanning parts and merging (how several workers split a scan) equals one scan, across blocks`, () => {
          const n = BLOCK_ROWS * 2 + 123;
          const c = makeCase(kernel, 24, n, 5, 'duplicates');
          const index = ScanIndex.from(c.rows, { kernel, dims: 24 }, { flavor, shared })!;
          const whole = index.scan(c.query, 10);
          expect(whole).toEqual(bruteForce(c.expected, 10));
          const cuts = [0, 1000, BLOCK_ROWS + 7, n];
          const merged = new TopK(10);
          cuts.slice(1).forEach((to, i) => index.scan(c.query, 10, cuts[i], to, i).forEach((h) => merged.push(h.index, h.score)));
          expect(merged.result()).toEqual(whole);
        });
      }
    });
  }
}

describe('the JS kernels (fallback without SIMD) and the WASM ones agree', () => {
  for (const kernel of KERNELS) {
    it(kernel, () => {
      for (const dims of [7, 64, 129]) {
        const c = makeCase(kernel, dims, 400, 77);
        const top = new TopK(20);
        scanJs(c.query, c.rows, dims, top);
        expect(top.result()).toEqual(bruteForce(c.expected, 20));
        expect(ScanIndex.from(c.rows, { kernel, dims })!.scan(c.query, 20)).toEqual(top.result());
      }
    });
  }
});

describe('precisions through the kernels, edge cases', () => {
  it('a query of zeros scores every row the same under cosine: the first k rows (float32, int8, uint8)', async () => {
    const { calibrate, precisions } = await import('../../src/core/precision/index.ts');
    const dims = 20;
    const n = BLOCK_ROWS + 50;
    const rand = random(3);
    const rows = Float32Array.from({ length: n * dims }, () => rand() - 0.5);
    const cal = calibrate(rows, dims);
    for (const p of Object.values(precisions).filter((p) => p.scoring === 'cosine')) {
      const hits = p.topK(new Float32Array(dims), p.encode(rows, dims, cal), dims, 5, cal);
      expect(hits.map((h) => h.index), p.id).toEqual([0, 1, 2, 3, 4]);
    }
  });
});

describe('the read-ceiling kernel and the limits', () => {
  it('sum reads every byte (its checksum equals a JS sum of the same lanes)', () => {
    const c = makeCase('hamming', 512, 1000, 3);
    const index = ScanIndex.from(c.rows, { kernel: 'hamming', dims: 512 })!;
    const words = new Int32Array(c.rows.buffer);
    const lanes = [0, 0, 0, 0];
    for (let i = 0; i < words.length; i++) lanes[i % 4] = (lanes[i % 4] + words[i]) | 0;
    expect(index.sum()).toBe(lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3]);
  });

  it('a collection over 4 GiB is refused with its size named', () => {
    expect(() => ScanIndex.allocate({ kernel: 'dot_f32', dims: 1024, rows: 2_000_000 })).toThrow(ScanError);
    expect(() => ScanIndex.allocate({ kernel: 'dot_f32', dims: 1024, rows: 2_000_000 })).toThrow(
      '2,000,000 1024-dim vectors need 8.1 GB of memory to search; a tab can give a search at most 4.2 GB (WebAssembly\'s 4 GiB)',
    );
    expect(() => ScanIndex.allocate({ kernel: 'hamming', dims: 512, rows: 100_000 }, { maxBytes: 2e6 })).toThrow('searches are limited to 2 MB here');
  });

  it('a query of another kernel is refused', () => {
    const c = makeCase('dot_i8', 8, 10, 1);
    const index = ScanIndex.from(c.rows, { kernel: 'dot_u8', dims: 8 })!;
    expect(() => index.scan(c.query, 1)).toThrow('a dot_i8 query cannot scan dot_u8 rows');
  });
});
