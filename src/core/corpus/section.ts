/**
 * What every reader yields: a span of text that no chunk crosses (a paragraph, a CSV row, a
 * JSONL record, a PDF paragraph), and where in the file it came from.
 */
export interface Section {
  text: string;
  /** "row 12", "line 40", "p. 3"; absent for running text. */
  where?: string;
}
