/**
 * The page's embedding scheduler for one model (after the on-device "embedding service" idea):
 * two lanes, and one rule — on-demand work (a query, a few sentences) always runs before bulk
 * work (corpus batches).
 *
 * It hands the model ONE call at a time. That is what makes the rule hold: the worker bridge
 * runs calls in the order it receives them, so a bulk batch handed over early would sit ahead
 * of a query that arrives later. Here the next bulk batch waits in the scheduler, a query
 * arriving meanwhile goes first, and the worker never idles between batches for long (the
 * next call starts as soon as the previous one returns).
 *
 * Bulk work may also wait for a gate (the page visible and idle, the device charging); queries
 * never do.
 */
import { AbortError } from '../errors.ts';

export type Lane = 'interactive' | 'bulk';

export interface SchedulerEvent {
  /** The call this event is about (one id per interactive()/bulk() call). */
  task: number;
  lane: Lane;
  phase: 'queued' | 'start' | 'end';
  texts: number;
  /** Monotonic sequence number, for ordering checks. */
  seq: number;
}

/** Resolves when bulk work may start; rejects with an AbortError when `signal` aborts. */
export type BulkGate = (signal?: AbortSignal) => Promise<void>;

interface Task<R> {
  id: number;
  lane: Lane;
  texts: string[];
  signal?: AbortSignal;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
  gate: 'closed' | 'waiting' | 'open';
}

export class EmbedScheduler<R> {
  private readonly queue: Task<R>[] = [];
  private running: Task<R> | null = null;
  private seq = 0;
  private tasks = 0;
  private readonly listeners = new Set<(e: SchedulerEvent) => void>();

  constructor(
    private readonly run: (texts: string[], signal?: AbortSignal) => Promise<R>,
    private readonly opts: { bulkGate?: BulkGate } = {},
  ) {}

  /** On-demand: runs next, ahead of any bulk batch not yet started. */
  interactive(texts: string[], signal?: AbortSignal): Promise<R> {
    return this.submit('interactive', texts, signal);
  }

  /** Bulk: runs when no on-demand work waits and the bulk gate is open. */
  bulk(texts: string[], signal?: AbortSignal): Promise<R> {
    return this.submit('bulk', texts, signal);
  }

  /** Calls `fn` for every queued/start/end; returns the unsubscribe function. */
  onEvent(fn: (e: SchedulerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get waiting(): { interactive: number; bulk: number } {
    return {
      interactive: this.queue.filter((t) => t.lane === 'interactive').length,
      bulk: this.queue.filter((t) => t.lane === 'bulk').length,
    };
  }

  private submit(lane: Lane, texts: string[], signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<R>((resolve, reject) => {
      const task: Task<R> = { id: this.tasks++, lane, texts, signal, resolve, reject, gate: lane === 'bulk' && this.opts.bulkGate ? 'closed' : 'open' };
      this.queue.push(task);
      this.emit(task, 'queued');
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.queue.indexOf(task);
          if (at === -1) return; // running: the model call hears the signal itself
          this.queue.splice(at, 1);
          reject(new AbortError());
          this.pump();
        },
        { once: true },
      );
      this.pump();
    });
  }

  private pump(): void {
    if (this.running) return;
    const interactive = this.queue.find((t) => t.lane === 'interactive');
    if (interactive) return this.start(interactive);
    const bulk = this.queue.find((t) => t.lane === 'bulk');
    if (!bulk) return;
    if (bulk.gate === 'open') return this.start(bulk);
    if (bulk.gate === 'waiting') return;
    bulk.gate = 'waiting';
    this.opts.bulkGate!(bulk.signal).then(
      () => {
        bulk.gate = 'open';
        this.pump();
      },
      (err) => {
        const at = this.queue.indexOf(bulk);
        if (at !== -1) this.queue.splice(at, 1);
        bulk.reject(err);
        this.pump();
      },
    );
  }

  private start(task: Task<R>): void {
    this.queue.splice(this.queue.indexOf(task), 1);
    this.running = task;
    this.emit(task, 'start');
    let result: Promise<R>;
    try {
      result = this.run(task.texts, task.signal);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(task.resolve, task.reject).finally(() => {
      this.running = null;
      this.emit(task, 'end');
      this.pump();
    });
  }

  private emit(task: Task<R>, phase: SchedulerEvent['phase']): void {
    const event: SchedulerEvent = { task: task.id, lane: task.lane, phase, texts: task.texts.length, seq: this.seq++ };
    for (const fn of this.listeners) fn(event);
  }
}
