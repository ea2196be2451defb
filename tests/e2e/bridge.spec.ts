/**
 * The worker bridge in a real browser: the page imports src/model-client.ts from the dev server
 * and drives a real glove-100d worker.
 */
import { expect, test } from '@playwright/test';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

const setup = `
  const { ModelClient } = await import('/src/model-client.ts');
  const { catalog } = await import('/models/catalog.ts');
  const entry = catalog.find((m) => m.id === 'glove-100d');
  const spec = { id: entry.id, kind: 'static', source: { type: 'url', baseUrl: new URL(entry.path, location.href).href, files: entry.files } };
  const words = ['whale', 'ship', 'sea', 'harpoon', 'captain', 'sailor', 'ocean', 'storm'];
  const big = Array.from({ length: 400000 }, (_, i) => words[i % 8] + ' ' + words[(i * 3) % 8] + ' ' + words[(i * 5) % 8]);
`;

test('calls are queued and answered in order; vectors arrive as Float32Array rows × dims', async ({ page }) => {
  const result = await page.evaluate(`(async () => {
    ${setup}
    const client = new ModelClient(spec);
    await client.load();
    const order = [];
    const [a, b, c] = await Promise.all([
      client.embed(big.slice(0, 50000)).then((r) => (order.push('a'), r)),
      client.embed(['whale']).then((r) => (order.push('b'), r)),
      client.embed(['ship', 'sea']).then((r) => (order.push('c'), r)),
    ]);
    client.unload();
    return { order, rows: [a.rows, b.rows, c.rows], isF32: c.vectors instanceof Float32Array, length: c.vectors.length, starts: client.workerStarts };
  })()`);
  expect(result).toEqual({ order: ['a', 'b', 'c'], rows: [50000, 1, 2], isF32: true, length: 200, starts: 1 });
});

test('aborting a queued call drops it; aborting a running call stops it and the model keeps working', async ({ page }) => {
  const result = (await page.evaluate(`(async () => {
    ${setup}
    const client = new ModelClient(spec);
    await client.load();
    const running = new AbortController();
    const queued = new AbortController();
    const started = performance.now();
    const first = client.embed(big, running.signal).then(() => 'finished', (e) => e.name);
    const second = client.embed(['whale'], queued.signal).then(() => 'finished', (e) => e.name);
    const third = client.embed(['sea']).then((r) => r.rows, (e) => e.name);
    queued.abort();
    await new Promise((r) => setTimeout(r, 30));
    running.abort();
    const outcomes = [await first, await second];
    const abortedAfterMs = performance.now() - started;
    const thirdRows = await third;
    const after = await client.embed(['captain', 'sailor']);
    const out = { outcomes, abortedAfterMs, thirdRows, afterRows: after.rows, starts: client.workerStarts, alive: client.workerAlive };
    client.unload();
    return out;
  })()`)) as Record<string, unknown>;
  expect(result.outcomes).toEqual(['AbortError', 'AbortError']);
  expect(result.thirdRows).toBe(1);
  expect(result.afterRows).toBe(2);
  // 400k sentences take seconds; the abort lands long before that.
  expect(result.abortedAfterMs as number).toBeLessThan(1500);
  expect(result.alive).toBe(true);
  // Cross-origin isolated: the worker saw the shared abort flag and stopped by itself (no restart).
  expect(result.starts).toBe(1);
});

test('a busy worker that cannot stop is terminated, and the next call reloads the model in a fresh one', async ({ page }) => {
  const result = (await page.evaluate(`(async () => {
    ${setup}
    const { WorkerBridge } = await import('/src/bridge.ts');
    const url = new URL('/tests/e2e/fixtures/spin.worker.ts', location.href);
    const bridge = new WorkerBridge({ create: () => new Worker(url, { type: 'module' }), init: (api) => api.init(), abortGraceMs: 100 });
    const controller = new AbortController();
    const spinning = bridge.call((api) => api.spin(60000), controller.signal).then(() => 'finished', (e) => e.name);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    controller.abort();
    const outcome = await spinning;
    const next = await bridge.call((api) => api.inits());
    const waited = performance.now() - t0;
    const out = { outcome, next, starts: bridge.starts, waited };
    bridge.dispose();
    return out;
  })()`)) as Record<string, unknown>;
  expect(result.outcome).toBe('AbortError');
  expect(result.starts).toBe(2); // terminated and replaced
  expect(result.next).toBe(1); // init ran again on the fresh worker
  expect(result.waited as number).toBeLessThan(5000);
});

test('an idle worker is terminated to give memory back and comes back on the next call', async ({ page }) => {
  const result = await page.evaluate(`(async () => {
    ${setup}
    const client = new ModelClient(spec, { idleMs: 200 });
    await client.load();
    const aliveBefore = client.workerAlive;
    // Wait on the state itself (the worker gone), bounded: the idle timer is 200 ms.
    const waitedFrom = performance.now();
    while (client.workerAlive && performance.now() - waitedFrom < 10000) await new Promise((r) => setTimeout(r, 20));
    const aliveAfterIdle = client.workerAlive;
    const r = await client.embed(['whale', 'ship']);
    const out = { aliveBefore, aliveAfterIdle, rows: r.rows, starts: client.workerStarts };
    client.unload();
    return out;
  })()`);
  expect(result).toEqual({ aliveBefore: true, aliveAfterIdle: false, rows: 2, starts: 2 });
});

test('a worker whose script cannot load fails its call with a message instead of hanging', async ({ page }) => {
  const result = await page.evaluate(`(async () => {
    const { WorkerBridge } = await import('/src/bridge.ts');
    const bridge = new WorkerBridge({ create: () => new Worker('/does-not-exist.worker.js', { type: 'module' }), init: (api) => api.init() });
    const outcome = await bridge.call((api) => api.anything()).then(() => 'resolved', (e) => e.message);
    bridge.dispose();
    return outcome;
  })()`);
  expect(result).toContain("The model's worker stopped");
});
