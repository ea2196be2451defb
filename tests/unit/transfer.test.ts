import { describe, expect, it } from 'vitest';
import { exportNpy, parseJsonlImport, parseNpyImport, readNpy, writeNpy, ImportError } from '../../src/core/store/transfer.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('.npy', () => {
  it('writes NumPy 1.0 files (64-byte aligned header) that read back exactly', () => {
    for (const data of [new Float32Array([1.5, -2, 3, 4, 5, 6]), new Int8Array([-128, 0, 127, 1, 2, 3]), new Uint8Array([0, 255, 7, 8, 9, 10])]) {
      const bytes = writeNpy(data, [2, 3]);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength))).toMatch(/^\{'descr': '(<f4|\|i1|\|u1)', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
      const back = readNpy(bytes, 'x.npy');
      expect(back.shape).toEqual([2, 3]);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('refuses what it cannot read, saying why', () => {
    const good = writeNpy(new Float32Array(6), [2, 3]);
    expect(() => readNpy(enc('hello, not numpy'), 'a.npy')).toThrow('a.npy is not a NumPy .npy file');
    expect(() => readNpy(good.slice(0, good.length - 4), 'b.npy')).toThrow('b.npy is truncated: a 2 × 3 <f4 array needs 24 bytes of data, the file has 20');
    const f64 = good.slice();
    f64.set(enc("{'descr': '<f8'"), 10);
    expect(() => readNpy(f64, 'c.npy')).toThrow("c.npy holds <f8 values; Embedscope reads float32 (<f4), int8 (|i1) and uint8 (|u1)");
  });
});

describe('JSONL import', () => {
  it('reads text + vector lines and skips (and counts) unreadable ones', () => {
    const text = ['{"text": "a", "vector": [1, 0]}', 'not json', '{"text": "b", "vector": [0, 1], "source": "s.txt"}', '{"text": 3, "vector": [1]}', ''].join('\n');
    const rows = parseJsonlImport(text, 'mine.jsonl');
    expect(rows.texts).toEqual([{ text: 'a', source: 'mine.jsonl' }, { text: 'b', source: 's.txt' }]);
    expect(Array.from(rows.float32)).toEqual([1, 0, 0, 1]);
    expect(rows.skipped).toBe(2);
    expect(rows.problems).toEqual(['line 2: not JSON', 'line 4: needs "text" (a string) and "vector" (finite numbers)']);
  });
  it('refuses mixed dims and files with nothing usable', () => {
    expect(() => parseJsonlImport('{"text":"a","vector":[1,2]}\n{"text":"b","vector":[1,2,3]}', 'x.jsonl')).toThrow('x.jsonl, line 2: a 3-dim vector among 2-dim ones');
    expect(() => parseJsonlImport('\u0000\u0001binary junk', 'y.jsonl')).toThrow(ImportError);
  });
});

describe('NumPy bundle import', () => {
  const chunks = [{ text: 'a', source: 's' }, { text: 'b', source: 's' }];
  const bundle = () => {
    const { files } = exportNpy({
      name: 'n', model: 'glove-100d', modelDims: 2, dims: 2, calibration: null, chunks,
      vectors: { float32: new Float32Array([1, 0, 0, 1]), binary: new Int8Array([-128 + 128, -128]) },
    });
    return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? enc(v) : v]));
  };
  it('round-trips an export', () => {
    const rows = parseNpyImport(bundle());
    expect(rows).toMatchObject({ name: 'n', model: 'glove-100d', dims: 2, texts: chunks });
    expect(Array.from(rows.float32)).toEqual([1, 0, 0, 1]);
  });
  it('refuses incomplete or inconsistent bundles', () => {
    const noManifest = bundle();
    delete noManifest['manifest.json'];
    expect(() => parseNpyImport(noManifest)).toThrow('needs its manifest.json');
    const noTexts = bundle();
    noTexts['texts.jsonl'] = enc('{"text":"a"}\n');
    expect(() => parseNpyImport(noTexts)).toThrow('texts.jsonl has 1 texts but float32.npy has 2 vectors');
    const binaryOnly = bundle();
    const manifest = JSON.parse(new TextDecoder().decode(binaryOnly['manifest.json']));
    manifest.precisions = manifest.precisions.filter((p: { precision: string }) => p.precision !== 'float32');
    binaryOnly['manifest.json'] = enc(JSON.stringify(manifest));
    expect(() => parseNpyImport(binaryOnly)).toThrow('the bundle keeps only binary; importing needs float32.npy');
  });
});
