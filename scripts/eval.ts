/**
 * `npm run eval -- --data PATH --model ID --precision float32|int8|uint8|binary|ubinary
 *                  [--dtype D] [--rescore M] [--dims D] [--calibration FILE] [--json FILE]`
 *
 * PATH is an STS-format TSV (genre, file, year, id, score, sentence1, sentence2) → Spearman, or
 * a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) → NDCG@10 and recall@100.
 * ID is an embedded model (glove-100d) or a folder with a static model (model2vec layout).
 * Runs the project's core in Node: the same model, precision and search code as the page.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { catalog } from '../models/catalog.ts';
import { loadStaticModel } from '../src/core/models/static.ts';
import { DTYPE_FILES, loadTransformerModel, type TransformerDtype } from '../src/core/models/transformer.ts';
import { loadOrt, nodeSessionOptions } from '../src/core/models/ort-runtime.ts';
import { folderFiles } from '../src/core/models/node-files.ts';
import { parseSts } from '../src/core/eval/sts.ts';
import { parseBeir } from '../src/core/eval/retrieval.ts';
import { evaluateRetrieval, evaluateSts, type Embed } from '../src/core/eval/evaluate.ts';
import { calibrate, precisionById, type Calibration, type PrecisionId } from '../src/core/precision/index.ts';
import { readNpy } from '../src/core/store/transfer.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    model: { type: 'string', default: 'glove-100d' },
    dtype: { type: 'string' },
    precision: { type: 'string', default: 'float32' },
    rescore: { type: 'string' },
    dims: { type: 'string' },
    calibration: { type: 'string' },
    json: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`eval: ${message}`);
  process.exit(2);
}

if (!values.data) fail('--data PATH is required (an STS-format .tsv/.csv file or a BEIR folder)');
if (!existsSync(values.data)) fail(`${values.data} does not exist`);
const precision = values.precision as PrecisionId;
try {
  precisionById(precision);
} catch (err) {
  fail((err as Error).message);
}

const root = resolve(import.meta.dirname ?? '.', '..');
const entry = catalog.find((m) => m.id === values.model);
const modelDir = entry ? join(root, 'public', entry.path) : resolve(values.model!);
const isTransformer = entry ? entry.kind === 'transformer' : existsSync(join(modelDir, 'onnx'));
if (!existsSync(join(modelDir, isTransformer ? 'config.json' : 'model.safetensors'))) {
  fail(entry ? `${entry.id} is not built yet: run \`npm run models\`` : `${modelDir} is neither a static model folder nor a transformers.js one`);
}
let embed: Embed;
let info: { dtype: string; dims: number };
if (isTransformer) {
  const dtype = (values.dtype ?? 'fp32') as TransformerDtype;
  if (!(dtype in DTYPE_FILES)) fail(`--dtype must be one of ${Object.keys(DTYPE_FILES).join(', ')}`);
  // The one runtime picker: onnxruntime-node here; the page runs the same ONNX file in onnxruntime-web.
  const { ort } = await loadOrt();
  const model = await loadTransformerModel(folderFiles(modelDir), { id: values.model!, dtype, ort, backend: 'node', sessionOptions: nodeSessionOptions(2) });
  embed = async (texts) => model.embed(texts);
  info = model.info;
} else {
  const model = await loadStaticModel(folderFiles(modelDir), { id: values.model! });
  if (values.dtype && values.dtype !== model.info.dtype) {
    fail(`${values.model} ships ${model.info.dtype} weights only (asked for --dtype ${values.dtype})`);
  }
  embed = async (texts) => model.embed(texts);
  info = model.info;
}

let calibration: Calibration | undefined;
if (values.calibration) {
  const bytes = await readFile(values.calibration);
  if (values.calibration.endsWith('.npy')) {
    const npy = readNpy(new Uint8Array(bytes), values.calibration);
    calibration = calibrate(npy.data as Float32Array, npy.shape[1]);
  } else {
    const j = JSON.parse(bytes.toString('utf8'));
    calibration = { min: Float32Array.from(j.min), max: Float32Array.from(j.max) };
  }
}

const dims = values.dims ? Number(values.dims) : undefined;
const rescore = values.rescore ? Number(values.rescore) : 1;
const base = { model: values.model!, dtype: info.dtype, precision, rescore, dims: dims ?? info.dims };
const started = performance.now();
let results: Record<string, unknown>[];
if (statSync(values.data).isDirectory()) {
  const read = (f: string) => readFile(join(values.data!, f), 'utf8');
  const data = parseBeir(await read('corpus.jsonl'), await read('queries.jsonl'), await read(join('qrels', 'test.tsv')));
  const r = await evaluateRetrieval(data, embed, { precision, dims, calibration, rescore });
  results = [
    { metric: 'ndcg@10', value: r.ndcg10, n: r.n, ...base },
    { metric: 'recall@100', value: r.recall100, n: r.n, ...base },
  ];
} else {
  const pairs = parseSts(await readFile(values.data, 'utf8'), values.data);
  const r = await evaluateSts(pairs, embed, { precision, dims, calibration });
  results = [{ metric: 'spearman', value: r.spearman, n: r.n, ...base }];
}
for (const r of results) {
  console.log(`${r.model} ${r.dtype} ${r.precision}${rescore > 1 ? ` rescore×${rescore}` : ''} ${r.dims}d  ${r.metric} = ${(r.value as number).toFixed(4)}  (n = ${r.n})`);
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
if (values.json) await writeFile(values.json, JSON.stringify({ results }, null, 2));
