/**
 * A static model's table in WebAssembly memory and the SIMD pooling over it (static-pool.wat).
 * The embedder writes a text's token ids straight into `ids` (the tokenizer's `encodeInto`
 * target), keeps the ones it pools at the front, and calls `pool`, which leaves the text's vector
 * in `row(slot)`; `flush` copies finished rows out in one go.
 *
 * The table is copied into the module's memory once at load (rows padded to a multiple of 4
 * values with zeros, which add nothing to sums or norms); the file's own buffer can then go, so
 * the model holds one copy as before.
 */
import { STATIC_POOL_BASE64 } from './static-pool-wasm.ts';

interface PoolExports {
  pool_i8(ids: number, n: number, table: number, dims: number, weights: number, map: number, scratch: number, normalize: number, out: number): void;
  pool_f32(ids: number, n: number, table: number, dims: number, weights: number, map: number, scratch: number, normalize: number, out: number): void;
}

export interface PoolTable {
  rows: number;
  dims: number;
  data: Float32Array | Int8Array;
  rowScale: Float32Array | null;
  mapping: Int32Array | null;
}

/** Rows pooled before `flush` copies them out (a call's output is never held twice in full). */
export const OUT_SLOTS = 256;
const PAGE = 65536;
/** Leaves room to grow the id buffer under the 4 GiB a 32-bit memory can address. */
const MAX_BYTES = 2 ** 31;

let compiled: WebAssembly.Module | null | undefined;
function poolModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = Uint8Array.from(atob(STATIC_POOL_BASE64), (c) => c.charCodeAt(0));
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16; // not bit ops: a too-large layout must not wrap to a small one

export class WasmPool {
  /** Values per row in memory (dims rounded up to 4). */
  readonly padded: number;
  private readonly memory: WebAssembly.Memory;
  private readonly exports: PoolExports;
  private readonly int8: boolean;
  private readonly table: number;
  private readonly weights: number;
  private readonly map: number;
  private readonly out: number;
  private readonly idsAt: number;
  private capacity: number;
  /** The text's token ids; the view is replaced when memory grows. */
  ids!: Int32Array;
  private outView!: Float32Array;

  /**
   * Null where WebAssembly SIMD does not validate, or where the table does not fit a 32-bit
   * WebAssembly memory (or the browser refuses one that large): the caller keeps its JS loop.
   */
  static create(t: PoolTable, maxIds: number): WasmPool | null {
    const mod = poolModule();
    if (!mod) return null;
    try {
      return new WasmPool(mod, t, maxIds);
    } catch (err) {
      if (err instanceof RangeError) return null;
      throw err;
    }
  }

  private constructor(mod: WebAssembly.Module, t: PoolTable, maxIds: number) {
    const { rows, dims, data, rowScale, mapping } = t;
    this.int8 = data instanceof Int8Array;
    this.padded = (dims + 3) & ~3;
    const bytesPer = this.int8 ? 1 : 4;
    // Address 0 means "none" to the kernel, so nothing lives there.
    this.table = 16;
    this.weights = rowScale ? align16(this.table + rows * this.padded * bytesPer) : 0;
    this.map = mapping ? align16((this.weights || this.table + rows * this.padded * bytesPer) + (rowScale?.length ?? 0) * 4) : 0;
    const afterTables = align16(Math.max(this.table + rows * this.padded * bytesPer, this.weights + (rowScale?.length ?? 0) * 4, this.map + (mapping?.length ?? 0) * 4));
    this.out = afterTables;
    this.idsAt = align16(this.out + OUT_SLOTS * this.padded * 4);
    this.capacity = Math.max(1024, maxIds);
    const bytes = this.idsAt + this.capacity * 12; // ids, then the kernel's 8-byte (address, weight) scratch
    if (!(bytes <= MAX_BYTES)) throw new RangeError(`a ${bytes}-byte table does not fit WebAssembly memory`);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    this.exports = new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports as unknown as PoolExports;
    const buffer = this.memory.buffer;
    if (this.int8) {
      const dst = new Int8Array(buffer, this.table, rows * this.padded);
      if (this.padded === dims) dst.set(data);
      else for (let r = 0; r < rows; r++) dst.set(data.subarray(r * dims, (r + 1) * dims), r * this.padded);
    } else {
      const dst = new Float32Array(buffer, this.table, rows * this.padded);
      if (this.padded === dims) dst.set(data);
      else for (let r = 0; r < rows; r++) dst.set(data.subarray(r * dims, (r + 1) * dims), r * this.padded);
    }
    if (rowScale) new Float32Array(buffer, this.weights, rowScale.length).set(rowScale);
    if (mapping) new Int32Array(buffer, this.map, mapping.length).set(mapping);
    this.views();
  }

  private views() {
    this.ids = new Int32Array(this.memory.buffer, this.idsAt, this.capacity);
    this.outView = new Float32Array(this.memory.buffer, this.out, OUT_SLOTS * this.padded);
  }

  /** Makes room for `n` ids (the ids written so far are lost: encode again). */
  grow(n: number): void {
    const need = this.idsAt + n * 12 - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / PAGE));
    this.capacity = n;
    this.views();
  }

  /** Pools the first `n` ids into output slot `slot`. */
  pool(n: number, slot: number, normalize: boolean): void {
    const fn = this.int8 ? this.exports.pool_i8 : this.exports.pool_f32;
    fn(this.idsAt, n, this.table, this.padded, this.weights, this.map, this.idsAt + this.capacity * 4, normalize ? 1 : 0, this.out + slot * this.padded * 4);
  }

  /** Copies slots [0, count) into `dst` from row `first` on (rows of `dims` values). */
  flush(dst: Float32Array, first: number, count: number, dims: number): void {
    const src = this.outView;
    if (this.padded === dims) dst.set(src.subarray(0, count * dims), first * dims);
    else for (let s = 0; s < count; s++) dst.set(src.subarray(s * this.padded, s * this.padded + dims), (first + s) * dims);
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }
}
