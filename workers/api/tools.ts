/** What the page and the tools worker (workers/tools.worker.ts) say to each other: types only. */
import type { Int8Format, QuantizeReport } from '../../src/core/onnx/quantize.ts';
import type { Q4Format } from '../../src/core/onnx/quantize-q4.ts';

export interface ToolsWorkerApi {
  /** Our int8 quantizer on a person's ONNX model. */
  quantize(model: Blob, format: Int8Format): Promise<{ bytes: Uint8Array; report: QuantizeReport }>;
  /** 4-bit MatMulNBits weights (transformers.js q4): runs on WASM and WebGPU. */
  quantizeQ4(model: Blob, format?: Q4Format): Promise<{ bytes: Uint8Array; report: QuantizeReport }>;
}
