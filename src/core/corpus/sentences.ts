/**
 * Sentences from running text by the Unicode sentence-break rules (UAX #29), the rules the
 * platform's Intl.Segmenter follows (in every current browser and in Node) — rather than a regex.
 * Hard-wrapped lines (as in Project Gutenberg texts) are joined first.
 *
 * Two paths, one result. Text whose characters are all in the table below (ASCII, letters of
 * any script, the curly quotes and dashes of English prose) is split here, in one pass over
 * the characters; any other character (a format or combining mark, an astral character, a
 * terminator of another script, …) sends its ~4 kB window to Intl.Segmenter. Why: in the CLI's
 * worker profile Intl.Segmenter was 15–18 % of the CPU (~4 µs a sentence: ICU makes a segment
 * object per sentence and V8 crosses into C++ for each); the scan here is ≈10× cheaper.
 * tests/unit/sentences.test.ts checks it equals Intl.Segmenter on Moby-Dick, the State of the
 * Union corpus and 20,000 random strings over every class, so the page and the CLI, which both
 * call this function, chunk exactly as they did with the segmenter alone.
 */
export function splitSentences(text: string, opts: { minChars?: number; locale?: string; segmenterOnly?: boolean } = {}): string[] {
  const minChars = opts.minChars ?? 2;
  // Every run of white space → one space. The pattern leaves a lone ' ' alone (most runs are one):
  // the same result as /\s+/g with ~15× fewer matches on prose.
  const flat = text.replace(/[^\S ]\s*| \s+/g, ' ');
  const locale = opts.locale ?? 'en';
  // The rules below are the root rules; another locale (which ICU may tailor) takes the segmenter.
  const rules = locale === 'en' && !opts.segmenterOnly;
  const out: string[] = [];
  for (const piece of windowsForSegmenter(flat)) {
    if (rules && splitByRules(piece, out, minChars)) continue;
    segmentWithIntl(piece, locale, minChars, out);
  }
  return out;
}

/** The platform's segmenter: the reference, and the path for text the table does not cover. */
function segmentWithIntl(piece: string, locale: string, minChars: number, out: string[]): void {
  for (const { segment } of segmenterFor(locale).segment(piece)) {
    const s = segment.trim();
    if (s.length >= minChars) out.push(s);
  }
}

const segmenters = new Map<string, Intl.Segmenter>();
function segmenterFor(locale: string): Intl.Segmenter {
  let s = segmenters.get(locale);
  if (!s) segmenters.set(locale, (s = new Intl.Segmenter(locale, { granularity: 'sentence' })));
  return s;
}

/**
 * V8's segmenter slows down on long strings (a 40 kB string: 0.1 s; 160 kB: 2 s, measured), so
 * it is given pieces of at most ~4 kB, cut after a ". ", "! " or "? " (at worst a space). The
 * rule path takes the same pieces, so both paths cut a long text at the same places.
 */
const SEGMENT_WINDOW = 4096;
function* windowsForSegmenter(text: string): Generator<string> {
  let from = 0;
  while (text.length - from > SEGMENT_WINDOW) {
    const window = text.slice(from, from + SEGMENT_WINDOW);
    let cut = Math.max(window.lastIndexOf('. '), window.lastIndexOf('! '), window.lastIndexOf('? '));
    if (cut < SEGMENT_WINDOW / 4) cut = window.lastIndexOf(' ');
    if (cut <= 0) cut = SEGMENT_WINDOW - 1;
    yield window.slice(0, cut + 1);
    from += cut + 1;
  }
  yield text.slice(from);
}

// UAX #29 Sentence_Break classes (those flattened text can hold: no CR, LF or paragraph separator).
const XX = 0; // Other
const SP = 1;
const LOWER = 2;
const UPPER = 3;
const OLETTER = 4;
const NUMERIC = 5;
const ATERM = 6;
const STERM = 7;
const CLOSE = 8;
const SCONTINUE = 9;
/** Not in the table: the window goes to Intl.Segmenter. */
const OTHER_PATH = 10;
const UNKNOWN = 255;

/** Sentence_Break class by UTF-16 code unit, filled as characters are met. */
const classes = new Uint8Array(0x10000).fill(UNKNOWN);
const NON_ASCII: Record<number, number> = {
  // Pi/Pf quotation marks (Close), the en and em dash (SContinue): the non-letters of English prose.
  0x2018: CLOSE,
  0x2019: CLOSE,
  0x201c: CLOSE,
  0x201d: CLOSE,
  0x00ab: CLOSE,
  0x00bb: CLOSE,
  0x2013: SCONTINUE,
  0x2014: SCONTINUE,
};
const isLetter = /^\p{L}$/u;
const isLower = /^\p{Lowercase}$/u;
const isUpper = /^[\p{Uppercase}\p{Lt}]$/u;

function classify(unit: number): number {
  if (unit < 128) {
    const ch = String.fromCharCode(unit);
    if (unit >= 0x61 && unit <= 0x7a) return LOWER;
    if (unit >= 0x41 && unit <= 0x5a) return UPPER;
    if (unit >= 0x30 && unit <= 0x39) return NUMERIC;
    if (ch === '.') return ATERM;
    if (ch === '!' || ch === '?') return STERM;
    if ('"\'()[]{}'.includes(ch)) return CLOSE;
    if (ch === ',' || ch === '-' || ch === ':' || ch === ';') return SCONTINUE;
    if (ch === ' ' || ch === '\t' || ch === '\v' || ch === '\f') return SP;
    // Other controls: LF and CR are paragraph separators, the rest are "Other" but ICU may see
    // them otherwise; the flattening leaves none but NUL-like odd bytes, which go to the segmenter.
    if (unit < 0x20 || unit === 0x7f) return OTHER_PATH;
    return XX;
  }
  if (unit in NON_ASCII) return NON_ASCII[unit];
  if (unit >= 0xd800 && unit <= 0xdfff) return OTHER_PATH;
  const ch = String.fromCharCode(unit);
  // A letter is Lower, Upper or OLetter (Alphabetic), never a terminator, quote or space.
  if (isLetter.test(ch)) return isLower.test(ch) ? LOWER : isUpper.test(ch) ? UPPER : OLETTER;
  return OTHER_PATH;
}

/** The classes of one window's characters (windows are at most SEGMENT_WINDOW long): reused, not allocated per window. */
const windowClasses = new Uint8Array(SEGMENT_WINDOW);

/**
 * One window split by the rules SB6–SB11 of UAX #29 (SB1–SB5 have nothing to do in flattened
 * text with no format or extend characters), its trimmed sentences of ≥ minChars appended to
 * `out`. False, with nothing appended, when the window holds a character not in the table.
 */
function splitByRules(w: string, out: string[], minChars: number): boolean {
  const n = w.length;
  const cls = n <= windowClasses.length ? windowClasses : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = w.charCodeAt(i);
    let c = classes[u];
    if (c === UNKNOWN) classes[u] = c = classify(u);
    if (c === OTHER_PATH) return false;
    cls[i] = c;
  }
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = cls[i];
    if (c !== ATERM && c !== STERM) continue;
    // SB9, SB10: no break inside SATerm Close* Sp*; the candidate is after it.
    let j = i + 1;
    while (j < n && cls[j] === CLOSE) j++;
    while (j < n && cls[j] === SP) j++;
    if (j >= n) break;
    const next = cls[j];
    let keep = false;
    if (c === ATERM) {
      if (j === i + 1) {
        // SB6: ATerm × Numeric. SB7: (Upper | Lower) ATerm × Upper.
        if (next === NUMERIC) keep = true;
        else if (next === UPPER && i > 0 && (cls[i - 1] === UPPER || cls[i - 1] === LOWER)) keep = true;
      }
      if (!keep) {
        // SB8: ATerm Close* Sp* × ( ¬(OLetter | Upper | Lower | ParaSep | SATerm) )* Lower
        let k = j;
        while (k < n) {
          const kc = cls[k];
          if (kc === OLETTER || kc === UPPER || kc === LOWER || kc === ATERM || kc === STERM) break;
          k++;
        }
        if (k < n && cls[k] === LOWER) keep = true;
      }
    }
    // SB8a: SATerm Close* Sp* × (SContinue | SATerm)
    if (!keep && (next === SCONTINUE || next === ATERM || next === STERM)) keep = true;
    if (!keep) {
      // SB11: a break after the terminator's closing quotes and spaces.
      pushTrimmed(w, cls, start, j, minChars, out);
      start = j;
    }
    i = j - 1;
  }
  pushTrimmed(w, cls, start, n, minChars, out);
  return true;
}

/**
 * w[from, to) without its leading and trailing spaces — String.trim's result, as the flattened
 * text's only white space is ' ' (class SP) — cut with one slice instead of a slice and a trim.
 */
function pushTrimmed(w: string, cls: Uint8Array, from: number, to: number, minChars: number, out: string[]): void {
  while (from < to && cls[from] === SP) from++;
  while (to > from && cls[to - 1] === SP) to--;
  if (to - from >= minChars) out.push(w.slice(from, to));
}
