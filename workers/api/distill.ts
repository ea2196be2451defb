/** What the page and the distill worker (workers/distill.worker.ts) say to each other: types only. */
import type { DistillProgress, DistillResult } from '../../src/core/distill/distill.ts';
import type { CheckpointWrite } from '../../src/core/distill/checkpoint-db.ts';

export interface DistillRequest {
  teacherId: string;
  /** The teacher's tokenizer.json, parsed (its whole words join the vocabulary), or null. */
  tokenizerJson: unknown;
  sentences: string[];
  /** The teacher's vectors of `sentences` from a stored collection (same model and dtype), if any. */
  sentenceVectors?: Float32Array;
  pcaDims: number;
  maxEpochs: number;
  maxWords: number;
}

/** The result less its tables (the page needs only the files and what to say). */
export type DistillOutcome = Pick<DistillResult, 'files' | 'kept' | 'notes' | 'heldOutAgreement' | 'config'> & { dims: number; words: number };

export interface DistillWorkerApi {
  /**
   * `embed`, `onProgress` and `onCheckpoint` are Comlink proxies back to the page: the teacher is
   * the page's loaded model (its own workers), as in the quality worker. `runId`: the run's
   * checkpoints in IndexedDB (src/core/distill/checkpoint-db.ts), written by the worker and, when
   * some exist already, resumed from. `abortFlag`: the bridge's shared cancel flag, read between
   * batches and epochs.
   */
  distill(
    req: DistillRequest,
    runId: string,
    embed: (texts: string[]) => Promise<Float32Array>,
    onProgress: (p: DistillProgress) => void,
    onCheckpoint: (w: CheckpointWrite) => void,
    abortFlag?: Int32Array,
  ): Promise<DistillOutcome>;
}
