/** Auto = measured: the candidates, the calibration's faults and the cached decision's validity (src/bench/auto.ts). */
import { describe, expect, it } from 'vitest';
import {
  calibrate, CalibrationInterrupted, candidatesFor, CandidateFailed, describeDecision, isDecision, staleBecause,
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

  it('times every candidate within the budget, keeps the fastest and every figure, fastest first', async () => {
    const c = clock();
    const budgets: number[] = [];
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), {
      now: c.now,
      budgetMs: 3000,
      measure: async (cand, budget) => {
        budgets.push(budget);
        c.advance(900);
        return rates[label(cand)];
      },
    });
    expect(label(d.chosen)).toBe('2×1');
    expect(d.figures.map((f) => [label(f.candidate), f.sentencesPerS])).toEqual([['2×1', 131], ['1×2', 88], ['1×1', 70]]);
    expect(budgets).toEqual([1000, 1050, 1200]); // what is left, shared over the candidates left
    expect(d.ms).toBe(2700);
    expect(describeDecision(d)).toBe('Auto chose 2 workers × 1 thread: 131 sentences/s; 1 × 2: 88 sentences/s; 1 × 1: 70 sentences/s');
    expect(isDecision(JSON.parse(JSON.stringify(d)))).toBe(true);
  });

  it('a configuration that fails to load is skipped with its reason; the others still decide', async () => {
    const d = await calibrate(what, candidatesFor(device, { hardware: false }), {
      measure: async (cand) => {
        if (label(cand) === '2×1') throw new CandidateFailed('2 workers: out of memory');
        return rates[label(cand)];
      },
    });
    expect(label(d.chosen)).toBe('1×2');
    expect(d.figures.at(-1)).toEqual({ candidate: { backend: 'wasm', pool: 2, threads: 1 }, sentencesPerS: null, reason: '2 workers: out of memory' });
    expect(describeDecision(d)).toContain('2 × 1: skipped (2 workers: out of memory)');
  });

  it('candidates past the budget are not timed, and a partial calibration decides nothing (a busy device)', async () => {
    const c = clock();
    const timed: string[] = [];
    const seen: (number | null)[] = [];
    const run = calibrate(what, candidatesFor(device, { hardware: false }), {
      now: c.now,
      budgetMs: 3000,
      onFigure: (f) => seen.push(f.sentencesPerS),
      measure: async (cand) => {
        timed.push(label(cand));
        c.advance(2000);
        return rates[label(cand)];
      },
    });
    await expect(run).rejects.toThrow('Calibration stopped: this device was too busy to time every configuration in 3 s (2 of 3). Nothing was kept');
    expect(timed).toEqual(['1×1', '1×2']);
    expect(seen).toEqual([70, 88, null]);
  });

  it('interrupted by the person or a hidden tab: nothing decided, the reason said', async () => {
    for (const reason of ['cancelled by you', 'the tab was hidden']) {
      const ctl = new AbortController();
      const run = calibrate(what, candidatesFor(device, { hardware: false }), {
        signal: ctl.signal,
        measure: async (cand) => {
          if (label(cand) === '1×2') ctl.abort(reason);
          return rates[label(cand)];
        },
      });
      await expect(run).rejects.toThrow(CalibrationInterrupted);
      await expect(run).rejects.toThrow(`Calibration stopped: ${reason}. Nothing was kept; the model runs on the default.`);
    }
  });

  it('a worker that crashes mid-run interrupts (not skipped): a crash says nothing about the configuration', async () => {
    const run = calibrate(what, candidatesFor(device, { hardware: false }), {
      measure: async (cand) => {
        if (label(cand) === '1×2') throw new Error("The model's worker stopped: boom");
        return rates[label(cand)];
      },
    });
    await expect(run).rejects.toThrow(/Calibration stopped: The model's worker stopped: boom/);
  });

  it('nothing that ran is no decision', async () => {
    const run = calibrate(what, [{ backend: 'wasm', pool: 1, threads: 1 }], {
      measure: async () => {
        throw new CandidateFailed('no memory');
      },
    });
    await expect(run).rejects.toThrow(/no configuration ran \(no memory\)/);
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
