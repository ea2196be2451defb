/**
 * Distillation state in IndexedDB, so a run survives a crash or a closed tab: the distilled models
 * ('models'), the runs under way ('runs': their inputs, written by the page) and their checkpoints
 * ('checkpoints': the teacher's answers batch by batch, the fit's state, where the run stood),
 * one small database of its own (a model is a few MB of files, not a collection). The distill
 * worker writes checkpoints here itself: the fit's state is tens to hundreds of MB, and a trip
 * through the page would copy it twice.
 *
 * Keys are `${runId}/…` strings, so one key range deletes a run's checkpoints. Each write is one
 * transaction that also updates the run's `state`: a tab closed mid-write leaves the previous
 * checkpoint whole. A write that fails (the disk full, storage blocked) is reported and skipped:
 * the run goes on, it only cannot resume from there.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { describeError } from '../errors.ts';
import type { DistillCheckpoints, DistillProgress, TeacherPass } from './distill.ts';
import type { FitCheckpoint } from './fit.ts';

export const DISTILL_DB = 'embedscope-distilled';
/** 1: models; 2: runs and checkpoints (resume after a reload). */
export const DISTILL_DB_VERSION = 2;

export function openDistillDb(): Promise<IDBPDatabase> {
  return openDB(DISTILL_DB, DISTILL_DB_VERSION, {
    upgrade(db, old) {
      if (old < 1) db.createObjectStore('models', { keyPath: 'id' });
      if (old < 2) {
        db.createObjectStore('runs', { keyPath: 'id' });
        db.createObjectStore('checkpoints');
      }
    },
    // Another tab (or this page's worker) asks for a newer version: let it have the database.
    blocking(_current, _next, event) {
      (event.target as IDBDatabase).close();
    },
  });
}

/** Where a run stood at its last checkpoint. */
export interface RunState extends Pick<DistillProgress, 'step' | 'done' | 'total'> {
  /** When that checkpoint was written (ms since the epoch). */
  at: number;
}

/** One checkpoint write, as the page shows it and the report measures it. */
export interface CheckpointWrite {
  what: TeacherPass | 'fit';
  /** Texts done (a pass) or epochs finished (the fit). */
  done: number;
  ms: number;
  bytes: number;
  /** Set when the write (or a read on resume) failed, and was skipped. */
  error?: string;
}

const stateKey = (runId: string) => `${runId}/state`;
const fitKey = (runId: string) => `${runId}/fit`;
const passPrefix = (runId: string, pass: TeacherPass) => `${runId}/pass/${pass}/`;
const range = (prefix: string) => IDBKeyRange.bound(prefix, `${prefix}\uffff`);

function fitBytes(c: FitCheckpoint): number {
  const arrays = [c.table, c.weights, c.m, c.v, c.wm, c.wv, c.steps, ...(c.best ? [c.best.table, c.best.weights] : [])];
  return arrays.reduce((n, a) => n + a.byteLength, 0);
}

/** The checkpoints of one run, in `db`; written only while `runs` holds the run's record. */
export function idbCheckpoints(db: IDBPDatabase, runId: string, onWrite?: (w: CheckpointWrite) => void): DistillCheckpoints {
  const write = async (what: CheckpointWrite['what'], done: number, bytes: number, puts: [key: string, value: unknown][]) => {
    const started = performance.now();
    try {
      // Only while the run is kept: a write still in flight when the page forgets the run (a
      // cancel) would otherwise leave checkpoints of no run. One transaction with deleteRun's
      // stores, so IndexedDB orders the two: written then deleted, or not written at all.
      const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
      if ((await tx.objectStore('runs').count(runId)) === 0) {
        await tx.done;
        return;
      }
      const store = tx.objectStore('checkpoints');
      for (const [key, value] of puts) void store.put(value, key);
      await tx.done;
      onWrite?.({ what, done, bytes, ms: performance.now() - started });
    } catch (err) {
      onWrite?.({ what, done, bytes, ms: performance.now() - started, error: describeError(err) });
    }
  };
  // A checkpoint that cannot be read is a run that starts that step again, not a failed run.
  const read = async <T>(what: CheckpointWrite['what'], empty: T, get: () => Promise<T>): Promise<T> => {
    try {
      return await get();
    } catch (err) {
      onWrite?.({ what, done: 0, bytes: 0, ms: 0, error: `could not read the checkpoint: ${describeError(err)}` });
      return empty;
    }
  };
  const state = (p: DistillProgress): RunState => ({ step: p.step, done: p.done, total: p.total, at: Date.now() });
  return {
    async loadPass(pass) {
      const chunks = await read(pass, [], () => db.getAll('checkpoints', range(passPrefix(runId, pass))) as Promise<{ at: number; count: number; vectors: Float32Array }[]>);
      // Contiguous from text 0 only: a gap (never written by this code) ends what can be reused.
      const out: Float32Array[] = [];
      let next = 0;
      for (const c of chunks) {
        if (c.at !== next) break;
        out.push(c.vectors);
        next += c.count;
      }
      return out;
    },
    savePass(pass, at, vectors, progress) {
      const count = progress.done - at;
      const key = `${passPrefix(runId, pass)}${String(at).padStart(10, '0')}`;
      return write(pass, progress.done, vectors.byteLength, [
        [key, { at, count, vectors }],
        [stateKey(runId), state(progress)],
      ]);
    },
    async loadFit() {
      return read('fit', null, async () => ((await db.get('checkpoints', fitKey(runId))) as FitCheckpoint | undefined) ?? null);
    },
    saveFit(c, progress) {
      return write('fit', c.epoch, fitBytes(c), [
        [fitKey(runId), c],
        [stateKey(runId), state(progress)],
      ]);
    },
  };
}

export async function runState(db: IDBPDatabase, runId: string): Promise<RunState | null> {
  return ((await db.get('checkpoints', stateKey(runId))) as RunState | undefined) ?? null;
}

/** Forgets a run: its record and every checkpoint, in one transaction. */
export async function deleteRun(db: IDBPDatabase, runId: string): Promise<void> {
  const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
  void tx.objectStore('runs').delete(runId);
  void tx.objectStore('checkpoints').delete(range(`${runId}/`));
  await tx.done;
}
