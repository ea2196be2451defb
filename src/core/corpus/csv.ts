/**
 * Reads .csv and .tsv with Papa Parse: a header row, then one section per row, the text taken
 * from one chosen column. A quote that is never closed refuses the whole file (every row after
 * it would silently become one field); rows with a wrong field count are kept and counted.
 *
 * CSV is parsed whole (quoted fields may hold line breaks, so it cannot be cut by lines);
 * files over 64 MB are refused with a hint to use JSONL, which streams.
 */
import Papa from 'papaparse';
import { CorpusError, decodeText, skip, type CorpusFile, type ReadReport } from './decode.ts';
import type { Section } from './section.ts';
import { formatBytes } from '../util/format.ts';

export const MAX_CSV_BYTES = 64 * 1024 * 1024;

interface Parsed {
  columns: string[];
  rows: Record<string, string>[];
  errors: Papa.ParseError[];
}

async function parse(file: CorpusFile, report: ReadReport): Promise<Parsed> {
  if (file.size > MAX_CSV_BYTES) {
    throw new CorpusError(file.name, `CSV files over 64 MB are not read (this one is ${formatBytes(file.size)}); split it, or save it as JSONL, which is read as a stream`);
  }
  let text = '';
  for await (const piece of decodeText(file, report)) text += piece;
  const tsv = /\.tsv$/i.test(file.name);
  const result = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: 'greedy', delimiter: tsv ? '\t' : '' });
  const unclosed = result.errors.find((e) => e.code === 'MissingQuotes');
  if (unclosed) {
    // Papa's index is the opening quote's offset; people count lines from 1.
    let line = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < (unclosed.index ?? 0); i = text.indexOf('\n', i + 1)) line++;
    throw new CorpusError(
      file.name,
      `a quote opened on line ${line} is never closed, so every row after it would be read as one field. ` +
        'Close the quote (a quote inside a quoted field is written "") and try again; nothing was read from this file',
    );
  }
  const columns = (result.meta.fields ?? []).filter((f) => f !== '__parsed_extra');
  if (columns.length === 0) throw new CorpusError(file.name, 'no header row: the first row should name the columns');
  return { columns, rows: result.data, errors: result.errors };
}

/** The columns, best guess for the text first: one named `text`, else the longest on average. */
export async function csvColumns(file: CorpusFile, report: ReadReport): Promise<string[]> {
  const { columns, rows } = await parse(file, report);
  const sample = rows.slice(0, 100);
  const length = (c: string) => sample.reduce((n, r) => n + (typeof r[c] === 'string' ? r[c].length : 0), 0);
  const sorted = [...columns].sort((a, b) => length(b) - length(a));
  const text = sorted.findIndex((c) => c.trim().toLowerCase() === 'text');
  if (text > 0) sorted.unshift(...sorted.splice(text, 1));
  return sorted;
}

export async function* readCsv(file: CorpusFile, report: ReadReport, opts: { column?: string } = {}): AsyncGenerator<Section> {
  const { columns, rows, errors } = await parse(file, report);
  const column = opts.column ?? columns.find((c) => c.trim().toLowerCase() === 'text') ?? columns[0];
  if (!columns.includes(column)) throw new CorpusError(file.name, `no column named "${column}" (it has ${columns.map((c) => `"${c}"`).join(', ')})`);
  const ragged = new Set(errors.filter((e) => e.type === 'FieldMismatch').map((e) => e.row));
  if (ragged.size) {
    report.problems.push(`${ragged.size} row${ragged.size === 1 ? '' : 's'} had a different number of fields than the header (kept as read)`);
  }
  let yielded = 0;
  for (let i = 0; i < rows.length; i++) {
    const text = rows[i][column];
    if (typeof text !== 'string' || !text.trim()) {
      skip(report, `row ${i + 2}: no text in "${column}"`);
      continue;
    }
    yielded++;
    yield { text, where: `row ${i + 2}` };
  }
  if (yielded === 0) throw new CorpusError(file.name, `no row has text in column "${column}"`);
}
