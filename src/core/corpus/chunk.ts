/**
 * Sections → chunks, as they stream in. Three ways:
 * - `sentence`: one chunk per sentence (Intl.Segmenter);
 * - `paragraph`: one chunk per section (a paragraph, a CSV row, a JSONL record, …);
 * - `tokens`: windows of `maxTokens` tokens, each sharing `overlap` tokens with the one before.
 * In every mode no chunk is longer than `maxTokens` (a longer sentence or paragraph is cut into
 * overlapping windows), and no chunk crosses a section.
 *
 * Tokens are counted as whitespace-separated words: the model's own tokenizer lives in its
 * worker, and a word is a fair, model-independent unit (subword tokenizers give ~1.3 per word).
 */
import { splitSentences } from './sentences.ts';
import type { Section } from './section.ts';

export type ChunkMode = 'sentence' | 'paragraph' | 'tokens';

export interface ChunkOptions {
  mode: ChunkMode;
  maxTokens: number;
  overlap: number;
}

export const defaultChunking: ChunkOptions = { mode: 'sentence', maxTokens: 256, overlap: 32 };

export interface Chunk {
  text: string;
  source: string;
}

/** Overlapping windows of words; one window when the text fits. */
export function windows(text: string, maxTokens: number, overlap: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length <= maxTokens) return words.length ? [words.join(' ')] : [];
  const step = Math.max(1, maxTokens - Math.max(0, Math.min(overlap, maxTokens - 1)));
  const out: string[] = [];
  for (let start = 0; ; start += step) {
    out.push(words.slice(start, start + maxTokens).join(' '));
    if (start + maxTokens >= words.length) break;
  }
  return out;
}

export function checkChunking(opts: ChunkOptions): string | null {
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) return 'Max tokens must be a whole number of at least 1.';
  if (!Number.isInteger(opts.overlap) || opts.overlap < 0) return 'Overlap must be a whole number of at least 0.';
  if (opts.overlap >= opts.maxTokens) return `Overlap (${opts.overlap}) must be smaller than max tokens (${opts.maxTokens}), or no window would move on.`;
  return null;
}

export function chunkSection(text: string, opts: ChunkOptions): string[] {
  if (opts.mode === 'tokens') return windows(text, opts.maxTokens, opts.overlap);
  const pieces = opts.mode === 'sentence' ? splitSentences(text) : [text.replace(/\s+/g, ' ').trim()];
  const out: string[] = [];
  for (const p of pieces) {
    if (p.length <= 1) continue;
    if (fitsWindow(p, opts.maxTokens)) out.push(p);
    else for (const w of windows(p, opts.maxTokens, opts.overlap)) out.push(w);
  }
  return out;
}

/**
 * Whether a flattened piece (trimmed, words one space apart, as both paths above make it) has at
 * most `maxTokens` words — then windows() would return it unchanged. Counting spaces skips the
 * split and join, which were 6–7 % of the CLI worker's profile (a sentence is one window nearly always).
 */
function fitsWindow(p: string, maxTokens: number): boolean {
  let spaces = 0;
  for (let at = p.indexOf(' '); at !== -1; at = p.indexOf(' ', at + 1)) if (++spaces >= maxTokens) return false;
  return true;
}

export async function* chunkSections(sections: AsyncIterable<Section>, opts: ChunkOptions, file: string): AsyncGenerator<Chunk> {
  for await (const section of sections) {
    const source = section.where ? `${file} · ${section.where}` : file;
    for (const text of chunkSection(section.text, opts)) yield { text, source };
  }
}
