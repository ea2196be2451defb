/**
 * Moving collections in and out: NumPy .npy files (one per precision) with a small JSON
 * manifest, and JSONL (one {"text", "source", "vector"} object a line). Imports are validated
 * before anything is stored, and refuse what does not fit with a message that says why.
 */
import { precisionById, type NpyDtype, type Packed, type PrecisionId } from '../precision/index.ts';

export class ImportError extends Error {
  override name = 'ImportError';
}

const BYTES: Record<NpyDtype, number> = { '<f4': 4, '|i1': 1, '|u1': 1 };

/** NumPy format 1.0: magic, version, little-endian header length, a Python-dict header padded to 64 bytes. */
export function writeNpy(data: Packed, shape: [number, number]): Uint8Array {
  const descr: NpyDtype = data instanceof Float32Array ? '<f4' : data instanceof Int8Array ? '|i1' : '|u1';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape[0]}, ${shape[1]}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export function readNpy(bytes: Uint8Array, file: string): { data: Packed; shape: [number, number]; dtype: NpyDtype } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new ImportError(`${file} is not a NumPy .npy file`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLength;
  if (start > bytes.length) throw new ImportError(`${file} is truncated inside its header`);
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !shapeText) throw new ImportError(`${file} has an unreadable .npy header`);
  if (!(descr in BYTES)) throw new ImportError(`${file} holds ${descr} values; Embedscope reads float32 (<f4), int8 (|i1) and uint8 (|u1)`);
  if (fortran) throw new ImportError(`${file} is in Fortran order; save it with numpy.ascontiguousarray first`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (dims.length !== 2 || dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ImportError(`${file} must hold a 2-D array (rows × dims); its shape is (${shapeText})`);
  const dtype = descr as NpyDtype;
  const expected = dims[0] * dims[1] * BYTES[dtype];
  if (bytes.length - start < expected) {
    throw new ImportError(`${file} is truncated: a ${dims[0]} × ${dims[1]} ${dtype} array needs ${expected} bytes of data, the file has ${bytes.length - start}`);
  }
  const raw = bytes.slice(start, start + expected); // copy: aligned, and owned
  const data = dtype === '<f4' ? new Float32Array(raw.buffer) : dtype === '|i1' ? new Int8Array(raw.buffer) : raw;
  return { data, shape: [dims[0], dims[1]], dtype };
}

export interface Manifest {
  format: 'embedscope-collection';
  version: 1;
  name: string;
  model: string;
  modelDims: number;
  dims: number;
  count: number;
  calibration: { min: number[]; max: number[] } | null;
  texts: string;
  precisions: { precision: PrecisionId; file: string; shape: [number, number]; dtype: string }[];
}

export interface ExportedCollection {
  manifest: Manifest;
  files: Record<string, Uint8Array | string>;
}

export function exportNpy(opts: {
  name: string; model: string; modelDims: number; dims: number;
  calibration: Manifest['calibration'];
  chunks: { text: string; source: string }[];
  vectors: Partial<Record<PrecisionId, Packed>>;
}): ExportedCollection {
  const count = opts.chunks.length;
  const files: Record<string, Uint8Array | string> = {};
  const precisions: Manifest['precisions'] = [];
  for (const [precision, data] of Object.entries(opts.vectors) as [PrecisionId, Packed][]) {
    const p = precisionById(precision);
    const width = p.bytesPerVector(opts.dims) / p.storage.BYTES_PER_ELEMENT;
    const file = `${precision}.npy`;
    files[file] = writeNpy(data, [count, width]);
    precisions.push({ precision, file, shape: [count, width], dtype: p.numpyDtype });
  }
  files['texts.jsonl'] = opts.chunks.map((c) => JSON.stringify({ text: c.text, source: c.source })).join('\n') + '\n';
  const manifest: Manifest = {
    format: 'embedscope-collection',
    version: 1,
    name: opts.name,
    model: opts.model,
    modelDims: opts.modelDims,
    dims: opts.dims,
    count,
    calibration: opts.calibration,
    texts: 'texts.jsonl',
    precisions,
  };
  files['manifest.json'] = JSON.stringify(manifest, null, 2);
  return { manifest, files };
}

export function exportJsonl(chunks: { text: string; source: string }[], float32: Float32Array, dims: number): string {
  return chunks.map((c, i) => JSON.stringify({ text: c.text, source: c.source, vector: Array.from(float32.subarray(i * dims, (i + 1) * dims)) })).join('\n') + '\n';
}

export interface ImportedRows {
  name: string;
  model: string | null;
  /** The model's weights as run, when the file says (Parquet does; JSONL and NumPy do not). */
  dtype?: string | null;
  modelDims: number;
  dims: number;
  texts: { text: string; source: string }[];
  /** Each text's content hash, when the file keeps them (Parquet): checked on a sample, then used. */
  hashes?: string[];
  /** rows × dims float32, the source every stored precision is encoded from. */
  float32: Float32Array;
  calibration: Manifest['calibration'];
  /** Lines skipped as unreadable (JSONL), with the first few reasons. */
  skipped: number;
  problems: string[];
}

/** JSONL: {"text": "...", "vector": [numbers], "source"?: "..."} per line. */
export function parseJsonlImport(text: string, file: string): ImportedRows {
  const texts: { text: string; source: string }[] = [];
  const rows: number[][] = [];
  const problems: string[] = [];
  let skipped = 0;
  let dims = -1;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let obj: { text?: unknown; vector?: unknown; source?: unknown };
    try {
      obj = JSON.parse(line);
    } catch {
      skipped++;
      if (problems.length < 5) problems.push(`line ${i + 1}: not JSON`);
      continue;
    }
    const v = obj.vector;
    if (typeof obj.text !== 'string' || !Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      skipped++;
      if (problems.length < 5) problems.push(`line ${i + 1}: needs "text" (a string) and "vector" (finite numbers)`);
      continue;
    }
    if (dims === -1) dims = v.length;
    if (v.length !== dims) {
      throw new ImportError(`${file}, line ${i + 1}: a ${v.length}-dim vector among ${dims}-dim ones; every vector of a collection has the same dims`);
    }
    texts.push({ text: obj.text, source: typeof obj.source === 'string' ? obj.source : file });
    rows.push(v as number[]);
  }
  if (rows.length === 0) {
    throw new ImportError(`${file} has no usable lines: each line must be {"text": "...", "vector": [numbers]}${problems.length ? ` (${problems[0]})` : ''}`);
  }
  const float32 = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => float32.set(r, i * dims));
  return { name: file.replace(/\.jsonl$/i, ''), model: null, modelDims: dims, dims, texts, float32, calibration: null, skipped, problems };
}

/** manifest.json + float32.npy + texts.jsonl (other .npy files are re-derived from float32). */
export function parseNpyImport(files: Record<string, Uint8Array>): ImportedRows {
  const manifestBytes = files['manifest.json'];
  if (!manifestBytes) throw new ImportError('A NumPy import needs its manifest.json (with the .npy files and texts.jsonl)');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch {
    throw new ImportError('manifest.json is not valid JSON');
  }
  if (manifest?.format !== 'embedscope-collection') throw new ImportError('manifest.json is not an Embedscope collection manifest');
  const f32 = manifest.precisions.find((p) => p.precision === 'float32');
  if (!f32) {
    throw new ImportError(
      `the bundle keeps only ${manifest.precisions.map((p) => p.precision).join(', ')}; importing needs float32.npy, from which every other precision is re-encoded`,
    );
  }
  const npyBytes = files[f32.file];
  if (!npyBytes) throw new ImportError(`${f32.file} is missing (the manifest lists it)`);
  const npy = readNpy(npyBytes, f32.file);
  if (npy.dtype !== '<f4') throw new ImportError(`${f32.file} holds ${npy.dtype} values, not float32`);
  if (npy.shape[1] !== manifest.dims) throw new ImportError(`${f32.file} has ${npy.shape[1]}-dim rows but the manifest says ${manifest.dims}`);
  const textBytes = files[manifest.texts];
  if (!textBytes) throw new ImportError(`${manifest.texts} is missing (the manifest lists it)`);
  const texts = new TextDecoder().decode(textBytes).split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      const o = JSON.parse(l);
      return { text: String(o.text), source: String(o.source ?? manifest.texts) };
    } catch {
      throw new ImportError(`${manifest.texts}, line ${i + 1}: not JSON`);
    }
  });
  if (texts.length !== npy.shape[0]) throw new ImportError(`${manifest.texts} has ${texts.length} texts but ${f32.file} has ${npy.shape[0]} vectors`);
  return {
    name: manifest.name,
    model: manifest.model,
    modelDims: manifest.modelDims,
    dims: manifest.dims,
    texts,
    float32: npy.data as Float32Array,
    calibration: manifest.calibration,
    skipped: 0,
    problems: [],
  };
}
