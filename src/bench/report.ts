/**
 * The benchmark's one result format, shared by the page, `npm run bench` and saved files:
 * `{env, results: [{suite, metric, value, …describing fields}], cells?}`. Exported as JSON (exact)
 * or as a markdown table (readable in an issue or a chat, and importable again: integers exact,
 * other numbers to six significant digits). Imports are checked before anything is shown, with messages that say
 * what is wrong with the file.
 */

export type RowValue = string | number | boolean | null;

export interface BenchRow {
  suite: string;
  metric: string;
  value: number;
  [field: string]: RowValue;
}

/** What became of one cell of the matrix (one model × dtype × backend × threads load). */
export interface CellOutcome {
  id: string;
  status: 'done' | 'failed' | 'cancelled' | 'skipped';
  /** Why it failed or was skipped, in words a person can act on. */
  reason?: string;
  /** What a done cell could not measure (a memory source that did not answer), and why. */
  notes?: string[];
}

export interface BenchReport {
  env: Record<string, unknown>;
  results: BenchRow[];
  cells?: CellOutcome[];
}

export class ReportFormatError extends Error {
  override name = 'ReportFormatError';
}

/** Columns in the order a reader scans them; any other field follows, alphabetically. */
const LEADING = ['suite', 'metric', 'value', 'min', 'max', 'p95', 'repeats', 'model', 'dtype', 'backend', 'threads', 'batch', 'pool', 'source', 'precision', 'kernel', 'n', 'dims'];
const ENV_HEADING = '## Environment';
const RESULTS_HEADING = '## Results';

export function columnsOf(rows: BenchRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  const lead = LEADING.filter((k) => seen.has(k));
  const rest = [...seen].filter((k) => !LEADING.includes(k)).sort();
  return [...lead, ...rest];
}

function formatCell(v: RowValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  // Integers (bytes, counts) exactly; measurements to six significant digits.
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'boolean') return String(v);
  // A markdown cell cannot hold a pipe or a line break as they are.
  return v.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function toMarkdown(report: BenchReport, title = 'Embedscope benchmark'): string {
  const lines = [`# ${title}`, '', ENV_HEADING, ''];
  for (const [k, v] of Object.entries(report.env)) {
    if (v === undefined) continue;
    lines.push(`- ${k}: ${formatCell(typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as RowValue))}`);
  }
  const remarkable = (report.cells ?? []).filter((c) => c.status !== 'done' || c.notes?.length);
  if (remarkable.length) {
    lines.push('', '## Cells that failed or have notes', '');
    for (const c of remarkable) {
      const said = [c.reason, ...(c.notes ?? [])].filter(Boolean).map((t) => formatCell(t!)).join('; ');
      lines.push(`- ${formatCell(c.id)}: ${c.status}${said ? ` — ${said}` : ''}`);
    }
  }
  const cols = columnsOf(report.results);
  lines.push('', RESULTS_HEADING, '', `| ${cols.join(' | ')} |`, `| ${cols.map((c) => (['value', 'min', 'max', 'p95'].includes(c) ? '---:' : '---')).join(' | ')} |`);
  for (const r of report.results) lines.push(`| ${cols.map((c) => formatCell(r[c])).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** Splits a table line on unescaped pipes and unescapes each cell. */
function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\' && i + 1 < body.length) {
      cur += body[++i];
    } else if (ch === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

function parseValue(text: string): RowValue | undefined {
  if (text === '') return undefined;
  if (text === 'null') return null;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) || text === 'NaN' || text === 'Infinity' || text === '-Infinity') return Number(text);
  return text;
}

export function parseMarkdown(text: string, name = 'the file'): BenchReport {
  const lines = text.split(/\r?\n/);
  const env: Record<string, unknown> = {};
  let section = '';
  let header: string[] | null = null;
  const results: BenchRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('## ')) {
      section = line.trim();
      header = null;
      continue;
    }
    if (section === ENV_HEADING) {
      const m = /^- ([^:]+): (.*)$/.exec(line);
      if (m) {
        const v = m[2].replace(/\\\|/g, '|').replace(/\\\\/g, '\\');
        env[m[1]] = v.startsWith('{') || v.startsWith('[') ? safeJson(v) : parseValue(v);
      }
      continue;
    }
    if (!line.trim().startsWith('|')) continue;
    if (!header) {
      header = splitRow(line);
      if (!['suite', 'metric', 'value'].every((c) => header!.includes(c))) {
        throw new ReportFormatError(`${name}: its table has no suite, metric and value columns (found: ${header.join(', ')}).`);
      }
      i++; // the |---| line under the header
      continue;
    }
    const cells = splitRow(line);
    if (cells.length !== header.length) {
      throw new ReportFormatError(`${name}, line ${i + 1}: ${cells.length} cells where the header has ${header.length}.`);
    }
    const row: Record<string, RowValue> = {};
    header.forEach((col, j) => {
      const v = parseValue(cells[j]);
      if (v !== undefined) row[col] = v;
    });
    results.push(checkRow(row, `${name}, line ${i + 1}`));
  }
  if (!header && results.length === 0) {
    throw new ReportFormatError(`${name}: no results table found. Export a run from the Benchmark view (Markdown) or from \`npm run bench -- --json\`.`);
  }
  return { env, results };
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function checkRow(row: Record<string, unknown>, where: string): BenchRow {
  if (typeof row.suite !== 'string' || row.suite === '') throw new ReportFormatError(`${where}: a result without a suite.`);
  if (typeof row.metric !== 'string' || row.metric === '') throw new ReportFormatError(`${where}: a result without a metric.`);
  if (typeof row.value !== 'number') throw new ReportFormatError(`${where}: the value of ${row.metric} is not a number (${JSON.stringify(row.value)}).`);
  for (const [k, v] of Object.entries(row)) {
    if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) {
      throw new ReportFormatError(`${where}: field "${k}" holds ${Array.isArray(v) ? 'a list' : typeof v}; results hold only text, numbers and true/false.`);
    }
  }
  return row as BenchRow;
}

export function parseJsonReport(text: string, name = 'the file'): BenchReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ReportFormatError(`${name} is not valid JSON (${(err as Error).message}).`);
  }
  const obj = data as Partial<BenchReport> | null;
  if (!obj || typeof obj !== 'object' || !Array.isArray(obj.results)) {
    throw new ReportFormatError(`${name} is JSON but not a benchmark result: it needs a "results" list of {suite, metric, value} rows.`);
  }
  const results = obj.results.map((r, i) => {
    if (!r || typeof r !== 'object') throw new ReportFormatError(`${name}: result ${i + 1} is not an object.`);
    return checkRow(r as Record<string, unknown>, `${name}: result ${i + 1}`);
  });
  const env = obj.env && typeof obj.env === 'object' ? (obj.env as Record<string, unknown>) : {};
  const cells = Array.isArray(obj.cells) ? obj.cells : undefined;
  return { env, results, cells };
}

/** A saved run, JSON or markdown, told apart by its content (a file name can lie). */
export function parseReport(text: string, name = 'the file'): BenchReport {
  const trimmed = text.trimStart();
  if (trimmed === '') throw new ReportFormatError(`${name} is empty.`);
  return trimmed.startsWith('{') ? parseJsonReport(text, name) : parseMarkdown(text, name);
}

/** The fields that say what a row measured, without its numbers: rows of two runs match on this. */
export function rowKey(r: BenchRow): string {
  const skip = new Set(['value', 'min', 'max', 'p95', 'repeats', 'note', 'error', 'device', 'software', 'sentences', 'tokens', 'how', 'covers', 'misses']);
  return Object.keys(r)
    .filter((k) => !skip.has(k))
    .sort()
    .map((k) => `${k}=${r[k]}`)
    .join(' ');
}
