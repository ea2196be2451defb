/**
 * Whose are the big blocks the soak's end holds that its baseline did not (#15)? Runs the soak
 * itself (`runSoak`, MINUTES, over raw CDP as `npm run soak`) and, at each phase point, lists the
 * page renderer's anonymous mappings; at the end it prints each resident one ≥ 0.5 MB that was not
 * there after the measured cycles, with samples of its bytes as text.
 * `MINUTES=2 npx tsx scripts/exp/end-blocks.ts`
 */
import { CdpBrowser } from '../../src/bench/cdp.ts';
import { openSoakPage, runSoak } from '../../src/bench/soak.ts';
import { mappings, memoryText, serveApp } from './app.ts';

const { server, url } = await serveApp();
const browser = await CdpBrowser.launch(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--js-flags=--expose-gc']);
const seen = new Map<string, Set<string>>();
try {
  const page = await openSoakPage(browser, url);
  const report = await runSoak(page, {
    minutes: Number(process.env.MINUTES ?? 2),
    onDump: (point, dumps, pids) => {
      // The page's renderer: the biggest by the browser's own count.
      const pid = dumps.filter((d) => pids.includes(d.pid)).sort((a, b) => b.privateFootprint - a.privateFootprint)[0].pid;
      const anon = mappings(pid).filter((m) => !m.name && m.rss >= 0.5);
      seen.set(point, new Set(anon.map((m) => `${m.from}-${m.to}`)));
      if (point !== 'end') return;
      const before = seen.get('after_cycles') ?? new Set<string>();
      for (const m of anon.filter((x) => !before.has(`${x.from}-${x.to}`))) {
        const size = m.to - m.from;
        const text = memoryText(pid, m.from, Math.min(size, 1 << 20));
        console.log(`\n${m.from.toString(16)} ${(size / 2 ** 20).toFixed(2)} MB, rss ${m.rss.toFixed(2)}: ${text.slice(0, 200)} … ${text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 200)}`);
      }
    },
  });
  console.log(`\ngrowth ${report.rows.find((r) => r.metric === 'memory_growth_ratio')?.value.toFixed(3)}`);
} finally {
  await browser.close();
  await server.close();
}
