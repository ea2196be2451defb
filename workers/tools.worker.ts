/** Heavy one-off jobs off the main thread: quantizing a person's ONNX model (int8 or 4-bit). */
import * as Comlink from 'comlink';
import { quantizeInt8, type Int8Format, type QuantizeReport } from '../src/core/onnx/quantize.ts';
import { quantizeQ4, type Q4Format } from '../src/core/onnx/quantize-q4.ts';
import type { ToolsWorkerApi } from './api/tools.ts';

const api: ToolsWorkerApi = {
  async quantize(model: Blob, format: Int8Format): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
    const { model: bytes, report } = quantizeInt8(new Uint8Array(await model.arrayBuffer()), format);
    return Comlink.transfer({ bytes, report }, [bytes.buffer]);
  },

  /** 4-bit MatMulNBits weights (transformers.js q4): runs on WASM and WebGPU. */
  async quantizeQ4(model: Blob, format: Q4Format = 'symmetric'): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
    const { model: bytes, report } = quantizeQ4(new Uint8Array(await model.arrayBuffer()), format);
    return Comlink.transfer({ bytes, report }, [bytes.buffer]);
  },
};

Comlink.expose(api);
