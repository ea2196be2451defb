/**
 * A scan split over workers (src/core/search/pool.ts) with rescoring, by the calling worker after
 * the merge or inside each worker: the result equals one worker rescoring the global top
 * candidates, on data built to be adversarial —
 * 37-bit rows whose Hamming distances tie by the hundred at the candidates' cut, and float32
 * rescoring scores that tie too. The helpers run the very steps of workers/scan.worker.ts
 * (search/helper.ts) over real shared WebAssembly memory, in this process, answering
 * asynchronously as a worker does.
 */
import { describe, expect, it, vi } from 'vitest';
import { precisions } from '../../src/core/precision/index.ts';
import type { KernelQuery } from '../../src/core/precision/types.ts';
import { MAX_INSTANCES, ScanHelper } from '../../src/core/search/helper.ts';
import { ScanPool, type HelperPort } from '../../src/core/search/pool.ts';
import type { ScanReply, ScanRequest } from '../../src/core/search/pool-protocol.ts';
import { BLOCK_ROWS, ScanIndex } from '../../src/core/search/scan.ts';
import { TopK, type Hit } from '../../src/core/search/topk.ts';

function random(seed: number) {
  return () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (seed >>> 0) / 2 ** 32;
  };
}

/** Helpers that run ScanHelper in this process; each answer comes in a later task, like a worker's. */
function inProcessHelpers() {
  const helpers: ScanHelper[] = [];
  const spawn = (): HelperPort => {
    const helper = new ScanHelper();
    helpers.push(helper);
    const port: HelperPort = {
      onmessage: null,
      onerror: null,
      postMessage(msg: ScanRequest) {
        setTimeout(() => port.onmessage?.({ data: helper.handle(msg) } as MessageEvent<ScanReply>));
      },
      terminate() {},
    };
    return port;
  };
  return { helpers, spawn };
}

const best = (hits: Hit[], k: number) => [...hits].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);

describe('rescoring a scan split over workers', () => {
  const dims = 37; // 5 bytes of bits a row: distances 0…37, so hundreds of rows tie at any cut
  const n = BLOCK_ROWS * 2 + 123;
  const rand = random(11);
  // Multiples of 1/64 from a few values: every float32 dot product is exact, and many tie.
  const values = Float32Array.from({ length: n * dims }, () => (Math.floor(rand() * 5) - 2) / 64);
  for (let r = 0; r < n; r += 5) values.copyWithin(r * dims, (r % 97) * dims, (r % 97) * dims + dims); // duplicated rows too
  const bits = precisions.binary.encode(values, dims);
  const binary = ScanIndex.from(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), { kernel: 'hamming', dims }, { shared: true })!;
  const float32 = ScanIndex.from(new Uint8Array(values.buffer), { kernel: 'dot_f32', dims }, { shared: true })!;
  const queries = Array.from({ length: 6 }, (_, q) => Float32Array.from({ length: dims }, (_, d) => (((q * 7 + d * 3) % 9) - 4) / 64));

  /** The obvious answer in float64: the top `candidates` by Hamming distance, ties to the lower row, rescored by dot product. */
  function reference(q: Float32Array, candidates: number, k: number): Hit[] {
    const width = Math.ceil(dims / 8);
    const qBits = precisions.binary.kernelQuery(q, dims).bytes;
    const byHamming = Array.from({ length: n }, (_, r) => {
      let dist = 0;
      for (let b = 0; b < width; b++) for (let x = qBits[b] ^ (bits[r * width + b] & 0xff); x; x >>= 1) dist += x & 1;
      return { index: r, score: 0 - dist };
    });
    const rescored = best(byHamming, candidates).map(({ index }) => {
      let s = 0;
      for (let d = 0; d < dims; d++) s += q[d] * values[index * dims + d];
      return { index, score: s };
    });
    return best(rescored, k);
  }

  const f32Query = (q: Float32Array): KernelQuery => ({ kernel: 'dot_f32', bytes: new Uint8Array(q.slice().buffer), raw: 'f32', scale: 1, bias: 0 });

  for (const workers of [1, 2, 3]) for (const where of ['caller', 'workers'] as const) {
    it(`${workers} worker(s), rescored by the ${where}: the best 10 of the global top 40 by Hamming, rescored in float32, as brute force finds them`, async () => {
      const { spawn } = inProcessHelpers();
      const pool = new ScanPool(spawn, workers, 0);
      expect(pool.partsFor(binary)).toBe(workers);
      for (const q of queries) {
        const got = await pool.topKRescored(binary, 'bits', precisions.binary.kernelQuery(q, dims), 40, 10, { index: float32, key: 'floats', query: f32Query(q) }, where);
        expect(got).toEqual(reference(q, 40, 10));
      }
      pool.dispose();
    });
  }

  it('the data is adversarial: rescoring every worker\'s own top 40 (their union) instead of the global top 40 changes the result', async () => {
    const { spawn } = inProcessHelpers();
    const pool = new ScanPool(spawn, 3, 0);
    let differs = 0;
    for (const q of queries) {
      const kq = precisions.binary.kernelQuery(q, dims);
      const union = [0, 1, 2].flatMap((i) => binary.scan(kq, 40, Math.round((n * i) / 3), Math.round((n * (i + 1)) / 3)));
      const scores = float32.scoreRows(f32Query(q), union.map((h) => h.index));
      const naive = new TopK(10);
      union.forEach((h, i) => naive.push(h.index, scores[i]));
      if (JSON.stringify(naive.result()) !== JSON.stringify(reference(q, 40, 10))) differs++;
    }
    expect(differs).toBeGreaterThan(0);
    pool.dispose();
  });

  it('a helper keeps the scanned and the rescoring rows between searches, lets go of what is released, and of the least recently used past MAX_INSTANCES', async () => {
    const { spawn, helpers } = inProcessHelpers();
    const pool = new ScanPool(spawn, 2, 0);
    const q = queries[0];
    const rescoreWith = { index: float32, key: 'floats:1', query: f32Query(q) };
    await pool.topKRescored(binary, 'bits:1', precisions.binary.kernelQuery(q, dims), 40, 10, rescoreWith, 'workers');
    expect(await pool.release([])).toEqual([['bits:1', 'floats:1']]);
    // Binary alone, then rescored again (the Compare view's two columns): the float32 instance is
    // still there, not instantiated anew.
    const attach = vi.spyOn(ScanIndex, 'attach');
    await pool.topK(binary, 'bits:1', precisions.binary.kernelQuery(q, dims), 10);
    await pool.topKRescored(binary, 'bits:1', precisions.binary.kernelQuery(q, dims), 40, 10, rescoreWith, 'workers');
    expect(attach).not.toHaveBeenCalled();
    attach.mockRestore();
    expect(await pool.release(['floats:1'])).toEqual([['bits:1']]);
    for (let i = 0; i < MAX_INSTANCES + 2; i++) await pool.topK(float32, `floats:${i + 2}`, f32Query(q), 10);
    expect(helpers[0].held).toEqual(Array.from({ length: MAX_INSTANCES }, (_, i) => `floats:${i + 4}`));
    expect(await pool.release(helpers[0].held)).toEqual([[]]);
    pool.dispose();
  });
});
