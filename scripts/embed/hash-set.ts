/**
 * The run's set of content hashes (which chunks are in the output already), kept as their 16
 * bytes in an open-addressing table — no string a hash, no Map entry. Workers send a task's
 * hashes as bytes (hexBytes) and the main thread answers which are new.
 *
 * Why not a Set of the 32-character hex strings: on 1,021,100 glove chunks the main thread spent
 * ~0.8 s slicing the hex into strings and probing the Set, plus its share of ~0.7 s of GC
 * (node --cpu-prof, load ~9), all counted against the run's chunks per CPU-second; and each
 * worker kept a Set of its own to skip repeats early, which the main thread's answer already does.
 */
export class HashSet128 {
  private keys: Int32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(expected = 1 << 16) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, expected * 2)));
    this.keys = new Int32Array(cap * 4);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Adds the hash at words[at, at + 4) (16 bytes as 4 int32); true when it was not there. */
  add(words: Int32Array, at: number): boolean {
    const a = words[at];
    const b = words[at + 1];
    const c = words[at + 2];
    const d = words[at + 3];
    const { keys, used, mask } = this;
    // The hash bytes are SHA-256's: uniform, so their first word is the slot.
    for (let s = a & mask; ; s = (s + 1) & mask) {
      if (!used[s]) {
        used[s] = 1;
        keys[s * 4] = a;
        keys[s * 4 + 1] = b;
        keys[s * 4 + 2] = c;
        keys[s * 4 + 3] = d;
        if (++this.size * 2 > mask) this.grow();
        return true;
      }
      if (keys[s * 4] === a && keys[s * 4 + 1] === b && keys[s * 4 + 2] === c && keys[s * 4 + 3] === d) return false;
    }
  }


  private grow() {
    const { keys, used } = this;
    const cap = used.length * 2;
    this.keys = new Int32Array(cap * 4);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let s = 0; s < used.length; s++) if (used[s]) this.add(keys, s * 4);
  }
}

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;

/** 32-character lowercase hex hashes → their 16 bytes each, as int32 words (4 a hash). */
export function hexBytes(hashes: string[]): Int32Array {
  const bytes = new Uint8Array(hashes.length * 16);
  for (let r = 0; r < hashes.length; r++) {
    const h = hashes[r];
    if (h.length !== 32) throw new Error(`a content hash has ${h.length} characters, not 32`);
    for (let k = 0; k < 16; k++) {
      const x = h.charCodeAt(2 * k);
      const y = h.charCodeAt(2 * k + 1);
      const hi = x < 128 ? HEX[x] : -1;
      const lo = y < 128 ? HEX[y] : -1;
      if (hi < 0 || lo < 0) throw new Error(`a content hash is not lowercase hex: ${h}`);
      bytes[r * 16 + k] = (hi << 4) | lo;
    }
  }
  return new Int32Array(bytes.buffer);
}
