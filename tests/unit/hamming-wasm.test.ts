import { describe, expect, it } from 'vitest';
import { assembleHamming } from '../../scripts/build-wasm.ts';
import { HAMMING_WASM_BASE64 } from '../../src/core/search/hamming-wasm.ts';
import { HammingIndex } from '../../src/core/search/hamming-index.ts';
import { topKHamming } from '../../src/core/search/kernels.ts';
import { TopK } from '../../src/core/search/topk.ts';
import { precisions } from '../../src/core/precision/index.ts';

describe('WASM SIMD Hamming kernel', () => {
  it('the embedded bytes are hamming.wat assembled (run `npm run build:wasm` after editing it)', async () => {
    expect(Buffer.from(await assembleHamming()).toString('base64')).toBe(HAMMING_WASM_BASE64);
  });

  it('gives exactly the JS kernel’s top-k on random rows of 128, 512 and 1024 bits', () => {
    let seed = 5;
    const byte = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24);
    for (const bytesPerRow of [16, 64, 128]) {
      const n = 5000;
      const stored = Uint8Array.from({ length: n * bytesPerRow }, byte);
      const index = HammingIndex.create(stored, bytesPerRow);
      expect(index).not.toBeNull();
      for (let q = 0; q < 5; q++) {
        const query = Uint8Array.from({ length: bytesPerRow }, byte);
        const js = new TopK(25);
        topKHamming(query, stored, bytesPerRow, js);
        expect(index!.topK(query, 25)).toEqual(js.result());
      }
    }
  });

  it('declines rows that are not whole 16-byte chunks (the JS kernel handles those)', () => {
    expect(HammingIndex.create(new Uint8Array(13 * 10), 13)).toBeNull();
  });

  it('agrees with the binary precision on real packed embeddings', () => {
    const dims = 256;
    const rows = Float32Array.from({ length: 300 * dims }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const packed = precisions.binary.encode(rows, dims) as Int8Array;
    const index = HammingIndex.create(new Uint8Array(packed.buffer), dims / 8)!;
    const query = rows.subarray(7 * dims, 8 * dims);
    const qBits = new Uint8Array((precisions.binary.encode(query, dims) as Int8Array).buffer);
    expect(index.topK(qBits, 10)).toEqual(precisions.binary.topK(query, packed, dims, 10));
    expect(index.topK(qBits, 1)[0].index).toBe(7); // a row is nearest to itself
  });
});
