/**
 * The soak run's short form (`npm run soak -- --minutes 2`), in CI: the same runner as the CLI
 * (src/bench/soak.ts) on the test's page, with the same verdicts as the full 10-minute run. It
 * fails on 0 chunks lost or duplicated, every precision's rows, content hashes, sampled vectors,
 * no model worker left after an unload, each injected fault recovered and the export re-imported
 * exactly; the memory and search ratios are computed and attached with their verdicts. A Playwright spec rather than a vitest test: the soak needs a real
 * Chromium, its CDP (process memory, forced GC, the quota) and its workers.
 */
import { expect, test } from '@playwright/test';
import { runSoak } from '../../src/bench/soak.ts';
import { chromiumPath } from '../../playwright.config.ts';

// The suite's browser plus --expose-gc, so the soak can collect each worker's heap before it measures.
test.use({
  launchOptions: {
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--js-flags=--expose-gc'],
  },
});

test('a short soak (2 minutes) loses nothing, recovers from every fault, leaves no worker, and leaves the page usable', async ({ page, context }) => {
  // Two minutes of soak; the first round of loads always runs whole, so a slow machine runs over.
  test.setTimeout(6 * 60_000);
  await page.goto('/');
  await page.waitForFunction(() => 'embedscope' in globalThis);
  const report = await runSoak(page, context, { minutes: 2, onLog: (line) => console.log(`[soak] ${line}`) });
  const verdicts = report.rows.filter((r) => r.pass !== undefined);
  for (const metric of ['chunks_lost', 'chunks_duplicated', 'memory_growth_ratio', 'search_slowdown_ratio', 'workers_after_unload', 'export_import_exact']) {
    expect(verdicts.some((r) => r.metric === metric), `a ${metric} verdict`).toBe(true);
  }
  // The slope needs 3 cycles after the first round: a verdict when they fit, else a row that says why not.
  const slopeRow = report.rows.find((r) => r.metric === 'memory_slope_mb_per_cycle');
  expect(slopeRow?.pass !== undefined || /not measured/.test(String(slopeRow?.note)), 'a memory_slope_mb_per_cycle row').toBe(true);
  expect(report.rows.filter((r) => r.metric === 'fault_recovered').map((r) => r.fault).sort()).toEqual(['quota', 'reload', 'unload-while-search-queued', 'worker-crash']);
  // Exactness, faults and workers must hold on any machine. The three speed/memory ratios are the
  // soak's rows, not a timed test (house rule: such targets live in JSON rows): on the shared
  // 2-core machine, five 2-minute runs read search slowdown 0.26–1.99 and memory growth 0.73–1.50
  // with nothing else changed. They are attached to the report with their verdicts, never hidden.
  const ratios = ['memory_growth_ratio', 'memory_slope_mb_per_cycle', 'search_slowdown_ratio'];
  await test.info().attach('soak-rows.json', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
  for (const r of verdicts.filter((v) => ratios.includes(v.metric))) console.log(`[soak] ${r.metric} = ${r.value.toFixed(3)} (target ${r.target}): ${r.pass ? 'met' : 'MISSED'}`);
  for (const r of verdicts.filter((v) => !ratios.includes(v.metric))) {
    expect.soft(r.pass, `${r.metric}${r.fault ? ` (${r.fault})` : ''} = ${r.value}${r.note ? `: ${r.note}` : ''}`).toBe(true);
  }

  // Usable afterwards, through the UI: a model loads and the Collections view shows no error.
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('load-model').click();
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('collections-error')).toHaveCount(0);
});
