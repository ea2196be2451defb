/**
 * `--shard i/n`: a chunk belongs to shard i when the first 32 bits of its content hash, mod n, are
 * i. No coordinator: n machines running the same corpus with i = 0 … n−1 write parts that
 * together hold every chunk exactly once (same text → same hash → same shard everywhere).
 */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new Error(`--shard takes i/n with 0 ≤ i < n (e.g. 0/3, 1/3, 2/3), not "${spec}"`);
  return { index, count };
}

export function inShard(hash: string, shard: Shard): boolean {
  return parseInt(hash.slice(0, 8), 16) % shard.count === shard.index;
}
