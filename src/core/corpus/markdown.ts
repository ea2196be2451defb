/**
 * Reads .md: the prose a reader sees, streamed by paragraph. Markup is dropped (heading marks,
 * list bullets, emphasis, code fences, link targets — the link text stays); code inside fences
 * is kept as text, since people search it too.
 */
import { decodeText, paragraphs, type CorpusFile, type ReadReport } from './decode.ts';
import type { Section } from './section.ts';

export function markdownToText(md: string): string {
  return md
    .split('\n')
    .filter((line) => !/^\s*(```|~~~)/.test(line) && !/^\s*([-*_]\s*){3,}$/.test(line))
    .map((line) =>
      line
        .replace(/^\s{0,3}#{1,6}\s+/, '')
        .replace(/^\s*>\s?/, '')
        .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '')
        .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
        .replace(/(\*\*|__)(.+?)\1/g, '$2')
        .replace(/(^|[\s(])[*_](\S(?:.*?\S)?)[*_](?=[\s).,;:!?]|$)/g, '$1$2')
        .replace(/`([^`]*)`/g, '$1'),
    )
    .join('\n');
}

export async function* readMarkdown(file: CorpusFile, report: ReadReport): AsyncGenerator<Section> {
  for await (const para of paragraphs(decodeText(file, report))) {
    const text = markdownToText(para);
    if (text.trim()) yield { text };
  }
}
