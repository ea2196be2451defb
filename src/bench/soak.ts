/**
 * The soak run (issue #15): a day of use in a few minutes, driven from Node through Playwright
 * because a page reload is one of its faults and no page code outlives it. The steps run in the
 * page (src/bench/soak-page.ts, through `embedscope.soak()`); this file orders them, injects the
 * faults, and measures what the page cannot see of itself:
 * - memory from the browser's own process metrics (CDP SystemInfo.getProcessInfo gives each
 *   Chromium process; its proportional set size is read from /proc), the page's JS heap after a
 *   forced GC (CDP HeapProfiler.collectGarbage + Performance.getMetrics), and each worker's WASM
 *   memory and GPU buffers from the probe inside it (core/memory-probe.ts) while a model is loaded;
 * - the model workers alive after every unload (Playwright sees each worker start and end);
 * - the faults: a reload mid-ingest, a worker crash mid-batch (an uncaught error thrown inside the
 *   model worker, which the bridge treats as a crash), the model unloaded while a search that needs
 *   it waits, and a full disk (CDP Storage.overrideQuotaForOrigin) during the ingest.
 * Node-only (Playwright, /proc): the page never imports it.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, CDPSession, Page, Worker } from '@playwright/test';
import { median } from './stats.ts';
import { chunksThatFit, planSoak, slope, TIMED_SEARCHES, verdictRows, type SoakPlan, type SoakRow } from './soak-plan.ts';
import type { CycleResult, CycleSpec, SoakPage, VerifyResult } from './soak-page.ts';

export interface SoakOptions {
  minutes: number;
  /** Also cycle the WebGPU backend (a software adapter here: slow, proves only that buffers are freed). */
  webgpu?: boolean;
  onLog?: (line: string) => void;
}

export interface SoakReport {
  plan: SoakPlan;
  rows: SoakRow[];
  /** Every verdict row passed. */
  pass: boolean;
  elapsedMs: number;
}

interface MemorySample {
  /** PSS of Chromium's renderer processes (the page and its workers), bytes; null off Linux. */
  renderer: number | null;
  /** PSS of every Chromium process. */
  total: number | null;
  /** The page's JS heap after a forced GC. */
  jsHeap: number;
}

type Method = keyof SoakPage;
const isModelWorker = (w: Worker) => /model\.worker/.test(w.url());

/** PSS of a process from /proc (bytes), or null where it cannot be read. */
function pss(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux, or the process is gone */
  }
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export async function runSoak(page: Page, context: BrowserContext, opts: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const plan = planSoak(opts.minutes);
  const log = opts.onLog ?? (() => {});
  const rows: SoakRow[] = [];
  const row = (metric: string, value: number, extra: Record<string, string | number | boolean | null> = {}) => rows.push({ suite: 'soak', metric, value, ...extra });
  const origin = new URL(page.url()).origin;

  const call = async <M extends Method>(method: M, ...args: unknown[]): Promise<Awaited<ReturnType<SoakPage[M]>>> =>
    // A string, not a function: tsx's compiled functions reference helpers that do not exist in the page.
    page.evaluate(`embedscope.soak().then((s) => s[${JSON.stringify(method)}](...${JSON.stringify(args)}))`) as Promise<Awaited<ReturnType<SoakPage[M]>>>;

  let pageCdp: CDPSession = await context.newCDPSession(page);
  await pageCdp.send('Performance.enable');
  const browserCdp = await context.browser()!.newBrowserCDPSession();
  const memory = async (): Promise<MemorySample> => {
    // Every isolate collected, not only the page's: a worker's dropped WebAssembly memories stay
    // mapped until its own GC runs (gc() exists where Chromium runs with --js-flags=--expose-gc).
    for (const w of page.workers()) await w.evaluate('globalThis.gc?.()').catch(() => {});
    await pageCdp.send('HeapProfiler.collectGarbage');
    // Freed memory goes back to the system only when the allocators purge: a critical memory
    // pressure signal makes them (without it the renderer's PSS after the same first round read
    // 162–307 MB in five runs, more spread than any growth the ratio is meant to catch).
    await pageCdp.send('Memory.simulatePressureNotification', { level: 'critical' });
    const { metrics } = await pageCdp.send('Performance.getMetrics');
    const jsHeap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    let renderer: number | null = 0;
    let total: number | null = 0;
    for (const p of processInfo) {
      const bytes = pss(p.id);
      if (bytes === null) {
        renderer = total = null;
        break;
      }
      total += bytes;
      if (p.type === 'renderer') renderer += bytes;
    }
    return { renderer, total, jsHeap };
  };
  /** Model workers alive once the ones being terminated have gone (waits on their close events, at most `ms`). */
  const modelWorkersAfter = async (ms = 10_000): Promise<number> => {
    const until = Date.now() + ms;
    for (;;) {
      const alive = page.workers().filter(isModelWorker);
      if (alive.length === 0 || Date.now() > until) return alive.length;
      await Promise.race([...alive.map((w) => new Promise((r) => w.once('close', r))), new Promise((r) => setTimeout(r, 250))]);
    }
  };
  const mb = (x: number | null) => (x === null ? null : Math.round((x / 2 ** 20) * 10) / 10);
  const logMemory = (label: string, m: MemorySample) => log(`memory ${label}: renderer ${mb(m.renderer)} MB, all processes ${mb(m.total)} MB, JS heap ${mb(m.jsHeap)} MB`);

  const start = await memory();
  logMemory('at the start', start);

  // ── 1. load → embed → unload, every model × dtype × backend × pool, in rounds ──
  const cells: CycleSpec[] = [];
  for (const { model, dtypes } of await call('catalogCells')) {
    for (const dtype of dtypes) {
      for (const backend of (dtype === 'table' ? ['wasm'] : opts.webgpu ? ['wasm', 'webgpu'] : ['wasm']) as ('wasm' | 'webgpu')[]) {
        for (const pool of [1, 2]) cells.push({ model, dtype, backend, pool });
      }
    }
  }
  const afterRound: MemorySample[] = [];
  const afterCycle: number[] = [];
  const workersAfterUnload: number[] = [];
  const perCell = new Map<string, CycleResult[]>();
  const cyclesStart = Date.now();
  let rounds = 0;
  // A round is every cell once; the first always runs whole (its end is the baseline), later ones while time is left.
  while (rounds < plan.cycles && (rounds === 0 || Date.now() - cyclesStart < plan.cyclesMs)) {
    for (const c of cells) {
      if (rounds > 0 && Date.now() - cyclesStart > plan.cyclesMs) break;
      const key = `${c.model} ${c.dtype} ${c.backend} ×${c.pool}`;
      try {
        const r = await call('cycle', c, 32);
        perCell.set(key, [...(perCell.get(key) ?? []), r]);
      } catch (err) {
        log(`${key}: ${(err as Error).message.split('\n')[0]}`);
        row('cycle_failed', 1, { cell: key, note: (err as Error).message.split('\n')[0] });
      }
      workersAfterUnload.push(await modelWorkersAfter());
      const m = await memory();
      afterCycle.push(m.renderer ?? m.jsHeap);
    }
    if (afterCycle.length < (rounds + 1) * cells.length) break; // a round cut short by the time
    rounds++;
    const m = await memory();
    afterRound.push(m);
    logMemory(`after round ${rounds} (${cells.length} loads each)`, m);
  }
  row('cycles_done', rounds, { target: plan.cycles, loads: afterCycle.length, cells: cells.length, ms: Date.now() - cyclesStart });
  row('memory_slope_mb_per_load', slope(afterCycle) / 2 ** 20, { loads: afterCycle.length, note: 'renderer PSS after each single load/unload (informative; the verdict is per round)' });
  for (const [key, results] of perCell) {
    const first = results[0];
    const last = results[results.length - 1];
    row('wasm_bytes_loaded', last.wasmBytes, { cell: key, first: first.wasmBytes, cycles: results.length, note: 'WASM memory of the pool while loaded: the last cycle vs the first' });
    if (last.gpuBufferBytes || first.gpuBufferBytes) row('gpu_buffer_bytes_loaded', last.gpuBufferBytes, { cell: key, first: first.gpuBufferBytes });
    row('load_ms', median(results.map((r) => r.loadMs)), { cell: key, first: Math.round(first.loadMs), last: Math.round(last.loadMs), cycles: results.length });
  }

  // ── 2. ingest with searches and faults ──
  const ingestStart = Date.now();
  const faults: { fault: string; recovered: boolean; note: string }[] = [];
  await call('openIngestModel');
  // The full disk comes first, in the reference collection's ingest: Chromium's override of the
  // quota only reaches writes when the browser asks its quota manager again, and it asks at an
  // origin's first write and then only when the space it was told runs out (measured: overrides set
  // after the first write — at the usage, half of it, 2 MB above it, or kept at usage + room before
  // every step — refused nothing over 12,000–28,000 chunks; set before the first write, they did).
  // So the quota is set before the page's first write, with room for the queue and a part of the
  // vectors, then lifted once the job has paused.
  const usage0 = await call('usage');
  await pageCdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage0 + 6 * 2 ** 20 });
  let t = Date.now();
  const ref = await call('prepare', 'soak-reference', 10_000);
  await call('startIngest', ref.jobId);
  await call('waitIngest');
  const full = await call('ingestStatus');
  await pageCdp.send('Storage.overrideQuotaForOrigin', { origin }); // room again
  let quotaHit = full.status === 'paused' && /Storage is full/.test(full.error ?? '');
  if (full.status !== 'done') {
    await call('startIngest', ref.jobId);
    await call('waitIngest');
  }
  const refStatus = await call('ingestStatus');
  const refCheck = await call('verify', ref.collectionId, ref.queued, 50);
  quotaHit &&= refCheck.lost === 0 && refCheck.duplicated === 0 && refCheck.stored === ref.queued && Object.values(refCheck.precisionRows).every((n) => n === ref.queued);
  faults.push({ fault: 'quota', recovered: quotaHit, note: `${full.status} at ${full.done} of ${full.total}: ${full.error}; after resuming ${refCheck.stored} stored, ${refCheck.lost} lost, ${refCheck.duplicated} duplicated` });
  log(`fault quota: ${quotaHit ? 'recovered' : 'NOT recovered'} (${faults[faults.length - 1].note})`);
  if (refStatus.status !== 'done') throw new Error(`the reference collection did not finish: ${refStatus.status} ${refStatus.error ?? ''}`);
  // Queueing and embedding together, per chunk: what the big collection's size is fitted to.
  const rate = ref.queued / ((Date.now() - t) / 1000);
  const chunks = chunksThatFit(plan, rate);
  log(`reference collection: ${ref.queued} chunks queued and embedded at ${Math.round(rate)}/s; the big collection gets ${chunks} (target ${plan.chunks})`);
  const first = await call('searches', ref.collectionId, TIMED_SEARCHES, 0, true);
  log(`first ${TIMED_SEARCHES} searches: median ${median(first.ms).toFixed(1)} ms`);

  t = Date.now();
  const big = await call('prepare', 'soak', chunks);
  row('queue_ms', Date.now() - t, { chunks: big.queued });
  const bursts = 20;
  const perBurst = Math.max(1, Math.round(plan.interleavedSearches / bursts));
  const interleaved: number[] = [];
  const searchErrors: string[] = [];
  // Where each event happens, as a fraction of the job: 20 bursts of searches and the four faults.
  type Event = { at: number; kind: 'burst' | 'reload' | 'worker-crash' | 'unload-while-search-queued' };
  const events: Event[] = [
    ...Array.from({ length: bursts }, (_, i): Event => ({ at: (i + 0.5) / bursts, kind: 'burst' })),
    ...([
      { at: 0.35, kind: 'reload' },
      { at: 0.55, kind: 'worker-crash' },
      { at: 0.75, kind: 'unload-while-search-queued' },
    ] as Event[]),
  ].sort((x, y) => x.at - y.at);
  const targetOf = (e: Event | undefined) => (e ? Math.round(e.at * big.queued) : undefined);
  /** Runs the ingest until it has committed past `done` + one batch (so a fault hits it mid-run). */
  const runningPast = async (done: number, pauseAt: number | undefined) => {
    await call('startIngest', big.jobId, pauseAt);
    for (;;) {
      const s = await call('ingestStatus');
      if (!s.running || s.done > done) return s;
    }
  };
  t = Date.now();
  let burst = 0;
  let cut = false;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (Date.now() > ingestStart + plan.ingestMs * 1.5) {
      cut = true;
      log('ingest phase out of time: the remaining searches and faults are skipped');
      break;
    }
    // To the event's point, paused there as the person's Pause button does.
    await call('startIngest', big.jobId, targetOf(e));
    await call('waitIngest');
    const at = await call('ingestStatus');
    // A fault needs the ingest running when it lands: it runs on well past the next event's point
    // (a burst then pauses it at once on resume), not stopped by a pause an instant later.
    const next = Math.min(big.queued, at.done + Math.round(0.2 * big.queued));
    if (e.kind === 'burst') {
      burst++;
      const r = await call('searches', big.collectionId, perBurst, burst * perBurst);
      interleaved.push(...r.ms);
      searchErrors.push(...r.errors);
      continue;
    }
    let fault: { recovered: boolean; note: string };
    if (e.kind === 'reload') {
      const s = await runningPast(at.done, next);
      await page.reload();
      await page.waitForFunction(() => 'embedscope' in globalThis, undefined, { timeout: 120_000 });
      pageCdp = await context.newCDPSession(page);
      await pageCdp.send('Performance.enable');
      fault = { recovered: s.running, note: `reloaded while the ingest ran at ${s.done} of ${s.total}` };
    } else if (e.kind === 'worker-crash') {
      const s = await runningPast(at.done, next);
      const w = page.workers().find(isModelWorker);
      if (!w || !s.running) fault = { recovered: false, note: 'no running model worker to crash' };
      else {
        const closed = new Promise<boolean>((resolve) => {
          w.once('close', () => resolve(true));
          setTimeout(() => resolve(false), 15_000);
        });
        await w.evaluate('setTimeout(() => { throw new Error("soak: injected worker crash"); }, 0)');
        const gone = await closed;
        await call('pauseIngest'); // stopped here either way, so the next fault finds the job running again
        await call('waitIngest');
        const r = await call('ingestStatus');
        // Two honest outcomes: the crash hit a batch (the job fails and says the worker stopped; it
        // is resumed) or it fell between two calls (the bridge starts a new worker for the next one).
        const hitBatch = r.status === 'failed' && /stopped/.test(r.error ?? '');
        fault = { recovered: gone && (hitBatch || r.status === 'paused' || r.status === 'done'), note: `worker ${gone ? 'gone' : 'STILL ALIVE'}; ${hitBatch ? 'a batch failed, the job resumes' : 'between calls: the next call got a new worker'}; ${r.status} at ${r.done}${r.error ? `: ${r.error}` : ''}` };
      }
    } else {
      const s = await runningPast(at.done, next);
      const r = await call('unloadWhileSearchQueued', big.collectionId);
      await call('waitIngest'); // the ingest used the same model: it stopped too
      const after = await call('ingestStatus');
      fault = { recovered: s.running && /unloaded/.test(r.message ?? '') && r.searchedAfter, note: `search said: ${r.message}; ingest ${after.status} (${after.error}); a search after loading the model again ${r.searchedAfter ? 'worked' : 'failed'}` };
    }
    faults.push({ fault: e.kind, ...fault });
    log(`fault ${e.kind}: ${fault.recovered ? 'recovered' : 'NOT recovered'} (${fault.note})`);
  }
  if (!cut) {
    await call('startIngest', big.jobId);
    await call('waitIngest');
  }
  const ingestMs = Date.now() - t;
  const finalStatus = await call('ingestStatus');
  row('chunks_embedded', finalStatus.done, { target: plan.chunks, queued: big.queued, status: finalStatus.status, ingest_ms: ingestMs, per_s: Math.round(finalStatus.done / (ingestMs / 1000)) });
  for (const f of faults) row('fault_recovered', f.recovered ? 1 : 0, { fault: f.fault, pass: f.recovered, note: f.note });
  row('searches_interleaved', interleaved.length, { target: plan.interleavedSearches, median_ms: Math.round(median(interleaved) * 10) / 10 || 0, errors: searchErrors.length, note: searchErrors.slice(0, 3).join(' | ') });

  // ── 3. the store against what was submitted, export + re-import ──
  t = Date.now();
  const v: VerifyResult = await call('verify', big.collectionId, big.queued);
  row('verify_ms', Date.now() - t, { stored: v.stored });
  row('hash_mismatches', v.hashMismatches, { pass: v.hashMismatches === 0, stored: v.stored });
  row('vector_mismatches', v.vectorMismatches, { pass: v.vectorMismatches === 0, sampled: v.sampled });
  row('collection_count', v.count, { pass: v.count === v.stored, stored: v.stored });
  const x = await call('exportImport', big.collectionId);
  const exact = x.textsEqual && Object.values(x.vectorsEqual).every(Boolean) && x.rows === v.stored;
  row('export_import_exact', exact ? 1 : 0, { pass: exact, rows: x.rows, export_ms: Math.round(x.exportMs), import_ms: Math.round(x.importMs), bytes: x.bytes, vectors_equal: JSON.stringify(x.vectorsEqual), note: Object.values(x.differing).join(' | ') });
  if (!exact) log(`export + re-import not exact: texts ${x.textsEqual ? 'equal' : 'differ'}; ${JSON.stringify(x.differing)}`);

  // ── 4. the same searches as at the start, then the end measurement with nothing loaded ──
  const last = await call('searches', ref.collectionId, TIMED_SEARCHES, 0, true);
  log(`last ${TIMED_SEARCHES} searches: median ${median(last.ms).toFixed(1)} ms`);
  // Where a search's time went, first 100 vs last 100: the query's embedding, the search worker.
  for (const [part, a, b] of [['embed', first.embedMs, last.embedMs], ['search_worker', first.searchMs, last.searchMs]] as const) {
    row('search_part_ms', median(b), { part, first_median_ms: Math.round(median(a) * 100) / 100, ratio: Math.round((median(b) / median(a)) * 100) / 100 });
  }
  await call('cleanup', [ref.collectionId, big.collectionId]);
  workersAfterUnload.push(await modelWorkersAfter());
  const end = await memory();
  logMemory('at the end', end);

  const source = afterRound[0].renderer !== null ? 'renderer' : 'js_heap';
  const pick = (m: MemorySample) => (source === 'renderer' ? m.renderer! : m.jsHeap);
  rows.unshift(
    ...verdictRows({
      memoryAfterFirstCycle: pick(afterRound[0]),
      // Per round once there are 3 (a round loads every cell once); else per single load/unload
      // after the first round (which compiles each kind of model's code for the first time).
      memoryAfterCycles: afterRound.length >= 3 ? afterRound.map(pick) : afterCycle.slice(cells.length - 1),
      cycleUnit: afterRound.length >= 3 ? 'round' : 'load after the first round',
      memoryEnd: pick(end),
      memorySource: source === 'renderer' ? 'PSS of the renderer processes (CDP SystemInfo.getProcessInfo + /proc)' : 'JS heap after GC',
      chunksSubmitted: big.queued,
      lost: v.lost,
      duplicated: v.duplicated,
      precisionRows: v.precisionRows,
      firstSearchesMs: first.ms,
      lastSearchesMs: last.ms,
      workersAfterUnload,
    }),
  );
  for (const [label, m] of [['start', start], ['after_first_cycle', afterRound[0]], ['after_last_cycle', afterRound[afterRound.length - 1]], ['end', end]] as const) {
    row('memory_mb', mb(m.renderer) ?? 0, { point: label, source: 'renderer PSS' });
    row('memory_mb', mb(m.total) ?? 0, { point: label, source: 'all Chromium processes PSS' });
    row('memory_mb', mb(m.jsHeap)!, { point: label, source: 'page JS heap after GC' });
  }
  row('js_heap_growth_ratio', end.jsHeap / afterRound[0].jsHeap, { note: 'page JS heap after GC: end ÷ after the first cycle (informative)' });
  const elapsedMs = Date.now() - started;
  row('elapsed_s', Math.round(elapsedMs / 1000), { minutes: plan.minutes });
  const pass = rows.every((r) => r.pass !== false);
  return { plan, rows, pass, elapsedMs };
}
