/**
 * Labelled data picked in the page, recognised by its files: one STS-format TSV (→ Spearman), or
 * a BEIR folder — corpus.jsonl, queries.jsonl and qrels/test.tsv (→ NDCG@10, recall@100) —
 * read with the same parsers as `npm run eval`.
 */
import { parseBeir, type BeirData } from './retrieval.ts';
import { parseSts, type StsPair } from './sts.ts';

export interface PickedFile {
  /** The path inside the picked folder (webkitRelativePath) or just the file name. */
  path: string;
  text(): Promise<string>;
}

export type LabelledData = { kind: 'sts'; name: string; pairs: StsPair[] } | { kind: 'beir'; name: string; data: BeirData };

export class LabelledDataError extends Error {
  override name = 'LabelledDataError';
}

const base = (path: string) => path.split('/').pop() ?? path;

export async function readLabelledFiles(files: PickedFile[]): Promise<LabelledData> {
  if (files.length === 0) throw new LabelledDataError('No files picked: choose an STS .tsv file, or a BEIR folder.');
  const corpus = files.find((f) => base(f.path) === 'corpus.jsonl');
  const queries = files.find((f) => base(f.path) === 'queries.jsonl');
  const qrels = files.filter((f) => /(^|\/)qrels\/[^/]+\.tsv$/.test(f.path) || base(f.path).endsWith('.tsv'));
  if (corpus || queries) {
    // The CLI reads qrels/test.tsv; a lone test.tsv (several files picked, no folder) counts too.
    const test = qrels.find((f) => /(^|\/)qrels\/test\.tsv$/.test(f.path)) ?? qrels.find((f) => base(f.path) === 'test.tsv');
    const missing = [!corpus && 'corpus.jsonl', !queries && 'queries.jsonl', !test && 'qrels/test.tsv'].filter(Boolean);
    if (missing.length) {
      throw new LabelledDataError(`This looks like a BEIR folder but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing (found: ${files.map((f) => f.path).join(', ')}).`);
    }
    const name = corpus!.path.includes('/') ? corpus!.path.split('/')[0] : 'BEIR files';
    try {
      return { kind: 'beir', name, data: parseBeir(await corpus!.text(), await queries!.text(), await test!.text()) };
    } catch (err) {
      throw new LabelledDataError(`${name}: ${(err as Error).message}`);
    }
  }
  if (files.length > 1) {
    throw new LabelledDataError(`Pick one STS file, or a BEIR folder with corpus.jsonl, queries.jsonl and qrels/test.tsv (got ${files.length} files: ${files.map((f) => f.path).slice(0, 5).join(', ')}).`);
  }
  const [file] = files;
  try {
    return { kind: 'sts', name: base(file.path), pairs: parseSts(await file.text(), base(file.path)) };
  } catch (err) {
    throw new LabelledDataError((err as Error).message);
  }
}
