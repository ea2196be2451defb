/**
 * One entry point for every corpus format: picks the reader by file name, and turns several
 * files into one stream of chunks. Each file is read on its own: one that cannot be read is
 * reported with its reason and the others go on.
 */
import { CorpusError, newReport, type CorpusFile, type ReadReport } from './decode.ts';
import { readText } from './text.ts';
import { readMarkdown } from './markdown.ts';
import { readCsv, csvColumns } from './csv.ts';
import { readJsonl, jsonlFields } from './jsonl.ts';
import { readHtml } from './html.ts';
import { readPdf, type PdfJsModule } from './pdf.ts';
import { chunkSections, type Chunk, type ChunkOptions } from './chunk.ts';
import type { Section } from './section.ts';
import { describeError } from '../errors.ts';

export type CorpusFormat = 'text' | 'markdown' | 'csv' | 'jsonl' | 'html' | 'pdf';

export const ACCEPTED = '.txt,.text,.md,.markdown,.csv,.tsv,.jsonl,.ndjson,.html,.htm,.pdf';

export function formatOf(name: string): CorpusFormat {
  const ext = /\.([^./\\]+)$/.exec(name)?.[1]?.toLowerCase();
  switch (ext) {
    case undefined:
    case 'txt':
    case 'text':
      return 'text';
    case 'md':
    case 'markdown':
      return 'markdown';
    case 'csv':
    case 'tsv':
      return 'csv';
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    case 'html':
    case 'htm':
      return 'html';
    case 'pdf':
      return 'pdf';
    default:
      throw new CorpusError(name, `.${ext} files are not read here; pick .txt, .md, .csv, .tsv, .jsonl, .html or .pdf files`);
  }
}

export interface FileChoice {
  /** CSV/TSV: the column holding the text. */
  column?: string;
  /** JSONL: the field holding the text. */
  field?: string;
}

export interface ReadContext {
  /** Loads pdf.js (only when a PDF is read). */
  pdfjs?: () => Promise<PdfJsModule>;
}

/** The sections of one file. */
export async function* readSections(file: CorpusFile, choice: FileChoice, report: ReadReport, ctx: ReadContext = {}): AsyncGenerator<Section> {
  switch (formatOf(file.name)) {
    case 'text':
      return yield* readText(file, report);
    case 'markdown':
      return yield* readMarkdown(file, report);
    case 'csv':
      return yield* readCsv(file, report, choice);
    case 'jsonl':
      return yield* readJsonl(file, report, choice);
    case 'html':
      return yield* readHtml(file, report);
    case 'pdf':
      if (!ctx.pdfjs) throw new CorpusError(file.name, 'PDF reading is not available here');
      return yield* readPdf(file, report, await ctx.pdfjs());
  }
}

/** The choices a file offers before it is read: CSV columns or JSONL fields (best guess first). */
export async function fileChoices(file: CorpusFile): Promise<{ columns?: string[]; fields?: string[] }> {
  const format = formatOf(file.name);
  if (format === 'csv') return { columns: await csvColumns(file, newReport(file)) };
  if (format === 'jsonl') return { fields: await jsonlFields(file, newReport(file)) };
  return {};
}

export interface FileOutcome {
  report: ReadReport;
  chunks: number;
  /** Why the file could not be read (nothing or only part of it was used). */
  error: string | null;
}

/**
 * All files' chunks, file after file. `outcomes` fills in as files are read (one per file, in
 * order); stopping early (a preview) cancels the file being read.
 */
export async function* corpusChunks(
  files: { file: CorpusFile; choice?: FileChoice }[],
  chunking: ChunkOptions,
  outcomes: FileOutcome[],
  ctx: ReadContext = {},
): AsyncGenerator<Chunk> {
  for (const { file, choice } of files) {
    const outcome: FileOutcome = { report: newReport(file), chunks: 0, error: null };
    outcomes.push(outcome);
    try {
      for await (const chunk of chunkSections(readSections(file, choice ?? {}, outcome.report, ctx), chunking, file.name)) {
        outcome.chunks++;
        yield chunk;
      }
      if (outcome.chunks === 0 && !outcome.error) outcome.error = `${file.name}: no text found`;
    } catch (err) {
      outcome.error = err instanceof CorpusError ? err.message : `${file.name}: ${describeError(err)}`;
    }
  }
}
