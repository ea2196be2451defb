/**
 * safetensors reader and writer: an 8-byte little-endian header length, a JSON header mapping
 * tensor names to {dtype, shape, data_offsets}, then the raw little-endian data.
 * https://huggingface.co/docs/safetensors — hand-written because the format is 40 lines and the
 * npm readers pull in Node's fs; this one works on an ArrayBuffer in a worker.
 */
import { ModelLoadError } from './errors.ts';

export type Dtype = 'F64' | 'F32' | 'F16' | 'I8' | 'U8' | 'I32' | 'I64';
const BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, I8: 1, U8: 1, I32: 4, I64: 8 };

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  /** Raw little-endian bytes, a view into the file's buffer (no copy). */
  bytes: Uint8Array;
}

export function readSafetensors(buffer: ArrayBuffer, file = 'model.safetensors'): Map<string, Tensor> {
  if (buffer.byteLength < 8) throw new ModelLoadError(file, `is ${buffer.byteLength} bytes, too short to be a safetensors file`);
  const headerLength = Number(new DataView(buffer).getBigUint64(0, true));
  if (headerLength > buffer.byteLength - 8 || headerLength > 100_000_000) {
    // A real header that is cut short still starts with '{'; anything else is another kind of file.
    const looksLikeHeader = headerLength < 100_000_000 && new Uint8Array(buffer)[8] === 0x7b;
    throw new ModelLoadError(
      file,
      looksLikeHeader
        ? `is truncated: its header alone needs ${8 + headerLength} bytes but the file has ${buffer.byteLength}`
        : `is not a safetensors file (its first 8 bytes do not give a header length that fits in ${buffer.byteLength} bytes)`,
    );
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
  } catch {
    throw new ModelLoadError(file, 'is not a safetensors file (its header is not JSON)');
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = entry.dtype as Dtype;
    if (!(dtype in BYTES)) throw new ModelLoadError(file, `tensor "${name}" has unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    const expected = entry.shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (end - begin !== expected) {
      throw new ModelLoadError(file, `tensor "${name}" of shape [${entry.shape}] ${dtype} needs ${expected} bytes but its offsets span ${end - begin}`);
    }
    if (dataStart + end > buffer.byteLength) {
      throw new ModelLoadError(
        file,
        `is truncated: tensor "${name}" ends at byte ${dataStart + end} but the file has ${buffer.byteLength} bytes`,
      );
    }
    tensors.set(name, { dtype, shape: entry.shape, bytes: new Uint8Array(buffer, dataStart + begin, end - begin) });
  }
  return tensors;
}

export function writeSafetensors(tensors: Record<string, { dtype: Dtype; shape: number[]; data: ArrayBufferView }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (typed-array views need it).
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Copies a tensor to an aligned typed array of its own dtype (file offsets need not be aligned). */
export function tensorToFloat32(t: Tensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = t.bytes[i];
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
  }
  return out;
}

export function tensorToInt32(t: Tensor): Int32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Int32Array(n);
  if (t.dtype === 'I32') for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
  else if (t.dtype === 'I64') for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
  else throw new Error(`expected an integer tensor, got ${t.dtype}`);
  return out;
}

export function int8View(t: Tensor): Int8Array {
  return new Int8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength).slice();
}

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
