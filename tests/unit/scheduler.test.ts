/** The embedding scheduler's one rule (on-demand before bulk) and the bulk gate's conditions. */
import { describe, expect, it } from 'vitest';
import { EmbedScheduler } from '../../src/core/jobs/scheduler.ts';
import { bulkGate, type BatteryLike, type BulkPolicy, type GateEnvironment } from '../../src/core/jobs/bulk-gate.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A model that takes a few ms per call and records the order calls reach it. */
function recordingModel() {
  const order: string[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const run = async (texts: string[]) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    order.push(texts[0]);
    await tick(10);
    concurrent--;
    return texts.map((t) => t.toUpperCase());
  };
  return { order, run, maxConcurrent: () => maxConcurrent };
}

describe('EmbedScheduler', () => {
  it('runs a query issued during bulk work before every bulk batch not yet started, one call at a time', async () => {
    // Each call finishes only when the test says so: the order cannot depend on timing.
    const order: string[] = [];
    const release: (() => void)[] = [];
    const s = new EmbedScheduler((texts: string[]) => {
      order.push(texts[0]);
      return new Promise<string[]>((r) => release.push(() => r(texts)));
    });
    const bulk = ['b1', 'b2', 'b3'].map((b) => s.bulk([b]));
    expect(order).toEqual(['b1']); // b1 runs, b2 and b3 wait in the scheduler
    const query = s.interactive(['q']);
    expect(s.waiting).toEqual({ interactive: 1, bulk: 2 });
    release.shift()!(); // b1 ends
    await tick();
    expect(order).toEqual(['b1', 'q']);
    release.shift()!();
    expect(await query).toEqual(['q']);
    while (order.length < 4 || release.length) {
      release.shift()?.();
      await tick();
    }
    await Promise.all(bulk);
    expect(order).toEqual(['b1', 'q', 'b2', 'b3']);
  });

  it('never hands the model two calls at once', async () => {
    const model = recordingModel();
    const s = new EmbedScheduler(model.run);
    await Promise.all([s.bulk(['a']), s.interactive(['b']), s.bulk(['c']), s.interactive(['d'])]);
    expect(model.maxConcurrent()).toBe(1);
    expect(model.order).toEqual(['a', 'b', 'd', 'c']);
  });

  it('an aborted queued call is dropped; the others still run', async () => {
    const model = recordingModel();
    const s = new EmbedScheduler(model.run);
    const ctl = new AbortController();
    const first = s.bulk(['b1']);
    const dropped = s.bulk(['b2'], ctl.signal);
    ctl.abort();
    await expect(dropped).rejects.toThrow('aborted');
    await first;
    await s.bulk(['b3']);
    expect(model.order).toEqual(['b1', 'b3']);
  });

  it('a failing call rejects only its caller', async () => {
    const s = new EmbedScheduler(async (texts: string[]) => {
      if (texts[0] === 'bad') throw new Error('model failed');
      return texts;
    });
    await expect(s.bulk(['bad'])).rejects.toThrow('model failed');
    expect(await s.interactive(['ok'])).toEqual(['ok']);
  });

  it('queries pass a closed bulk gate; bulk waits for it', async () => {
    const model = recordingModel();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const s = new EmbedScheduler(model.run, { bulkGate: () => gate });
    const bulk = s.bulk(['b1']);
    await tick(20);
    expect(await s.interactive(['q'])).toEqual(['Q']);
    expect(model.order).toEqual(['q']);
    open();
    await bulk;
    expect(model.order).toEqual(['q', 'b1']);
  });
});

class FakeDocument extends EventTarget {
  visibilityState = 'visible';
  set(state: string) {
    this.visibilityState = state;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}
class Battery extends EventTarget implements BatteryLike {
  charging = true;
  set(charging: boolean) {
    this.charging = charging;
    this.dispatchEvent(new Event('chargingchange'));
  }
}

function environment(battery: Battery | null) {
  const doc = new FakeDocument();
  const idle: (() => void)[] = [];
  const env: GateEnvironment = {
    document: doc,
    whenIdle: (cb) => {
      idle.push(cb);
      return () => idle.splice(idle.indexOf(cb), 1);
    },
    battery: async () => battery,
  };
  return { env, doc, fireIdle: () => idle.splice(0).forEach((cb) => cb()) };
}

describe('bulk gate', () => {
  it('only while visible and idle: waits for idle time, and holds while the page is hidden', async () => {
    const { env, doc, fireIdle } = environment(null);
    const reasons: (string | null)[] = [];
    const policy: BulkPolicy = { onlyWhenIdle: true, onlyWhenCharging: false };
    let passed = false;
    doc.set('hidden');
    const gate = bulkGate(env, () => policy, (r) => reasons.push(r))().then(() => (passed = true));
    await tick();
    fireIdle();
    await tick();
    expect(passed).toBe(false); // hidden: idle time does not count
    doc.set('visible');
    await tick();
    expect(passed).toBe(false);
    fireIdle();
    await gate;
    expect(reasons).toEqual(['paused while the page is hidden', 'waiting for the page to be idle', null]);
  });

  it('only while charging: waits for the charger where the Battery API exists, ignored where it does not', async () => {
    const battery = new Battery();
    battery.charging = false;
    const { env } = environment(battery);
    const policy: BulkPolicy = { onlyWhenIdle: false, onlyWhenCharging: true };
    let passed = false;
    const gate = bulkGate(env, () => policy, () => {})().then(() => (passed = true));
    await tick();
    expect(passed).toBe(false);
    battery.set(true);
    await gate;
    await bulkGate(environment(null).env, () => policy, () => {})(); // no Battery API: runs
  });

  it('an abort while waiting rejects', async () => {
    const { env } = environment(null);
    const ctl = new AbortController();
    const gate = bulkGate(env, () => ({ onlyWhenIdle: true, onlyWhenCharging: false }), () => {})(ctl.signal);
    ctl.abort();
    await expect(gate).rejects.toThrow('aborted');
  });
});
