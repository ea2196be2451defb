/**
 * When each model was last used in this browser, for the Models view. Kept in localStorage
 * (a few bytes per model; read and written only by the page): embedded models by catalog id,
 * hub models by their hub id, your own by their file names.
 */
const KEY = 'embedscope-model-usage-v1';

export interface UsageRecord {
  lastUsed: number;
  label: string;
  source: 'embedded' | 'hub' | 'user';
}

export function readUsage(): Record<string, UsageRecord> {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, UsageRecord>) : {};
  } catch {
    return {}; // a damaged record only loses the dates, never a model
  }
}

export function recordUsage(ref: string, record: UsageRecord): void {
  const all = readUsage();
  all[ref] = record;
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // Storage full or disabled: the date is a nicety, the model still works.
  }
}

export function forgetUsage(ref: string): void {
  const all = readUsage();
  delete all[ref];
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    /* see recordUsage */
  }
}
