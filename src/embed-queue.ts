/**
 * Every embedding call the page makes to a model goes through here: one EmbedScheduler per
 * loaded model (core/jobs/scheduler.ts), so on-demand work runs before bulk work.
 *
 * - `embedNow(client, texts)`: on-demand — a search query, a Compare query, the Playground's
 *   sentences. Runs next, ahead of every corpus batch not yet started.
 * - `embedBulk(client, texts)`: corpus batches. Waits behind on-demand work and, when the user
 *   asks, until the page is visible and idle and the device is charging (bulkPolicy).
 */
import type { ModelClient } from './model-client.ts';
import type { EmbedResult } from './core/models/types.ts';
import { EmbedScheduler, type SchedulerEvent } from './core/jobs/scheduler.ts';
import { bulkGate, type BatteryLike, type BulkPolicy } from './core/jobs/bulk-gate.ts';

const POLICY_KEY = 'embedscope.bulkPolicy';

function loadPolicy(): BulkPolicy {
  try {
    const saved = JSON.parse(localStorage.getItem(POLICY_KEY) ?? '{}');
    return { onlyWhenIdle: saved.onlyWhenIdle === true, onlyWhenCharging: saved.onlyWhenCharging === true };
  } catch {
    return { onlyWhenIdle: false, onlyWhenCharging: false };
  }
}

let policy = loadPolicy();

export function bulkPolicy(): BulkPolicy {
  return { ...policy };
}

/** Applies from the next bulk batch on; kept across reloads. */
export function setBulkPolicy(next: BulkPolicy): void {
  policy = { ...next };
  localStorage.setItem(POLICY_KEY, JSON.stringify(policy));
}

/** Whether this browser has the Battery API (the "only while charging" option needs it). */
export const hasBatteryApi = typeof navigator !== 'undefined' && 'getBattery' in navigator;

const waitListeners = new Set<(reason: string | null) => void>();

/** Tells `fn` why bulk work is waiting ("paused while the page is hidden"), null when it runs. */
export function onBulkWait(fn: (reason: string | null) => void): () => void {
  waitListeners.add(fn);
  return () => waitListeners.delete(fn);
}

const gate = bulkGate(
  {
    document,
    whenIdle: (cb) => {
      const id = requestIdleCallback(() => cb());
      return () => cancelIdleCallback(id);
    },
    battery: async () =>
      hasBatteryApi ? ((await (navigator as Navigator & { getBattery(): Promise<BatteryLike> }).getBattery()) ?? null) : null,
  },
  () => policy,
  (reason) => waitListeners.forEach((fn) => fn(reason)),
);

const schedulers = new WeakMap<ModelClient, EmbedScheduler<EmbedResult>>();

export function schedulerFor(client: ModelClient): EmbedScheduler<EmbedResult> {
  let s = schedulers.get(client);
  if (!s) {
    s = new EmbedScheduler<EmbedResult>((texts, signal) => client.embed(texts, signal), { bulkGate: gate });
    schedulers.set(client, s);
  }
  return s;
}

/** On-demand embedding: runs before any bulk batch that has not started. */
export function embedNow(client: ModelClient, texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
  return schedulerFor(client).interactive(texts, signal);
}

/** Bulk embedding (corpus batches): after on-demand work, and only when the bulk policy allows. */
export function embedBulk(client: ModelClient, texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
  return schedulerFor(client).bulk(texts, signal);
}

export type { SchedulerEvent };
