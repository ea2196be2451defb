/**
 * When bulk embedding may run, by the user's choice: only while the page is visible and idle
 * (`requestIdleCallback`), and only while charging where the Battery API exists (elsewhere the
 * battery condition is ignored, and the UI says so). The environment is handed in, so the rules
 * are tested in Node with real EventTargets and run unchanged in the page.
 */
import { AbortError } from '../errors.ts';
import type { BulkGate } from './scheduler.ts';

export interface BulkPolicy {
  onlyWhenIdle: boolean;
  onlyWhenCharging: boolean;
}

export interface BatteryLike extends EventTarget {
  readonly charging: boolean;
}

export interface GateEnvironment {
  /** Where `visibilitychange` fires. */
  document: EventTarget & { readonly visibilityState: string };
  /** Calls back when the page is idle (requestIdleCallback). */
  whenIdle(callback: () => void): () => void;
  /** The Battery API's manager, or null where the browser has none. */
  battery(): Promise<BatteryLike | null>;
}

function nextEvent(target: EventTarget, type: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      target.removeEventListener(type, done);
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const aborted = () => {
      target.removeEventListener(type, done);
      reject(new AbortError());
    };
    if (signal?.aborted) return aborted();
    target.addEventListener(type, done);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function idle(env: GateEnvironment, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    const cancel = env.whenIdle(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    });
    const aborted = () => {
      cancel();
      reject(new AbortError());
    };
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * A gate that reads `policy()` on every check (a changed setting applies to the next batch) and
 * tells `onWait` why bulk work is waiting (null once it may run).
 */
export function bulkGate(env: GateEnvironment, policy: () => BulkPolicy, onWait: (reason: string | null) => void): BulkGate {
  return async (signal) => {
    for (;;) {
      const { onlyWhenIdle, onlyWhenCharging } = policy();
      if (onlyWhenIdle) {
        if (env.document.visibilityState !== 'visible') {
          onWait('paused while the page is hidden');
          await nextEvent(env.document, 'visibilitychange', signal);
          continue;
        }
        onWait('waiting for the page to be idle');
        await idle(env, signal);
        if (env.document.visibilityState !== 'visible') continue;
      }
      if (onlyWhenCharging) {
        const battery = await env.battery();
        if (battery && !battery.charging) {
          onWait('paused while on battery');
          await nextEvent(battery, 'chargingchange', signal);
          continue;
        }
      }
      onWait(null);
      return;
    }
  };
}
