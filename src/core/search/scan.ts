/**
 * Exact top-k with the WebAssembly SIMD kernels (kernels.wat): rows live in WebAssembly memory
 * (a shared one where search workers split the scan, search/pool.ts), each kernel writes a block
 * of raw scores, and a TopK keeps the best (ties to the lower row). Where SIMD does not validate,
 * scanTopK falls back to the JS kernels (kernels.ts).
 *
 * Memory layout: MAX_SLOTS scratch slots of SLOT_BYTES (one per worker scanning the memory: its
 * query, then BLOCK_ROWS raw scores), then the rows from ROWS_AT on.
 *
 * Relaxed SIMD (f32x4.relaxed_madd: one FMA) is used where WebAssembly.validate accepts it, else
 * SIMD128; tests run both. For int8/uint8 two kernels were measured (Node 20, AMD EPYC,
 * 100k × 512 codes, the same run, min of 21 while the machine was shared): i32x4.dot_i16x8_s on
 * codes widened to i16 with int16 query weights, 2.7–2.9 ms, against widening the codes to f32
 * and multiply-adding float weights, 7.0–7.7 ms (f32 dot over the same rows as float32:
 * 8.3–10 ms). The int16 kernel is kept; bucket middles (precision/int8.ts) add two i8 ops per
 * 16 codes.
 */
import { KERNELS_RELAXED_BASE64, KERNELS_RELAXED_SHARED_BASE64, KERNELS_SIMD128_BASE64, KERNELS_SIMD128_SHARED_BASE64 } from './kernels-wasm.ts';
import { scanJs } from './kernels.ts';
import { TopK, type Hit } from './topk.ts';
import type { KernelName, KernelQuery } from '../precision/types.ts';
import { formatBytes } from '../util/format.ts';

export type Flavor = 'simd128' | 'relaxed';

export const SLOT_BYTES = 64 * 1024;
export const MAX_SLOTS = 16;
export const ROWS_AT = SLOT_BYTES * MAX_SLOTS;
/** Rows per kernel call; its candidates, 8 bytes each at most, fill the second half of a slot. */
export const BLOCK_ROWS = 4096;
const QUERY_BYTES = SLOT_BYTES - BLOCK_ROWS * 8;
/** WebAssembly memory is at most 4 GiB (65,536 pages of 64 KiB) in wasm32. */
export const MAX_MEMORY_BYTES = 65536 * 65536;

/** Each scan kernel writes (row, raw) pairs of the rows that pass `thr` and returns how many. */
type Kernel = (q: number, rows: number, n: number, width: number, out: number, thr: number) => number;
export interface KernelExports {
  dot_f32: Kernel;
  dot_i8: Kernel;
  dot_u8: Kernel;
  hamming: Kernel;
  /** hamming for rows of exactly N bytes (N in build-wasm.ts's HAMMING_WIDTHS), unrolled. */
  [fixedWidth: `hamming_${number}`]: Kernel | undefined;
  sum(p: number, bytes: number): number;
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

/**
 * The kernel's threshold for a heap whose worst score is `worst`: a raw value every row that
 * could still enter passes (a little looser than exact; TopK decides). Dot kernels pass raw ≥ thr,
 * Hamming raw ≤ thr.
 */
export function rawThreshold(q: KernelQuery, worst: number): number {
  if (q.kernel === 'hamming') {
    // score = −dist·1 + bias > worst ⇔ dist < (worst − bias)/scale (scale < 0)
    if (worst === -Infinity) return I32_MAX;
    return Math.min(I32_MAX, Math.ceil((worst - q.bias) / q.scale) + 1);
  }
  // A query of zeros has no weights (scale 0): every row scores the same, all pass.
  if (worst === -Infinity || !(q.scale > 0)) return q.raw === 'f32' ? -Infinity : I32_MIN;
  const x = (worst - q.bias) / q.scale;
  // f32 rounds the kernel's sum and the threshold: stay 1e-5 (relative) below.
  if (q.raw === 'f32') return x - Math.abs(x) * 1e-5 - 1e-30;
  return Math.max(I32_MIN, Math.floor(x) - 1);
}

const SOURCES: Record<Flavor, Record<'plain' | 'shared', string>> = {
  simd128: { plain: KERNELS_SIMD128_BASE64, shared: KERNELS_SIMD128_SHARED_BASE64 },
  relaxed: { plain: KERNELS_RELAXED_BASE64, shared: KERNELS_RELAXED_SHARED_BASE64 },
};
const compiled = new Map<string, WebAssembly.Module | null>();

/** The compiled kernels of a flavor, or null where this engine does not validate them. */
export function kernelModule(flavor: Flavor, shared: boolean): WebAssembly.Module | null {
  const key = `${flavor}:${shared}`;
  if (!compiled.has(key)) {
    const bytes = Uint8Array.from(atob(SOURCES[flavor][shared ? 'shared' : 'plain']), (c) => c.charCodeAt(0));
    compiled.set(key, WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null);
  }
  return compiled.get(key)!;
}

/** The best flavor this engine runs: relaxed SIMD, else SIMD128, else null (JS kernels). */
export function bestFlavor(shared = false): Flavor | null {
  if (kernelModule('relaxed', shared)) return 'relaxed';
  return kernelModule('simd128', shared) ? 'simd128' : null;
}

/** Whether a shared WebAssembly.Memory can be made here (cross-origin isolated page, worker or Node). */
export function sharedMemoryAvailable(): boolean {
  try {
    return typeof SharedArrayBuffer === 'function' && new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

export class ScanError extends Error {
  override name = 'ScanError';
}

/** The kernel's width argument: values a row for the dot kernels, bytes a row for Hamming. */
const widthOf = (kernel: KernelName, dims: number) => (kernel === 'hamming' ? Math.ceil(dims / 8) : dims);
const rowBytesOf = (kernel: KernelName, dims: number) => (kernel === 'dot_f32' ? dims * 4 : widthOf(kernel, dims));

export interface AttachOptions {
  /** Use the loop kernel for any row width even where an unrolled one exists (to measure the two). */
  anyWidth?: boolean;
}

export interface ScanLayout {
  kernel: KernelName;
  dims: number;
  rows: number;
}

/** One precision's rows in WebAssembly memory and the kernels to scan them. */
export class ScanIndex {
  readonly rowBytes: number;
  private readonly exports: KernelExports;
  /** The kernel for this layout: an unrolled Hamming one for the common widths (kernels.wat). */
  private readonly run: Kernel;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly layout: ScanLayout,
    readonly flavor: Flavor,
    opts: AttachOptions = {},
  ) {
    this.rowBytes = rowBytesOf(layout.kernel, layout.dims);
    const shared = memory.buffer instanceof ArrayBuffer === false;
    const mod = kernelModule(flavor, shared);
    if (!mod) throw new ScanError(`this engine does not run the ${flavor} kernels`);
    this.exports = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as KernelExports;
    const fixed = layout.kernel === 'hamming' && !opts.anyWidth ? this.exports[`hamming_${this.rowBytes}`] : undefined;
    this.run = fixed ?? this.exports[layout.kernel];
  }

  /** Whether scans use a kernel unrolled for this row width. */
  get fixedWidth(): boolean {
    return this.run !== this.exports[this.layout.kernel];
  }

  /** Bytes of WebAssembly memory a layout needs. */
  static bytesFor(layout: ScanLayout): number {
    return ROWS_AT + layout.rows * rowBytesOf(layout.kernel, layout.dims);
  }

  /**
   * A memory sized for `layout`, rows not yet written (fill `rowBytesView`); null where SIMD does
   * not validate. Throws a ScanError naming the size when it cannot exist (over 4 GiB, or the
   * tab refuses the allocation).
   */
  static allocate(layout: ScanLayout, opts: { shared?: boolean; flavor?: Flavor; maxBytes?: number } = {}): ScanIndex | null {
    const shared = opts.shared ?? false;
    const flavor = opts.flavor ?? bestFlavor(shared);
    if (!flavor || !kernelModule(flavor, shared)) return null;
    const bytes = ScanIndex.bytesFor(layout);
    const limit = Math.min(MAX_MEMORY_BYTES, opts.maxBytes ?? MAX_MEMORY_BYTES);
    const need = `${layout.rows.toLocaleString('en')} ${layout.dims}-dim vectors need ${formatBytes(bytes)} of memory to search`;
    if (bytes > limit) {
      const most = limit === MAX_MEMORY_BYTES ? `a tab can give a search at most ${formatBytes(MAX_MEMORY_BYTES)} (WebAssembly's 4 GiB)` : `searches are limited to ${formatBytes(limit)} here`;
      throw new ScanError(`${need}; ${most}. Keep fewer or narrower vectors (Matryoshka dims, int8 or binary) for this collection.`);
    }
    const pages = Math.ceil(bytes / 65536);
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
    } catch (err) {
      throw new ScanError(`${need}, more than this tab could get (${(err as Error).message}). Close other tabs, or keep fewer or narrower vectors for this collection.`);
    }
    return new ScanIndex(memory, layout, flavor);
  }

  /** Another worker's handle on a shared memory made by `allocate` (same layout). */
  static attach(memory: WebAssembly.Memory, layout: ScanLayout, flavor: Flavor, opts: AttachOptions = {}): ScanIndex {
    return new ScanIndex(memory, layout, flavor, opts);
  }

  /** Copies packed rows in (the whole collection, or `rows` of it from row `at`). */
  static from(stored: Uint8Array, layout: Omit<ScanLayout, 'rows'>, opts: { shared?: boolean; flavor?: Flavor } = {}): ScanIndex | null {
    const rows = stored.byteLength / rowBytesOf(layout.kernel, layout.dims);
    const index = ScanIndex.allocate({ ...layout, rows }, opts);
    index?.rowBytesView().set(stored);
    return index;
  }

  /** The rows' bytes in WebAssembly memory (write them here to avoid another copy). */
  rowBytesView(from = 0, to = this.layout.rows): Uint8Array {
    return new Uint8Array(this.memory.buffer, ROWS_AT + from * this.rowBytes, (to - from) * this.rowBytes);
  }

  /** Top-k of rows [from, to) with row indices; `slot` is the caller's scratch (one per worker). */
  scan(q: KernelQuery, k: number, from = 0, to = this.layout.rows, slot = 0): Hit[] {
    const top = new TopK(k);
    this.scanInto(q, top, from, to, slot);
    return top.result();
  }

  scanInto(q: KernelQuery, top: TopK, from = 0, to = this.layout.rows, slot = 0): void {
    const { kernel, dims } = this.layout;
    if (q.kernel !== kernel) throw new ScanError(`a ${q.kernel} query cannot scan ${kernel} rows`);
    const run = this.run;
    const qAt = this.writeQuery(q, slot);
    const outAt = qAt + QUERY_BYTES;
    const width = widthOf(kernel, dims);
    const { scale, bias } = q;
    const pairs = new Int32Array(this.memory.buffer, outAt, BLOCK_ROWS * 2);
    const raws = q.raw === 'f32' ? new Float32Array(this.memory.buffer, outAt, BLOCK_ROWS * 2) : pairs;
    for (let start = from; start < to; start += BLOCK_ROWS) {
      const count = Math.min(BLOCK_ROWS, to - start);
      const found = run(qAt, ROWS_AT + start * this.rowBytes, count, width, outAt, rawThreshold(q, top.threshold));
      for (let i = 0; i < found; i++) {
        const score = raws[2 * i + 1] * scale + bias;
        if (score > top.threshold) top.push(start + pairs[2 * i], score);
      }
    }
  }

  /** Scores of the given rows only (rescoring candidates through the same kernel). */
  scoreRows(q: KernelQuery, rows: number[], slot = 0): number[] {
    const { kernel, dims } = this.layout;
    if (q.kernel !== kernel) throw new ScanError(`a ${q.kernel} query cannot score ${kernel} rows`);
    const qAt = this.writeQuery(q, slot);
    const outAt = qAt + QUERY_BYTES;
    const run = this.run;
    const all = rawThreshold(q, -Infinity);
    return rows.map((row) => {
      run(qAt, ROWS_AT + row * this.rowBytes, 1, widthOf(kernel, dims), outAt, all);
      const raw = q.raw === 'f32' ? new Float32Array(this.memory.buffer, outAt + 4, 1)[0] : new Int32Array(this.memory.buffer, outAt + 4, 1)[0];
      return raw * q.scale + q.bias;
    });
  }

  /** The read ceiling: the SIMD sum over rows [from, to) (whole 64-byte steps); returns a checksum. */
  sum(from = 0, to = this.layout.rows): number {
    const start = ROWS_AT + from * this.rowBytes;
    const bytes = Math.floor(((to - from) * this.rowBytes) / 64) * 64;
    return this.exports.sum(start, bytes);
  }

  /** The raw kernels, for the measurement of alternatives (bench, tests). */
  get kernels(): KernelExports {
    return this.exports;
  }

  private writeQuery(q: KernelQuery, slot: number): number {
    if (slot < 0 || slot >= MAX_SLOTS) throw new ScanError(`scratch slot ${slot} is outside 0…${MAX_SLOTS - 1}`);
    if (q.bytes.byteLength > QUERY_BYTES) throw new ScanError(`a ${this.layout.dims}-dim query does not fit the kernels' ${QUERY_BYTES}-byte query slot`);
    const at = slot * SLOT_BYTES;
    new Uint8Array(this.memory.buffer, at, QUERY_BYTES).fill(0).set(q.bytes);
    return at;
  }
}

/** Exact top-k over packed rows: the WASM kernels where they validate (rows copied in), else JS. */
export function scanTopK(q: KernelQuery, stored: Uint8Array, dims: number, k: number): Hit[] {
  const index = ScanIndex.from(stored, { kernel: q.kernel, dims });
  if (index) return index.scan(q, k);
  const top = new TopK(k);
  scanJs(q, stored, dims, top);
  return top.result();
}
