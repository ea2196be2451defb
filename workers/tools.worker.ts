/** Heavy one-off jobs off the main thread: quantizing a person's ONNX model. */
import * as Comlink from 'comlink';
import { quantizeInt8, type Int8Format, type QuantizeReport } from '../src/core/onnx/quantize.ts';

const api = {
  async quantize(model: Blob, format: Int8Format): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
    const { model: bytes, report } = quantizeInt8(new Uint8Array(await model.arrayBuffer()), format);
    return Comlink.transfer({ bytes, report }, [bytes.buffer]);
  },
};

export type ToolsWorkerApi = typeof api;
Comlink.expose(api);
