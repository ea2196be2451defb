/** Reads .txt: UTF-8 (or UTF-16 with a BOM) running text, streamed, one section per paragraph. */
import { decodeText, paragraphs, type CorpusFile, type ReadReport } from './decode.ts';
import type { Section } from './section.ts';

export async function* readText(file: CorpusFile, report: ReadReport): AsyncGenerator<Section> {
  for await (const text of paragraphs(decodeText(file, report))) yield { text };
}
