/**
 * Reads .jsonl: one JSON object per line, the text taken from one chosen string field.
 * Streamed line by line. Bad lines (not JSON, not an object, no such string field) are skipped
 * and counted, never fatal — unless no line at all is usable.
 */
import { CorpusError, decodeText, lines, skip, type CorpusFile, type ReadReport } from './decode.ts';
import type { Section } from './section.ts';

/** A line over this is skipped: one JSON record of 16 MB is not a corpus line. */
const MAX_LINE = 16 * 1024 * 1024;

/** The string fields of the first lines, best guess first: `text` if there is one, else the longest. */
export async function jsonlFields(file: CorpusFile, report: ReadReport, sampleLines = 50): Promise<string[]> {
  const length = new Map<string, number>();
  let seen = 0;
  for await (const line of lines(decodeText(file, report), MAX_LINE)) {
    if (!line.trim()) continue;
    if (++seen > sampleLines) break;
    try {
      const value = JSON.parse(line);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, v] of Object.entries(value)) if (typeof v === 'string') length.set(key, (length.get(key) ?? 0) + v.length);
      }
    } catch {
      // counted when the file is read for real
    }
  }
  const fields = [...length.keys()].sort((a, b) => length.get(b)! - length.get(a)!);
  const text = fields.findIndex((f) => f.toLowerCase() === 'text');
  if (text > 0) fields.unshift(...fields.splice(text, 1));
  return fields;
}

export async function* readJsonl(file: CorpusFile, report: ReadReport, opts: { field?: string } = {}): AsyncGenerator<Section> {
  const field = opts.field ?? 'text';
  let lineNo = 0;
  let usable = 0;
  for await (const line of lines(decodeText(file, report), MAX_LINE)) {
    lineNo++;
    if (!line.trim()) continue;
    if (line.length >= MAX_LINE) {
      skip(report, `line ${lineNo}: over 16 MB`);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skip(report, `line ${lineNo}: not valid JSON`);
      continue;
    }
    const text = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[field] : undefined;
    if (typeof text !== 'string') {
      skip(report, `line ${lineNo}: no "${field}" string`);
      continue;
    }
    if (!text.trim()) continue;
    usable++;
    yield { text, where: `line ${lineNo}` };
  }
  if (usable === 0) {
    throw new CorpusError(
      file.name,
      report.skipped
        ? `no usable lines: all ${report.skipped} were skipped (${report.problems.join('; ')})`
        : `no line has text in "${field}"`,
    );
  }
}
