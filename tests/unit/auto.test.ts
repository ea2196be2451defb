/** Auto = measured: the candidates, the calibration's faults and the cached decision's validity (src/bench/auto.ts). */
import { describe, expect, it } from 'vitest';
import {
  calibrate, CalibrationInterrupted, candidatesFor, CandidateFailed, describeDecision, isDecision, roundOrder, roundSize, staleBecause,
  type Candidate, type DeviceFingerprint,
} from '../../src/bench/auto.ts';

const device: DeviceFingerprint = { cores: 2, browser: 'Chromium 156', gpu: 'none', isolated: true };
const what = { model: 'use-lite', dtype: 'int8', device, batch: 32 };
const label = (c: Candidate) => (c.backend === 'webgpu' ? 'webgpu' : `${c.pool}×${c.threads}`);

/** A fake clock the fake measurements advance, so budgets are tested without waiting. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('candidates', () => {
  it('WASM workers × threads that fit the cores, 1×1 first; WebGPU only on a hardware adapter', () => {
    expect(candidatesFor(device, { hardware: false }).map(label)).toEqual(['1×1', '1×2', '2×1']);
    expect(candidatesFor({ cores: 8, isolated: true }, { hardware: true }).map(label)).toEqual(['1×1', '1×2', '1×4', '2×1', '2×2', '2×4', '4×1', '4×2', 'webgpu']);
    // Not isolated: no SharedArrayBuffer, one thread per worker.
    expect(candidatesFor({ cores: 2, isolated: false }, { hardware: false }).map(label)).toEqual(['1×1', '2×1']);
    expect(candidatesFor({ cores: 1, isolated: true }, { hardware: false }).map(label)).toEqual(['1×1']);
  });
});

describe('calibration', () => {
  const rates: Record<string, number> = { '1×1': 70, '1×2': 88, '2×1': 131 };
  const texts = 16;

  /**
   * Fake workers on a fake clock: loading costs `loadMs`; a call of a candidate takes
   * texts / rate × `slowdown(now)` seconds, so a device that speeds up or slows down over the
   * calibration can be played.
   */
  function device2(opts: { loadMs?: number; slowdown?: (t: number) => number; fail?: Record<string, string>; crash?: string; abortOn?: [string, AbortController, string]; disturbed?: (n: number) => boolean; workers?: Record<string, string[]> } = {}) {
    const c = clock();
    const calls: string[] = [];
    const sizes: (number | undefined)[] = [];
    let released = 0;
    let releasedWith: Candidate | undefined;
    let count = 0;
    const hooks = {
      now: c.now,
      budgetMs: 3000,
      prepare: async (cands: Candidate[]) => {
        c.advance(opts.loadMs ?? 1000);
        return {
          release: (chosen?: Candidate) => {
            released++;
            releasedWith = chosen;
          },
          timers: cands.map((cand) => {
            const name = label(cand);
            if (opts.fail?.[name]) return new CandidateFailed(opts.fail[name]);
            return {
              workers: opts.workers?.[name],
              time: async (_signal: AbortSignal, n?: number) => {
                calls.push(name);
                sizes.push(n);
                const k = n ?? texts;
                if (name === opts.crash) throw new Error("The model's worker stopped: boom");
                if (opts.abortOn?.[0] === name) opts.abortOn[1].abort(opts.abortOn[2]);
                const ms = (k / rates[name]) * 1000 * (opts.slowdown?.(c.now()) ?? 1);
                c.advance(ms);
                return opts.disturbed?.(count++) ? null : { ms, sentences: k };
              },
            };
          }),
        };
      },
    };
    return { hooks, calls, sizes, released: () => released, releasedWith: () => releasedWith, clock: c };
  }

  it('loads every candidate first, warms each once, then times them in rounds of rotating order until the budget is spent', async () => {
    const f = device2();
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(label(d.chosen)).toBe('2×1');
    // 1 s of loads, then warm-up A B C, then rounds A B C, B C A (C A B would end past 3 s).
    expect(f.calls).toEqual(['1×1', '1×2', '2×1', '1×1', '1×2', '2×1', '1×2', '2×1', '1×1']);
    expect(d.figures.map((x) => [label(x.candidate), Math.round(x.sentencesPerS!)])).toEqual([['2×1', 131], ['1×2', 88], ['1×1', 70]]);
    // A round is ~0.52 s: no round starts that would not end within the 3 s.
    expect(d.ms).toBeLessThanOrEqual(3000);
    expect(d.ms).toBeGreaterThan(3000 - 600);
    expect(f.released()).toBe(1);
    // Released with the choice, so the model can take its workers over instead of loading new ones.
    expect(f.releasedWith()).toBe(d.chosen);
    // A round of the full 16 texts fitted: no smaller calls.
    expect(f.sizes.every((n) => n === undefined)).toBe(true);
    expect(d.phases).toEqual({ loadMs: 1000, warmMs: expect.closeTo(533, 0), rounds: 2 });
    expect(describeDecision(d)).toBe('Auto chose 2 workers × 1 thread: 131 sentences/s; 1 × 2: 88 sentences/s; 1 × 1: 70 sentences/s');
    expect(isDecision(JSON.parse(JSON.stringify(d)))).toBe(true);
  });

  it('warms each worker once: the widest candidate first, and none for a candidate whose workers are all warm', async () => {
    // 1×1 is the first worker of 2×1 (A, B); 1×2 is the model serving on the default (D).
    const f = device2({ workers: { '1×1': ['A'], '2×1': ['A', 'B'], '1×2': ['D'] } });
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(f.calls.slice(0, 2)).toEqual(['2×1', '1×2']);
    expect(f.calls.slice(2, 5)).toEqual(['1×1', '1×2', '2×1']); // then rounds, as before
    expect(d.phases!.warmMs).toBeCloseTo((16 / 131 + 16 / 88) * 1000, 0);
    // The warm-up it saved is a round's worth: a third round fits the 3 s.
    expect(d.phases!.rounds).toBe(3);
  });

  it('a device that speeds up during the calibration does not crown whichever candidate ran last', async () => {
    // Calls get 3× faster over the budget (a CPU leaving a burst of load from elsewhere). Timed
    // one after the other, 1×1 (run last) would have read ~1.9× its speed and won. In rotating
    // rounds each candidate sees the same drift, and the fastest stays first.
    const rated = { '1×1': 100, '1×2': 120, '2×1': 90 };
    Object.assign(rates, rated);
    try {
      const f = device2({ loadMs: 200, slowdown: (t) => Math.max(1, 3 - t / 1000) });
      const order = [{ backend: 'wasm', pool: 2, threads: 1 }, { backend: 'wasm', pool: 1, threads: 2 }, { backend: 'wasm', pool: 1, threads: 1 }] as Candidate[];
      const d = await calibrate(what, order, f.hooks);
      expect(label(d.chosen)).toBe('1×2');
    } finally {
      Object.assign(rates, { '1×1': 70, '1×2': 88, '2×1': 131 });
    }
  });

  it('a configuration that fails to load is skipped with its reason; the others still decide', async () => {
    const f = device2({ fail: { '2×1': '2 workers: out of memory' } });
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(label(d.chosen)).toBe('1×2');
    expect(d.figures.at(-1)).toEqual({ candidate: { backend: 'wasm', pool: 2, threads: 1 }, sentencesPerS: null, reason: '2 workers: out of memory' });
    expect(describeDecision(d)).toContain('2 × 1: skipped (2 workers: out of memory)');
    expect(f.calls).not.toContain('2×1');
  });

  it('a call that shared the cores with the person\'s own is not counted', async () => {
    // Every 1×2 call disturbed but the last: its figure comes from its undisturbed calls only.
    const f = device2({ disturbed: (n) => n >= 3 && n < 9 });
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(d.figures.every((x) => x.sentencesPerS !== null && Math.abs(x.sentencesPerS - rates[label(x.candidate)]) < 1e-6)).toBe(true);
  });

  it('loads that leave less than a round of full calls: the rounds time fewer texts, and the calibration still ends within its budget', async () => {
    // 2.2 s of loads + 0.53 s of warm-up leave 0.27 s: a round of 16 texts takes 0.53 s, of 8 0.27 s.
    const f = device2({ loadMs: 2200 });
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(f.sizes.slice(0, 3)).toEqual([undefined, undefined, undefined]); // the warm-up: full calls
    expect(f.sizes.slice(3)).toEqual([8, 8, 8]);
    expect(d.phases).toMatchObject({ rounds: 1, textsPerCall: 8 });
    expect(d.ms).toBeLessThanOrEqual(3000);
    expect(label(d.chosen)).toBe('2×1');
    expect(d.figures.map((x) => Math.round(x.sentencesPerS!))).toEqual([131, 88, 70]);
  });

  it('never fewer than two texts a worker of the widest pool: a round that small may end a little past the budget, which beats deciding nothing', async () => {
    const f = device2({ loadMs: 2400 }); // 0.07 s left: 2 texts would fit
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(d.phases!.textsPerCall).toBe(4);
    expect(d.ms).toBeGreaterThan(3000);
    expect(d.ms).toBeLessThan(3000 + (4 / 70 + 4 / 88 + 4 / 131) * 1000);
    expect(label(d.chosen)).toBe('2×1');
  });

  it('estimates a candidate with no warm-up of its own from the one that warmed its workers, at that many workers\' share', () => {
    const cand = (pool: number, threads: number): Candidate => ({ backend: 'wasm', pool, threads });
    const one = { candidate: cand(1, 1), timer: { workers: ['A'], time: async () => null } };
    const two = { candidate: cand(2, 1), timer: { workers: ['A', 'B'], time: async () => null } };
    const def = { candidate: cand(1, 2), timer: { workers: ['D'], time: async () => null } };
    // 2×1 took 10 ms a text, so 1×1 (all on A) ~20; 1×2 15: 45 ms a text for a round.
    const warm = new Map([[two, { msPerText: 10, texts: 16 }], [def, { msPerText: 15, texts: 16 }]]);
    expect(roundSize([one, two, def], warm, 45 * 16)).toBeUndefined();
    expect(roundSize([one, two, def], warm, 45 * 10 + 1)).toBe(10);
    expect(roundSize([one, two, def], warm, 10)).toBe(4);
    // A warm-up that was not counted (it shared the cores with the person's call): full calls.
    expect(roundSize([one, two, def], new Map([[def, { msPerText: 15, texts: 16 }]]), 10)).toBeUndefined();
  });

  it('loads and warm-up that end just past the budget: one round of the fewest texts still decides', async () => {
    const f = device2({ loadMs: 2900 }); // + 0.53 s of warm-up: 3.43 s before any round
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    expect(d.phases).toMatchObject({ rounds: 1, textsPerCall: 4 });
    expect(label(d.chosen)).toBe('2×1');
    const warm = (16 / 70 + 16 / 88 + 16 / 131) * 1000;
    expect(d.ms).toBeCloseTo(2900 + warm + (4 / 70 + 4 / 88 + 4 / 131) * 1000, 6);
  });

  it('a device too busy to time every candidate within the budget decides nothing', async () => {
    const seen: (number | null)[] = [];
    // Loads 2.9 s, then a warm-up 3.2× slower than the calls' rates say: 4.6 s before any round,
    // more than half as long again as the budget.
    const f = device2({ loadMs: 2900, slowdown: (t) => (t < 5000 ? 3.2 : 1) });
    const run = calibrate(what, candidatesFor(device, { hardware: false }), { ...f.hooks, onFigure: (x) => seen.push(x.sentencesPerS) });
    await expect(run).rejects.toThrow('Calibration stopped: this device was too busy to time every configuration in 3 s (loads 2.9 s, warm-up 1.7 s). Nothing was kept');
    expect(seen).toEqual([]);
    expect(f.released()).toBe(1);
  });

  it('loads that spend the whole budget: nothing is timed at all', async () => {
    const f = device2({ loadMs: 3500 });
    await expect(calibrate(what, candidatesFor(device, { hardware: false }), f.hooks)).rejects.toThrow('in 3 s (loads 3.5 s, warm-up 0.0 s)');
    expect(f.calls).toEqual([]);
    expect(f.released()).toBe(1);
  });

  it('interrupted by the person or a hidden tab: nothing decided, the reason said, the workers released', async () => {
    for (const reason of ['cancelled by you', 'the tab was hidden']) {
      const ctl = new AbortController();
      const f = device2({ abortOn: ['1×2', ctl, reason] });
      const run = calibrate(what, candidatesFor(device, { hardware: false }), { ...f.hooks, signal: ctl.signal });
      await expect(run).rejects.toThrow(CalibrationInterrupted);
      await expect(run).rejects.toThrow(`Calibration stopped: ${reason}. Nothing was kept; the model runs on the default.`);
      expect(f.released()).toBe(1);
      expect(f.releasedWith()).toBeUndefined(); // nothing chosen: every worker goes
    }
  });

  it('a worker that crashes mid-run interrupts (not skipped): a crash says nothing about the configuration', async () => {
    const f = device2({ crash: '1×2' });
    const run = calibrate(what, candidatesFor(device, { hardware: false }), f.hooks);
    await expect(run).rejects.toThrow(/Calibration stopped: The model's worker stopped: boom/);
    expect(f.released()).toBe(1);
  });

  it('nothing that ran is no decision', async () => {
    const f = device2({ fail: { '1×1': 'no memory' } });
    const run = calibrate(what, [{ backend: 'wasm', pool: 1, threads: 1 }], f.hooks);
    await expect(run).rejects.toThrow(/no configuration ran \(no memory\)/);
  });

  it('rounds rotate the order', () => {
    expect([0, 1, 2, 3].map((r) => roundOrder(['a', 'b', 'c'], r).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
    expect(roundOrder([], 2)).toEqual([]);
  });
});

describe('cached decisions', () => {
  const decision = { device, batch: 32 };
  it('hold for the same device and batch; another core count, GPU, browser, isolation or batch discards them', () => {
    expect(staleBecause(decision, device)).toBeNull();
    expect(staleBecause(decision, { ...device, cores: 4 })).toBe('measured on 2 cores, this device has 4');
    expect(staleBecause(decision, { ...device, gpu: 'NVIDIA ampere' })).toBe('measured with GPU "none", now "NVIDIA ampere"');
    expect(staleBecause(decision, { ...device, browser: 'Chromium 157' })).toMatch(/Chromium 156/);
    expect(staleBecause(decision, { ...device, isolated: false })).toMatch(/cannot use them/);
    expect(staleBecause(decision, device, 8)).toBe('measured at batch 32, the model now runs batches of 8');
  });
  it('a stored value from elsewhere is not a decision', () => {
    expect(isDecision(null)).toBe(false);
    expect(isDecision({ model: 'x' })).toBe(false);
  });
});

describe('a benchmark waits for calibrations running in the tab', () => {
  const decision = (model: string) => ({ model, dtype: 'int8', device: { cores: 2, browser: 'Chromium 156', gpu: 'none', isolated: true }, batch: 16, chosen: { backend: 'wasm' as const, pool: 1, threads: 2 }, figures: [], measuredAt: '', ms: 0 });
  it('resolves when the last one ends, not before; at once when none runs; on abort', async () => {
    const { calibrationsRunning, setAutoState, whenCalibrationsDone } = await import('../../src/auto-client.ts');
    await whenCalibrationsDone(); // none running
    setAutoState('a', 'int8', { state: 'calibrating', text: '' });
    setAutoState('b', 'int8', { state: 'calibrating', text: '' });
    expect(calibrationsRunning()).toEqual(['a · int8', 'b · int8']);
    let done = false;
    const waiting = whenCalibrationsDone().then(() => (done = true));
    setAutoState('a', 'int8', { state: 'decided', text: '', decision: decision('a') });
    await Promise.resolve();
    expect(done).toBe(false); // b still calibrates
    setAutoState('b', 'int8', { state: 'interrupted', text: '' });
    await waiting;
    expect(done).toBe(true);
    expect(calibrationsRunning()).toEqual([]);

    setAutoState('c', 'int8', { state: 'calibrating', text: '' });
    const ctl = new AbortController();
    const stopped = whenCalibrationsDone(ctl.signal);
    ctl.abort();
    await stopped; // the person cancelled while waiting
    expect(calibrationsRunning()).toEqual(['c · int8']);
    setAutoState('c', 'int8', null);
  });
});
