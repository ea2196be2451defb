/**
 * Sentences from running text, with the platform's own segmenter (Intl.Segmenter, in every
 * current browser and in Node) rather than a regex: it knows abbreviations and quotes.
 * Hard-wrapped lines (as in Project Gutenberg texts) are joined first.
 */
export function splitSentences(text: string, opts: { minChars?: number; locale?: string } = {}): string[] {
  const minChars = opts.minChars ?? 2;
  const flat = text.replace(/\s+/g, ' ');
  const segmenter = new Intl.Segmenter(opts.locale ?? 'en', { granularity: 'sentence' });
  const out: string[] = [];
  for (const { segment } of segmenter.segment(flat)) {
    const s = segment.trim();
    if (s.length >= minChars) out.push(s);
  }
  return out;
}
