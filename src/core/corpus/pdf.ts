/**
 * Reads .pdf: the text layer of each page through pdf.js, one section per paragraph, each
 * tagged with its page. pdf.js is handed in (the page loads it with its worker served by the
 * app; Node tests load the legacy build), so this module runs anywhere.
 *
 * A PDF is read whole (its cross-reference table sits at the end), so files over 100 MB are
 * refused. A scanned PDF with no text layer says so instead of giving an empty corpus.
 */
import type * as PdfJs from 'pdfjs-dist';
import { CorpusError, type CorpusFile, type ReadReport } from './decode.ts';
import type { Section } from './section.ts';
import { formatBytes } from '../util/format.ts';

export type PdfJsModule = Pick<typeof PdfJs, 'getDocument'>;

export const MAX_PDF_BYTES = 100 * 1024 * 1024;

export async function* readPdf(file: CorpusFile, report: ReadReport, pdfjs: PdfJsModule): AsyncGenerator<Section> {
  if (file.size === 0) throw new CorpusError(file.name, 'the file is empty (0 bytes); there is nothing to read');
  if (file.size > MAX_PDF_BYTES) throw new CorpusError(file.name, `PDFs over 100 MB are not read (this one is ${formatBytes(file.size)})`);
  const data = new Uint8Array(await file.arrayBuffer());
  report.bytesRead = data.byteLength;
  if (String.fromCharCode(...data.subarray(0, 5)) !== '%PDF-') throw new CorpusError(file.name, 'this is not a PDF (it does not start with %PDF-); nothing was read from it');
  let doc: PdfJs.PDFDocumentProxy;
  try {
    // No eval (the page's CSP forbids it), no font loading: only the text layer is needed.
    doc = await pdfjs.getDocument({ data, verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: false }).promise;
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'PasswordException') throw new CorpusError(file.name, 'this PDF is password-protected; open it, save an unprotected copy and try that');
    throw new CorpusError(file.name, `this PDF could not be opened (${(err as Error)?.message ?? err}); it may be damaged`);
  }
  let any = false;
  try {
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str + (item.hasEOL ? '\n' : '');
      }
      page.cleanup();
      for (const para of text.split(/\n\s*\n/)) {
        const t = para.replace(/\s+/g, ' ').trim();
        if (!t) continue;
        any = true;
        yield { text: t, where: `p. ${p}` };
      }
    }
  } finally {
    await doc.destroy();
  }
  if (!any) throw new CorpusError(file.name, 'this PDF has no text layer (a scanned image?); run it through OCR first');
}
