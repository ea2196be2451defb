/**
 * A Choose run as a file: `{kind: "embedscope-choose", version: 1, env, rows}`. Imported runs
 * (another device, another day) are shown beside this device's, labelled, never merged into it;
 * the file is checked before anything is shown, with messages that say what is wrong.
 */
import { STORED, type Measured } from './variants.ts';

export const CHOOSE_FILE_KIND = 'embedscope-choose';

export interface ChooseFile {
  kind: typeof CHOOSE_FILE_KIND;
  version: 1;
  env: Record<string, unknown>;
  rows: Measured[];
}

export function toChooseFile(env: Record<string, unknown>, rows: Measured[]): ChooseFile {
  return { kind: CHOOSE_FILE_KIND, version: 1, env, rows };
}

export class ChooseFileError extends Error {
  override name = 'ChooseFileError';
}

const num = (v: unknown) => v === null || typeof v === 'number';

export function parseChooseFile(text: string, name = 'the file'): ChooseFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ChooseFileError(`${name} is not JSON: export a Choose run from this page and import that file.`);
  }
  const v = value as Partial<ChooseFile> | null;
  if (!v || typeof v !== 'object' || v.kind !== CHOOSE_FILE_KIND) {
    throw new ChooseFileError(`${name} is not a Choose run (no "kind": "${CHOOSE_FILE_KIND}"); a Benchmark report goes to the Benchmark view.`);
  }
  if (v.version !== 1) throw new ChooseFileError(`${name} is a Choose run of version ${String(v.version)}; this page reads version 1.`);
  if (!v.env || typeof v.env !== 'object') throw new ChooseFileError(`${name} has no environment card ("env"): where it was measured is unknown, so it is not shown.`);
  if (!Array.isArray(v.rows) || v.rows.length === 0) throw new ChooseFileError(`${name} has no measured variants ("rows").`);
  v.rows.forEach((r, i) => {
    const ok =
      r && typeof r === 'object' && r.variant && typeof r.variant.id === 'string' && typeof r.variant.dims === 'number' &&
      (STORED as readonly string[]).includes(r.variant.stored) && ['done', 'failed', 'cancelled', 'pending'].includes(r.status) &&
      r.quality && typeof r.quality === 'object' && Object.values(r.quality).every(num) && num(r.sentencesPerS) && num(r.latencyMs);
    if (!ok) throw new ChooseFileError(`${name}, row ${i + 1}: not a measured variant (variant id, dims, stored precision, status, quality, speed).`);
  });
  return v as ChooseFile;
}
