/**
 * pdf.js for the page, loaded on the first PDF: its worker is a file the app serves itself
 * (bundled by Vite from node_modules), never a CDN.
 */
import type { PdfJsModule } from './core/corpus/pdf.ts';

let loading: Promise<PdfJsModule> | null = null;

export function loadPdfJs(): Promise<PdfJsModule> {
  loading ??= (async () => {
    const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]);
    pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
    return pdfjs;
  })();
  return loading;
}
