/**
 * The one way the page talks to workers (after Squoosh's WorkerBridge).
 *
 * - One worker per bridge, created on first use and wrapped with Comlink.
 * - Calls are queued: a worker runs one call at a time, in order.
 * - An AbortSignal cancels: a queued call is dropped; a running call is asked to stop through a
 *   shared-memory flag (when the page is cross-origin isolated) and, if it has not stopped
 *   within `abortGraceMs`, its worker is terminated — the only way to stop a busy worker.
 * - A terminated worker (abort, idle timeout, crash, released) is replaced on the next call, and
 *   `init` is replayed on the new one, so callers never see the restart except as latency.
 * - A call may release its worker once it has run (`releaseIf` on its result), unless more calls
 *   are queued behind it: a worker left holding nothing gives its memory back at once.
 * - `dispose()` terminates the worker for good (unloading a model gives its memory back).
 */
import * as Comlink from 'comlink';
import { AbortError } from './core/errors.ts';

export interface BridgeOptions<Api> {
  create: () => Worker;
  /** Brings a fresh worker into the state calls expect, e.g. loads the model. */
  init?: (api: Comlink.Remote<Api>) => Promise<unknown>;
  /** Terminate the worker after this many ms without calls; 0 keeps it. */
  idleMs?: number;
  abortGraceMs?: number;
}

export interface CallContext {
  /** Shared flag the worker polls; set to 1 on abort. Absent without cross-origin isolation. */
  abortFlag?: Int32Array;
}

const noop = () => {};

export class WorkerBridge<Api> {
  private worker: Worker | null = null;
  private remote: Comlink.Remote<Api> | null = null;
  private ready: Promise<void> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rejects when the current worker is terminated or crashes, failing the call in flight. */
  private died: Promise<never> | null = null;
  private reportDeath: (err: Error) => void = noop;
  private disposed = false;
  private pending = 0;
  /** Workers created so far: 1 after the first call, more after restarts. */
  starts = 0;

  constructor(private readonly opts: BridgeOptions<Api>) {}

  get alive(): boolean {
    return this.worker !== null;
  }

  /**
   * Queues `fn`. `releaseIf`, given what it returned, says whether the worker has nothing left worth
   * keeping: it is then terminated at once if no call is queued behind this one (a call queued
   * before it has run already, so the result accounts for it).
   */
  call<R>(fn: (api: Comlink.Remote<Api>, ctx: CallContext) => Promise<R>, signal?: AbortSignal, releaseIf?: (result: R) => boolean): Promise<R> {
    if (this.disposed) return Promise.reject(new Error('This model was unloaded.'));
    if (signal?.aborted) return Promise.reject(new AbortError());
    clearTimeout(this.idleTimer);
    this.pending++;
    const work = this.tail.then(() => (signal?.aborted ? undefined : this.runNow(fn, signal)));
    this.tail = work.then(
      (result) => {
        try {
          return releaseIf?.(result as R) ?? false;
        } catch {
          return false; // the queue must go on whatever the caller's test does
        }
      },
      () => false,
    ).then((release) => {
      this.pending--;
      if (release && this.pending === 0) this.kill(null);
      else this.armIdleTimer();
    });
    return new Promise<R>((resolve, reject) => {
      // The caller hears of an abort at once, even while the worker is still winding down.
      signal?.addEventListener('abort', () => reject(new AbortError()), { once: true });
      work.then((value) => resolve(value as R), reject);
    });
  }

  /** Terminates the worker for good; calls in flight reject. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    this.kill(new Error('This model was unloaded.'));
  }

  private async runNow<R>(fn: (api: Comlink.Remote<Api>, ctx: CallContext) => Promise<R>, signal?: AbortSignal): Promise<R> {
    if (this.disposed) throw new Error('This model was unloaded.');
    await this.start();
    const remote = this.remote!;
    const died = this.died!;
    const abortFlag = globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      if (abortFlag) Atomics.store(abortFlag, 0, 1);
      graceTimer = setTimeout(() => this.kill(new AbortError()), abortFlag ? (this.opts.abortGraceMs ?? 250) : 0);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // A worker that dies (terminated on abort, crashed, unloaded) rejects its call at once.
      return await Promise.race([fn(remote, { abortFlag }), died]);
    } finally {
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = this.opts.create();
    this.starts++;
    this.worker = worker;
    this.remote = Comlink.wrap<Api>(worker);
    this.died = new Promise<never>((_, reject) => (this.reportDeath = reject));
    this.died.catch(noop);
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.kill(new Error(`The model's worker stopped: ${event.message || 'its script could not load, or it ran out of memory'}`));
    });
    const init = this.opts.init ? this.opts.init(this.remote) : Promise.resolve();
    this.ready = Promise.race([init, this.died]).then(noop, (err) => {
      // A failed init leaves nothing usable: the next call starts over in a fresh worker.
      if (this.worker === worker) this.kill(null);
      throw err;
    });
    return this.ready;
  }

  private kill(reason: Error | null): void {
    this.worker?.terminate();
    this.worker = null;
    this.remote = null;
    this.ready = null;
    if (reason) this.reportDeath(reason);
  }

  private armIdleTimer(): void {
    const idleMs = this.opts.idleMs ?? 0;
    if (idleMs > 0 && this.pending === 0 && this.worker) {
      this.idleTimer = setTimeout(() => this.kill(null), idleMs);
    }
  }
}
