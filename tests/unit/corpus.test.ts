/** Corpus readers and chunking on real bytes: every format, and the bad inputs each must refuse or survive. */
import { describe, expect, it } from 'vitest';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { corpusChunks, fileChoices, formatOf, readSections, type FileOutcome } from '../../src/core/corpus/read.ts';
import { newReport, CorpusError, paragraphs } from '../../src/core/corpus/decode.ts';
import { splitSentences } from '../../src/core/corpus/sentences.ts';
import { chunkSection, windows, checkChunking, defaultChunking, type ChunkOptions } from '../../src/core/corpus/chunk.ts';
import { htmlToSections } from '../../src/core/corpus/html.ts';
import { markdownToText } from '../../src/core/corpus/markdown.ts';
import type { PdfJsModule } from '../../src/core/corpus/pdf.ts';

const file = (name: string, content: string | Uint8Array) => new File([content as BlobPart], name);
const pdfjs = async () => (await import('pdfjs-dist/legacy/build/pdf.mjs')) as unknown as PdfJsModule;
const byParagraph: ChunkOptions = { mode: 'paragraph', maxTokens: 256, overlap: 0 };

async function read(f: File, choice = {}, chunking: ChunkOptions = byParagraph) {
  const outcomes: FileOutcome[] = [];
  const chunks = [];
  for await (const c of corpusChunks([{ file: f, choice }], chunking, outcomes, { pdfjs })) chunks.push(c);
  return { chunks, outcome: outcomes[0] };
}

async function makePdf(pages: string[][]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([600, 800]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 750 - i * 40, size: 14, font }));
  }
  return doc.save();
}

describe('formats', () => {
  it('picks a reader by extension and refuses others by name', () => {
    expect(formatOf('a.TXT')).toBe('text');
    expect(formatOf('notes.md')).toBe('markdown');
    expect(formatOf('x.tsv')).toBe('csv');
    expect(formatOf('x.ndjson')).toBe('jsonl');
    expect(formatOf('page.htm')).toBe('html');
    expect(formatOf('paper.pdf')).toBe('pdf');
    expect(() => formatOf('report.docx')).toThrow('.docx files are not read here');
  });
});

describe('readers', () => {
  it('.txt: paragraphs, hard-wrapped lines joined, UTF-8 and UTF-16 with a BOM', async () => {
    const { chunks } = await read(file('a.txt', 'Call me Ishmael.\nSome years ago.\n\nThe whale   surfaced.\r\n\r\nEnd'));
    expect(chunks.map((c) => c.text)).toEqual(['Call me Ishmael. Some years ago.', 'The whale surfaced.', 'End']);
    expect(chunks[0].source).toBe('a.txt');
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from('Grüße', (c) => [c.charCodeAt(0), 0]).flat()]);
    expect((await read(file('b.txt', utf16))).chunks.map((c) => c.text)).toEqual(['Grüße']);
  });

  it('.md: the prose without markup', async () => {
    expect(markdownToText('# Title\n- **bold** item with [a link](http://x)\n> quoted `code`')).toBe('Title\nbold item with a link\nquoted code');
    const { chunks } = await read(file('n.md', '# Moby Dick\n\nA *white* whale.\n\n```js\nlet x = 1;\n```\n'));
    expect(chunks.map((c) => c.text)).toEqual(['Moby Dick', 'A white whale.', 'let x = 1;']);
  });

  it('.csv/.tsv: the chosen column, quoted fields with commas and line breaks, rows tagged', async () => {
    const csv = 'id,title,body\n1,One,"The whale, white and large,\nsurfaced."\n2,Two,A ship\n3,Three,\n';
    expect((await fileChoices(file('d.csv', csv))).columns?.[0]).toBe('body'); // longest first
    const { chunks, outcome } = await read(file('d.csv', csv), { column: 'body' });
    expect(chunks).toEqual([
      { text: 'The whale, white and large, surfaced.', source: 'd.csv · row 2' },
      { text: 'A ship', source: 'd.csv · row 3' },
    ]);
    expect(outcome.report.skipped).toBe(1); // row 4 has no body
    const tsv = await read(file('d.tsv', 'text\tlabel\nA calm sea\t1\nA storm\t0\n'));
    expect(tsv.chunks.map((c) => c.text)).toEqual(['A calm sea', 'A storm']);
  });

  it('.csv with a quote never closed: refused with the row, nothing read', async () => {
    const { chunks, outcome } = await read(file('broken.csv', 'text,n\nfine,1\n"never closed,2\nmore,3\n'));
    expect(chunks).toEqual([]);
    expect(outcome.error).toMatch(/^broken\.csv: a quote opened on line 3 is never closed/);
  });

  it('.jsonl: the chosen field; bad lines skipped and counted with their line numbers', async () => {
    const jsonl = '{"id":1,"text":"A whale"}\nnot json\n\n{"id":2,"body":"no text"}\n[1,2]\n{"text":"A ship"}\n';
    expect((await fileChoices(file('d.jsonl', jsonl))).fields?.[0]).toBe('text');
    const { chunks, outcome } = await read(file('d.jsonl', jsonl));
    expect(chunks).toEqual([
      { text: 'A whale', source: 'd.jsonl · line 1' },
      { text: 'A ship', source: 'd.jsonl · line 6' },
    ]);
    expect(outcome.report.skipped).toBe(3);
    expect(outcome.report.problems).toEqual(['line 2: not valid JSON', 'line 4: no "text" string', 'line 5: no "text" string']);
    const none = await read(file('bad.jsonl', 'nope\n{"a":1}\n'));
    expect(none.outcome.error).toBe('bad.jsonl: no usable lines: all 2 were skipped (line 1: not valid JSON; line 2: no "text" string)');
  });

  it('.html: visible text only, entities decoded, scripts and hidden parts left out', async () => {
    const html = `<!doctype html><html><head><title>T</title><style>p{}</style><script>alert(1)</script></head>
      <body><h1>Whales &amp; ships</h1><p>The <b>white</b> whale.</p><div hidden>secret</div>
      <p aria-hidden="true">also hidden</p><noscript>no js</noscript><ul><li>one</li><li>two</li></ul>
      <template><p>tpl</p></template><p style="display:none">none</p>&lt;script&gt; as text</body></html>`;
    expect(htmlToSections(html).map((s) => s.text)).toEqual(['Whales & ships', 'The white whale.', 'one', 'two', '<script> as text']);
    const { chunks } = await read(file('p.html', html));
    expect(chunks.map((c) => c.text)).toContain('The white whale.');
  });

  it('.pdf: the text layer of each page via pdf.js, tagged with the page', async () => {
    const bytes = await makePdf([['The white whale surfaced.'], ['Second page about ships.']]);
    const { chunks, outcome } = await read(file('doc.pdf', bytes));
    expect(outcome.error).toBeNull();
    expect(chunks).toEqual([
      { text: 'The white whale surfaced.', source: 'doc.pdf · p. 1' },
      { text: 'Second page about ships.', source: 'doc.pdf · p. 2' },
    ]);
  });

  it('a PDF without text and a file that is not a PDF: each says why', async () => {
    const blank = await PDFDocument.create();
    blank.addPage();
    expect((await read(file('scan.pdf', await blank.save()))).outcome.error).toMatch(/no text layer/);
    expect((await read(file('fake.pdf', 'hello'))).outcome.error).toMatch(/not a PDF/);
  });
});

describe('bad input', () => {
  it('a 0-byte file, a binary file, a ZIP: refused with a reason, the next file still read', async () => {
    const outcomes: FileOutcome[] = [];
    const chunks = [];
    const files = [
      file('empty.txt', ''),
      file('blob.txt', new Uint8Array([1, 2, 0, 4, 5, 200, 0])),
      file('x.txt', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2])),
      file('ok.txt', 'Still here.'),
    ];
    for await (const c of corpusChunks(files.map((f) => ({ file: f })), byParagraph, outcomes)) chunks.push(c);
    expect(outcomes.map((o) => o.error)).toEqual([
      'empty.txt: the file is empty (0 bytes); there is nothing to read',
      'blob.txt: this is a binary file (it has a NUL byte at offset 2), not text; nothing was read from it',
      'x.txt: this is a ZIP archive (a .docx, .xlsx or .zip?), not text; nothing was read from it',
      null,
    ]);
    expect(chunks.map((c) => c.text)).toEqual(['Still here.']);
  });

  it('invalid UTF-8 is read with U+FFFD in place and counted', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('caf'), 0xe9, ...new TextEncoder().encode(' au lait'), 0xff]);
    const { chunks, outcome } = await read(file('latin1.txt', bytes));
    expect(chunks.map((c) => c.text)).toEqual(['caf\uFFFD au lait\uFFFD']);
    expect(outcome.report.replaced).toBe(2);
  });

  it('a long file streams: paragraphs come out before the file is read to the end', async () => {
    const para = 'The whale swam on. '.repeat(50) + '\n\n';
    const big = new File(Array.from({ length: 2000 }, () => para), 'big.txt'); // ~2 MB
    const report = newReport(big);
    let n = 0;
    for await (const _ of readSections(big, {}, report)) if (++n === 3) break;
    expect(report.bytesRead).toBeGreaterThan(0);
    expect(report.bytesRead).toBeLessThan(big.size / 4);
  });

  it('a file with no line breaks at all is still cut into bounded sections', async () => {
    const big = new File(['word '.repeat(100_000)], 'oneline.txt');
    const lengths: number[] = [];
    for await (const s of readSections(big, {}, newReport(big))) lengths.push(s.text.length);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(100_000);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(500_000);
  });

  it('a paragraph longer than the limit is cut even when its blank line arrives in the same piece', async () => {
    const long = 'The whale swam on. '.repeat(10_000); // 190 kB
    const parts: string[] = [];
    for await (const p of paragraphs((async function* () { yield long + '\n\nShort one.'; })(), 50_000)) parts.push(p);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(50_000);
    expect(parts.join('')).toBe(long + 'Short one.');
  });

  it('the error type names the file', () => {
    expect(new CorpusError('a.txt', 'bad').message).toBe('a.txt: bad');
  });
});

describe('chunking', () => {
  it('sentence, paragraph and token windows with overlap', () => {
    const text = 'Call me Ishmael. Some years ago, never mind how long, I went to sea. It was cold.';
    expect(chunkSection(text, { mode: 'sentence', maxTokens: 100, overlap: 0 })).toEqual([
      'Call me Ishmael.',
      'Some years ago, never mind how long, I went to sea.',
      'It was cold.',
    ]);
    expect(chunkSection(text, { mode: 'paragraph', maxTokens: 100, overlap: 0 })).toEqual([text]);
    expect(windows('a b c d e f g', 3, 1)).toEqual(['a b c', 'c d e', 'e f g']);
    expect(windows('a b c d e', 3, 0)).toEqual(['a b c', 'd e']);
    expect(chunkSection('one two three four five', { mode: 'tokens', maxTokens: 4, overlap: 2 })).toEqual(['one two three four', 'three four five']);
    // A sentence longer than maxTokens is cut too.
    expect(chunkSection('a b c d e f.', { mode: 'sentence', maxTokens: 4, overlap: 0 })).toEqual(['a b c d', 'e f.']);
  });

  it('sentences of a long text come out whole although the segmenter sees it in 4 kB windows', () => {
    const sentences = Array.from({ length: 5000 }, (_, i) => `Sentence ${i} is about the ${i % 2 ? 'sea' : 'ship'}.`);
    const t = performance.now();
    expect(splitSentences(sentences.join(' '))).toEqual(sentences);
    expect(performance.now() - t).toBeLessThan(5000); // one 170 kB string took seconds before
  });

  it('refuses settings that cannot work', () => {
    expect(checkChunking(defaultChunking)).toBeNull();
    expect(checkChunking({ mode: 'tokens', maxTokens: 10, overlap: 10 })).toMatch(/smaller than max tokens/);
    expect(checkChunking({ mode: 'tokens', maxTokens: 0, overlap: 0 })).toMatch(/at least 1/);
  });
});
