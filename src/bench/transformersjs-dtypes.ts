/** transformers.js's dtype names for our files (framework-free, so it is unit-tested in Node). */
import { DTYPE_FILES, type TransformerDtype } from '../core/models/transformer.ts';

/**
 * transformers.js names dtypes by its file suffixes: its 'q8' is model_quantized.onnx (ours "int8"),
 * its 'int8' would be model_int8.onnx. Mapped by file name until the shared dtype table (#14) lands.
 */
const TJS_DTYPE_BY_FILE: Record<string, string> = {
  'onnx/model.onnx': 'fp32',
  'onnx/model_fp16.onnx': 'fp16',
  'onnx/model_quantized.onnx': 'q8',
  'onnx/model_int8.onnx': 'int8',
  'onnx/model_uint8.onnx': 'uint8',
  'onnx/model_q4.onnx': 'q4',
};

export function transformersJsDtype(dtype: TransformerDtype): string {
  const tjs = TJS_DTYPE_BY_FILE[DTYPE_FILES[dtype]];
  if (!tjs) throw new Error(`transformers.js has no dtype for ${DTYPE_FILES[dtype]}`);
  return tjs;
}

