/** transformers.js's dtype names for our files (framework-free, so it is unit-tested in Node). */
import { dtypeFileIn, dtypeOfFileName, type TransformerDtype } from '../core/models/dtypes.ts';

/**
 * The dtype transformers.js must be told to read the same weights file we load for `dtype` from a
 * folder holding `files`. Our dtype names are transformers.js's, but our int8 may fall back to
 * model_quantized.onnx (the embedded use-lite's int8 file), which transformers.js calls q8.
 */
export function transformersJsDtype(dtype: TransformerDtype, files: readonly string[]): TransformerDtype {
  const file = dtypeFileIn(dtype, files);
  const tjs = file && dtypeOfFileName(file);
  if (!tjs) throw new Error(`this model has no ${dtype} file for transformers.js to read (it has ${files.filter((f) => f.endsWith('.onnx')).join(', ') || 'no .onnx file'})`);
  return tjs;
}
