/**
 * Reads .html: the text a visitor sees, streamed through htmlparser2 (no DOM, so it runs in a
 * worker and in Node). Left out: <head>, scripts, styles, templates, SVG and anything marked
 * `hidden` or `aria-hidden="true"`. Block elements (p, li, h1, td, br, …) end a section.
 * The text is only ever text: nothing in the page is executed or rendered as HTML.
 */
import { Parser } from 'htmlparser2';
import { decodeText, type CorpusFile, type ReadReport } from './decode.ts';
import type { Section } from './section.ts';

const INVISIBLE = new Set(['head', 'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'select', 'datalist']);
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary',
  'table', 'td', 'th', 'tr', 'ul', 'body', 'html',
]);

/** An HTML string → its visible text sections (for tests and small inputs). */
export function htmlToSections(html: string): Section[] {
  const out: Section[] = [];
  const parser = visibleTextParser((s) => out.push(s));
  parser.write(html);
  parser.end();
  return out;
}

function visibleTextParser(emit: (s: Section) => void): Parser {
  let hiddenDepth = 0; // > 0 while inside something invisible
  const stack: boolean[] = [];
  let text = '';
  const flush = () => {
    const t = text.replace(/\s+/g, ' ').trim();
    if (t) emit({ text: t });
    text = '';
  };
  return new Parser(
    {
      onopentag(name, attrs) {
        const hidden =
          INVISIBLE.has(name) || 'hidden' in attrs || attrs['aria-hidden'] === 'true' || /display\s*:\s*none/i.test(attrs.style ?? '');
        stack.push(hidden);
        if (hidden) hiddenDepth++;
        if (BLOCK.has(name)) flush();
      },
      onclosetag(name) {
        if (stack.pop()) hiddenDepth--;
        if (BLOCK.has(name)) flush();
      },
      ontext(data) {
        if (!hiddenDepth) text += data;
      },
      onend: flush,
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
}

export async function* readHtml(file: CorpusFile, report: ReadReport): AsyncGenerator<Section> {
  const ready: Section[] = [];
  const parser = visibleTextParser((s) => ready.push(s));
  for await (const piece of decodeText(file, report)) {
    parser.write(piece);
    yield* ready.splice(0);
  }
  parser.end();
  yield* ready.splice(0);
}
