/**
 * Every weights precision of a transformers.js-layout ONNX model, defined once: its name, the file
 * it is read from, which of our backends run it, and what it costs. The hub loader, the Models
 * panel, the Benchmark view and `npm run bench` all read this table; adding a dtype is one entry.
 *
 * Names and files are transformers.js's (`DEFAULT_DTYPE_SUFFIX_MAPPING` in
 * @huggingface/transformers 4.3.1, src/utils/dtypes.js): onnx/model{suffix}.onnx with suffix
 * '' (fp32), _fp16, _quantized (q8), _int8, _uint8, _q4, _q4f16, _bnb4. transformers.js 4.3 also
 * names q2/q1/q2f16/q1f16 (2- and 1-bit MatMulNBits); we have no model or kernel check for them,
 * so they are not offered.
 */
export type TransformerDtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';
export type DtypeBackend = 'wasm' | 'webgpu';

export interface DtypeEntry {
  id: TransformerDtype;
  /** Short label for menus. */
  label: string;
  /** transformers.js's file for this dtype. */
  file: string;
  /** Read when `file` is absent (see int8). */
  fallbackFiles?: readonly string[];
  /** On WebGPU, this file instead where the model has it (weight-only int8 for MatMulInteger models). */
  webgpuFile?: string;
  /** Other names people use for it. */
  aliases?: readonly string[];
  /** Backends whose onnxruntime-web kernels run every op this dtype's files use. */
  backends: readonly DtypeBackend[];
  /** What the weights are and what running them costs. */
  cost: string;
  /** Bytes per weight relative to fp32 (download and memory), roughly. */
  sizeRatio: number;
}

export const DTYPES: readonly DtypeEntry[] = [
  {
    id: 'fp32',
    label: 'fp32',
    file: 'onnx/model.onnx',
    backends: ['wasm', 'webgpu'],
    cost: '4 bytes per weight; the reference every other dtype is measured against.',
    sizeRatio: 1,
  },
  {
    id: 'fp16',
    label: 'fp16',
    file: 'onnx/model_fp16.onnx',
    backends: ['wasm', 'webgpu'],
    cost: '2 bytes per weight. WebGPU runs it natively with shader-f16; WASM casts to fp32 and was slower than fp32 here (use-lite: 28 vs 59 sentences/s, batch 1).',
    sizeRatio: 0.5,
  },
  {
    id: 'q8',
    label: 'q8',
    file: 'onnx/model_quantized.onnx',
    aliases: ['quantized'],
    backends: ['wasm'],
    cost: '8-bit weights with dynamic activation quantization (MatMulInteger): fastest on WASM; MatMulInteger has no WebGPU kernel, so WebGPU leaves those nodes to the CPU.',
    sizeRatio: 0.26,
  },
  {
    id: 'int8',
    label: 'int8',
    file: 'onnx/model_int8.onnx',
    // Our quantizer and the embedded use-lite wrote signed int8 weights as model_quantized.onnx
    // (transformers.js's q8 name) before this table: int8 reads that file when model_int8.onnx is absent.
    fallbackFiles: ['onnx/model_quantized.onnx'],
    webgpuFile: 'onnx/model_quantized_qdq.onnx',
    backends: ['wasm', 'webgpu'],
    cost: 'Signed 8-bit weights (MatMulInteger) on WASM; on WebGPU the weight-only QDQ file where the model has one (DequantizeLinear + MatMul run on the GPU).',
    sizeRatio: 0.26,
  },
  {
    id: 'uint8',
    label: 'uint8',
    file: 'onnx/model_uint8.onnx',
    backends: ['wasm'],
    cost: 'Unsigned 8-bit weights (MatMulInteger): as q8; no WebGPU kernel.',
    sizeRatio: 0.26,
  },
  {
    id: 'q4',
    label: 'q4',
    file: 'onnx/model_q4.onnx',
    backends: ['wasm', 'webgpu'],
    cost: '4-bit block-quantized MatMul weights (MatMulNBits, com.microsoft, blocks of 32) with fp32 activations: both WASM and WebGPU have kernels.',
    sizeRatio: 0.18,
  },
  {
    id: 'q4f16',
    label: 'q4f16',
    file: 'onnx/model_q4f16.onnx',
    backends: ['webgpu'],
    cost: 'MatMulNBits 4-bit weights in an fp16 graph: the smallest WebGPU file; needs shader-f16.',
    sizeRatio: 0.15,
  },
  {
    id: 'bnb4',
    label: 'bnb4',
    file: 'onnx/model_bnb4.onnx',
    backends: ['wasm'],
    cost: 'bitsandbytes 4-bit (MatMulBnb4, com.microsoft): a CPU kernel only, no WebGPU one.',
    sizeRatio: 0.18,
  },
];

/** Every dtype name, in the table's order (menus, `--dtypes`, the Benchmark matrix). */
export const DTYPE_IDS: readonly TransformerDtype[] = DTYPES.map((d) => d.id);

export const DTYPE_LABELS: Readonly<Record<TransformerDtype, string>> = Object.fromEntries(DTYPES.map((d) => [d.id, d.label])) as Record<TransformerDtype, string>;

/** transformers.js's file for each dtype (what DTYPE_FILES in transformer.ts always was). */
export const DTYPE_FILES: Readonly<Record<TransformerDtype, string>> = Object.fromEntries(DTYPES.map((d) => [d.id, d.file])) as Record<TransformerDtype, string>;

export function dtypeEntry(id: TransformerDtype): DtypeEntry {
  const entry = DTYPES.find((d) => d.id === id);
  if (!entry) throw new Error(`unknown dtype "${id}"`);
  return entry;
}

/** A name as people write it ("quantized", "Q4", "fp32") → our dtype, or null. */
export function parseDtype(name: string): TransformerDtype | null {
  const n = name.trim().toLowerCase();
  return DTYPES.find((d) => d.id === n || d.aliases?.includes(n))?.id ?? null;
}

/** The files a dtype may be read from, in order. */
export function dtypeFiles(id: TransformerDtype): string[] {
  const e = dtypeEntry(id);
  return [e.file, ...(e.fallbackFiles ?? [])];
}

/**
 * The dtypes a repository offers, from its file list: each dtype whose own file is there (no
 * fallbacks: a menu lists exactly the files the repository has), with that file's size.
 */
export function availableDtypes(files: ReadonlyMap<string, number> | readonly string[]): { dtype: TransformerDtype; file: string; bytes: number | null }[] {
  const sizes = Array.isArray(files) ? new Map(files.map((f) => [f, null as number | null])) : (files as ReadonlyMap<string, number | null>);
  return DTYPES.filter((d) => sizes.has(d.file)).map((d) => ({ dtype: d.id, file: d.file, bytes: sizes.get(d.file) ?? null }));
}

/** Reads a dtype's weights: its own file, else its fallbacks. Null when none exists. */
export async function readDtypeFile(files: { read(name: string): Promise<ArrayBuffer | null> }, id: TransformerDtype): Promise<{ file: string; bytes: ArrayBuffer } | null> {
  for (const file of dtypeFiles(id)) {
    const bytes = await files.read(file);
    if (bytes) return { file, bytes };
  }
  return null;
}

/**
 * The file a dtype loads from a folder whose file names are known (a catalogue entry, a hub list):
 * on WebGPU its weight-only variant where there is one, else its own file, else a fallback.
 */
export function dtypeFileIn(id: TransformerDtype, available: readonly string[], backend?: DtypeBackend): string | null {
  const e = dtypeEntry(id);
  if (backend === 'webgpu' && e.webgpuFile && available.includes(e.webgpuFile)) return e.webgpuFile;
  return dtypeFiles(id).find((f) => available.includes(f)) ?? null;
}

/** The dtype a file of the transformers.js layout holds, by its name ("model_q4.onnx" → q4), or null. */
export function dtypeOfFileName(name: string): TransformerDtype | null {
  const base = name.split('/').pop() ?? name;
  return DTYPES.find((d) => d.file.split('/').pop() === base)?.id ?? null;
}

/** Contrib ops (com.microsoft) our dtypes' files use, with the dtypes that need each. */
const CONTRIB_OPS: Record<string, string> = {
  MatMulNBits: 'q4 and q4f16',
  MatMulBnb4: 'bnb4',
  GatherBlockQuantized: 'q4 and q4f16 exports that quantize their embeddings',
};

/**
 * A session error that says a quantized op has no kernel here, in words a person can act on;
 * null when the error is about something else.
 */
export function missingKernelMessage(message: string, backend: string): string | null {
  const op = Object.keys(CONTRIB_OPS).find((o) => message.includes(o));
  if (!op || !/implementation|kernel|not (registered|supported|implemented)|unsupported/i.test(message)) return null;
  return `this runtime (${backend}) has no ${op} kernel (com.microsoft) for this model, which ${CONTRIB_OPS[op]} files use: choose another dtype (fp32, or int8/q8 on WASM) or another backend`;
}
