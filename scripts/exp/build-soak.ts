/**
 * The soak against the production build users install (#15), not the dev server: does the end's
 * extra (the reloaded page's scripts with their inline source maps, Vite's client) go with it?
 * Builds to test-results/soak-dist, serves it with `vite preview` (the production headers), waits
 * until the service worker has precached everything and is active (its first-visit download must
 * not land inside the baseline), then runs the soak (`runSoak`, MINUTES) over raw CDP as `npm run soak`.
 * `MINUTES=2 npx tsx scripts/exp/build-soak.ts`
 */
import { build, preview } from 'vite';
import { CdpBrowser } from '../../src/bench/cdp.ts';
import { openSoakPage, runSoak } from '../../src/bench/soak.ts';

const outDir = 'test-results/soak-dist';
await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
const server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, strictPort: false } });
const url = server.resolvedUrls!.local[0];
const browser = await CdpBrowser.launch(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--js-flags=--expose-gc']);
try {
  const page = await openSoakPage(browser, url);
  const t0 = Date.now();
  await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
  console.log(`service worker active after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const report = await runSoak(page, { minutes: Number(process.env.MINUTES ?? 2), onLog: (line) => console.log(`[soak] ${line}`) });
  for (const r of report.rows.filter((x) => /growth|slope_mb_per_cycle$|slowdown_ratio$/.test(x.metric) || (x.metric === 'memory_mb' && /renderer private$/.test(String(x.source))))) console.log(JSON.stringify(r));
} finally {
  await browser.close();
  await new Promise((r) => server.httpServer.close(r));
}
