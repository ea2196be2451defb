/**
 * Bytes → text for every corpus reader: refuses what is not text (a 0-byte file, a binary one)
 * with a reason, decodes UTF-8 (or UTF-16 with a byte-order mark) as a stream, and counts the
 * bytes that were not valid UTF-8 instead of failing on them (they become U+FFFD, reported).
 *
 * Nothing here holds a whole file: a 200 MB text file arrives as ~64 kB pieces.
 */

/** A problem with one input file, said so that a person can fix it. */
export class CorpusError extends Error {
  override name = 'CorpusError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** What a reader needs of a file: a browser `File`, or Node's (tests). */
export interface CorpusFile {
  readonly name: string;
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
  slice(start?: number, end?: number): Blob;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What reading one file found besides its text; shown beside the preview and after queuing. */
export interface ReadReport {
  file: string;
  bytes: number;
  /** Bytes read so far (a preview stops early). */
  bytesRead: number;
  /** Characters that were not valid UTF-8 (now U+FFFD). */
  replaced: number;
  /** Records (CSV rows, JSONL lines) left out, with the first few reasons. */
  skipped: number;
  problems: string[];
}

export function newReport(file: CorpusFile): ReadReport {
  return { file: file.name, bytes: file.size, bytesRead: 0, replaced: 0, skipped: 0, problems: [] };
}

/** Records a skipped record; keeps the first few reasons (a million bad lines need not be listed). */
export function skip(report: ReadReport, reason: string): void {
  report.skipped++;
  if (report.problems.length < 5) report.problems.push(reason);
}

const MAGIC: [string, number[]][] = [
  ['a PDF (name it .pdf to read its text)', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['a ZIP archive (a .docx, .xlsx or .zip?)', [0x50, 0x4b, 0x03, 0x04]],
  ['a gzip archive', [0x1f, 0x8b]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['an ELF program', [0x7f, 0x45, 0x4c, 0x46]],
];

/**
 * Looks at the first 4 kB: names the encoding, or says why this is not text. Text has no NUL
 * bytes (except UTF-16, which announces itself with a byte-order mark) and few control characters.
 */
export function sniffText(head: Uint8Array, name: string): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  for (const [what, magic] of MAGIC) {
    if (magic.every((b, i) => head[i] === b)) throw new CorpusError(name, `this is ${what}, not text; nothing was read from it`);
  }
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0) throw new CorpusError(name, `this is a binary file (it has a NUL byte at offset ${i}), not text; nothing was read from it`);
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
  }
  if (control > head.length * 0.05) {
    throw new CorpusError(name, `this looks binary (${control} control bytes in its first ${head.length}), not text; nothing was read from it`);
  }
  return 'utf-8';
}

export async function checkedEncoding(file: CorpusFile): Promise<'utf-8' | 'utf-16le' | 'utf-16be'> {
  if (file.size === 0) throw new CorpusError(file.name, 'the file is empty (0 bytes); there is nothing to read');
  return sniffText(new Uint8Array(await file.slice(0, 4096).arrayBuffer()), file.name);
}

/**
 * The file's text as a stream of pieces (never one string for the whole file). Cancelling the
 * iteration (a `break`, a preview that has seen enough) cancels the file read.
 */
export async function* decodeText(file: CorpusFile, report: ReadReport): AsyncGenerator<string> {
  const encoding = await checkedEncoding(file);
  // Counted by bytes consumed, so a preview can say how far into the file it got.
  const counting = new TransformStream<Uint8Array, BufferSource>({
    transform(chunk, controller) {
      report.bytesRead += chunk.byteLength;
      controller.enqueue(chunk as Uint8Array<ArrayBuffer>);
    },
  });
  const reader = file.stream().pipeThrough(counting).pipeThrough(new TextDecoderStream(encoding)).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (let at = value.indexOf('\uFFFD'); at !== -1; at = value.indexOf('\uFFFD', at + 1)) report.replaced++;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Pieces of text → lines (without their line ends). A line over `maxChars` is cut there. */
export async function* lines(pieces: AsyncIterable<string>, maxChars = 1 << 24): AsyncGenerator<string> {
  let carry = '';
  for await (const piece of pieces) {
    let text = carry + piece;
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      yield text.slice(from, nl).replace(/\r$/, '');
      from = nl + 1;
    }
    text = text.slice(from);
    while (text.length > maxChars) {
      yield text.slice(0, maxChars);
      text = text.slice(maxChars);
    }
    carry = text;
  }
  if (carry) yield carry.replace(/\r$/, '');
}

/**
 * Pieces of running text → paragraphs (split at blank lines). A paragraph longer than
 * `maxChars` (a file with no blank lines) is cut at its last line break or space before that,
 * so memory stays bounded whatever the file looks like.
 */
export async function* paragraphs(pieces: AsyncIterable<string>, maxChars = 100_000): AsyncGenerator<string> {
  let carry = '';
  const blank = /\r?\n[ \t\r]*\n/g;
  for await (const piece of pieces) {
    const text = carry + piece;
    let from = 0;
    blank.lastIndex = 0;
    for (let m = blank.exec(text); m; m = blank.exec(text)) {
      yield* bounded(text.slice(from, m.index), maxChars);
      from = m.index + m[0].length;
    }
    carry = text.slice(from);
    if (carry.length > maxChars) {
      // Keep the tail after the last cut: it may continue in the next piece.
      const parts = [...bounded(carry, maxChars)];
      carry = parts.pop() ?? '';
      yield* parts;
    }
  }
  yield* bounded(carry, maxChars);
}

/** A paragraph cut into parts of at most `maxChars`, at a line break, sentence end or space. */
export function* bounded(para: string, maxChars: number): Generator<string> {
  while (para.length > maxChars) {
    const window = para.slice(0, maxChars);
    let cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf('. '));
    if (cut < maxChars / 2) cut = window.lastIndexOf(' ');
    if (cut < maxChars / 2) cut = maxChars - 1;
    const part = para.slice(0, cut + 1);
    if (part.trim()) yield part;
    para = para.slice(cut + 1);
  }
  if (para.trim()) yield para;
}
