/** Prints one closing line for CI — "tests: N passed, N failed, N skipped" — from the JSON reports
 * vitest and Playwright wrote under test-results/. */
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const missing: string[] = [];

const unit = 'test-results/unit.json';
if (existsSync(unit)) {
  const r = JSON.parse(readFileSync(unit, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else missing.push('unit');

const e2e = 'test-results/e2e.json';
if (existsSync(e2e)) {
  const s = JSON.parse(readFileSync(e2e, 'utf8')).stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  skipped += s.skipped ?? 0;
} else missing.push('e2e');

if (missing.length) console.log(`(no report from: ${missing.join(', ')} — that stage did not run)`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
