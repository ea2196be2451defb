/**
 * The Playground's sentences, shared with the views that reuse them (Collections' "the
 * Playground's sentences" source) instead of reading the textarea out of the DOM.
 */
export const EXAMPLE_SENTENCES = [
  'A man is eating food.',
  'A man is eating a piece of bread.',
  'The girl is carrying a baby.',
  'A man is riding a horse.',
  'A woman is playing violin.',
];

export const playgroundInput = $state({ text: EXAMPLE_SENTENCES.join('\n') });

/** One sentence per non-empty line, trimmed. */
export function splitSentences(text: string): string[] {
  return text.split('\n').map((s) => s.trim()).filter((s) => s.length > 0);
}
