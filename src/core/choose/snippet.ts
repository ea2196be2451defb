/**
 * "Reproduce it in your app": the code that gives the same vectors outside Embedscope, and the
 * quantization step of the chosen stored precision. Transformers load with transformers.js
 * (AutoTokenizer + AutoModel: use-lite's model type is our own, so no pipeline knows it, and its
 * graph pools in-graph to `sentence_embedding`); static models are a model2vec lookup.
 */
import type { Stored } from './variants.ts';

/** transformers.js names the weight files by dtype: our int8 file is its "q8" (onnx/model_quantized.onnx). */
export const TRANSFORMERS_JS_DTYPE: Record<string, string> = { fp32: 'fp32', fp16: 'fp16', int8: 'q8' };

export interface SnippetTarget {
  model: string;
  kind: 'static' | 'transformer';
  dtype: string;
  stored: Stored;
  dims: number;
  modelDims: number;
  maxTokens?: number;
}

/** The embedding step alone: `embed(sentences)` → rows of L2-normalised Float32Array. */
export function embedSnippet(t: SnippetTarget): string {
  if (t.kind === 'static') {
    return `# Python, model2vec (a static model: one vector per token, averaged)
from model2vec import StaticModel
model = StaticModel.from_pretrained("path/to/${t.model}")  # the folder Embedscope serves: config.json, tokenizer.json, model.safetensors
vectors = model.encode(sentences)                         # then L2-normalise each row, as Embedscope does
# In the browser: sentence-transformers' StaticEmbedding is the same lookup; Embedscope's own loader is src/core/models/static.ts.`;
  }
  const dtype = TRANSFORMERS_JS_DTYPE[t.dtype] ?? t.dtype;
  return `import { AutoModel, AutoTokenizer, env } from '@huggingface/transformers';

env.allowLocalModels = true; // off by default in browsers
env.localModelPath = '/models/'; // where you serve the ${t.model} folder (config.json, tokenizer*.json, onnx/)
env.allowRemoteModels = false;

const tokenizer = await AutoTokenizer.from_pretrained('${t.model}');
const model = await AutoModel.from_pretrained('${t.model}', { dtype: '${dtype}', device: 'wasm' });

async function embed(sentences) {
  const inputs = tokenizer(sentences, { padding: true, truncation: true, max_length: ${t.maxTokens ?? 128} });
  const { sentence_embedding } = await model(inputs); // pooled in the graph
  const [rows, dims] = sentence_embedding.dims;
  const data = sentence_embedding.data;
  return Array.from({ length: rows }, (_, r) => {
    const v = data.slice(r * dims, (r + 1) * dims);
    const norm = Math.max(Math.hypot(...v), 1e-12); // L2, as Embedscope does
    return v.map((x) => x / norm);
  });
}`;
}

/** The stored-precision step: Matryoshka truncation, then int8 / binary (+ rescoring). */
export function quantizeSnippet(t: SnippetTarget): string {
  const parts: string[] = [];
  if (t.dims < t.modelDims) {
    parts.push(`// Matryoshka: keep the first ${t.dims} of ${t.modelDims} dimensions, then L2-normalise again.
const truncate = (v) => { const w = v.slice(0, ${t.dims}); const n = Math.max(Math.hypot(...w), 1e-12); return w.map((x) => x / n); };`);
  }
  if (t.stored === 'int8') {
    parts.push(`// int8 as sentence-transformers' quantize_embeddings: per-dimension ranges from calibration
// embeddings (calibration.json: {"min": [...], "max": [...]}, one value a dimension), 255 steps.
function toInt8(v, { min, max }) {
  return Int8Array.from(v, (x, d) => {
    const step = (max[d] - min[d]) / 255;
    const q = step > 0 ? Math.trunc((x - min[d]) / step - 128) : -128;
    return Math.min(127, Math.max(-128, q)); // clamped (numpy would wrap around)
  });
}
// Score a float32 query against dequantized rows: x ≈ min + (code + 128)·step.`);
  }
  if (t.stored === 'binary' || t.stored === 'binary+rescore') {
    parts.push(`// binary: one bit a dimension, x > 0 → 1, first dimension in the most significant bit (numpy.packbits).
function toBits(v) {
  const out = new Uint8Array(Math.ceil(v.length / 8));
  v.forEach((x, d) => { if (x > 0) out[d >> 3] |= 0x80 >> (d & 7); });
  return out;
}
const popcount = (b) => { let c = 0; for (; b; b &= b - 1) c++; return c; };
const hamming = (a, b) => a.reduce((h, x, i) => h + popcount(x ^ b[i]), 0);
const similarity = (a, b, bits) => 1 - (2 * hamming(a, b)) / bits; // what Embedscope shows for binary`);
  }
  if (t.stored === 'binary+rescore') {
    parts.push(`// Rescoring: take the top k × 4 by Hamming distance, then order those by the float32 query
// against the stored rows (keep the float32 rows outside the searched index, e.g. on disk).`);
  }
  if (parts.length === 0) parts.push('// float32: store the normalised rows; cosine is their dot product.');
  return parts.join('\n\n');
}

/** Calibration ranges as a JSON file (the int8 step's input). */
export function calibrationJson(cal: { min: ArrayLike<number>; max: ArrayLike<number> }, source: string): string {
  return JSON.stringify({ source, rule: 'int8 = trunc((x - min) / ((max - min) / 255) - 128), clamped to [-128, 127]', min: Array.from(cal.min), max: Array.from(cal.max) });
}
