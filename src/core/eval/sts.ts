/** STS-format files: tab-separated, no quoting; STS-B column order is
 * genre, file, year, id, score, sentence1, sentence2 (a few rows carry extra columns after). */
export interface StsPair {
  score: number;
  sentence1: string;
  sentence2: string;
}

export function parseSts(text: string, file = 'STS file'): StsPair[] {
  const pairs: StsPair[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const cols = line.split('\t');
    const score = Number(cols[4]);
    if (cols.length < 7 || !Number.isFinite(score)) {
      if (i === 0) continue; // a header row
      throw new Error(`${file}, line ${i + 1}: expected 7 tab-separated columns with a numeric score in column 5`);
    }
    pairs.push({ score, sentence1: cols[5], sentence2: cols[6] });
  }
  if (pairs.length === 0) throw new Error(`${file}: no sentence pairs found`);
  return pairs;
}
