/**
 * Runs an ingestion job to the end: take the next pending batch, embed it, commit it — until
 * nothing is pending. Resumable by construction: after a reload, running it again on the same
 * job continues where the last committed batch ended.
 *
 * Batches are read ahead: batches k+1 and k+2 are handed to the model (through the scheduler's
 * bulk lane) while batch k is written to IndexedDB, so the model never waits on the disk. They
 * wait in the scheduler, not in the worker, so a query issued meanwhile overtakes them.
 */
import { describeError } from '../errors.ts';
import { precisionById } from '../precision/index.ts';
import type { JobRecord, PendingRecord } from './db.ts';
import type { VectorStore } from './store.ts';

export interface IngestOptions {
  store: VectorStore;
  jobId: string;
  /** rows × dims for the texts, in order (the model's worker, through the scheduler's bulk lane). */
  embed: (texts: string[]) => Promise<{ vectors: Float32Array; dims: number }>;
  batchSize?: number;
  /**
   * The first batch fixes int8/uint8 calibration for the whole collection, so it is taken
   * larger: ranges from 1,024 vectors are far steadier than from a 64-vector batch.
   */
  calibrationBatch?: number;
  signal?: AbortSignal;
  /** Batches handed to the model beyond the one being committed (default 2). */
  readAhead?: number;
  onProgress?: (job: JobRecord) => void;
}

export async function runIngestJob(opts: IngestOptions): Promise<JobRecord> {
  const { store, jobId } = opts;
  const batchSize = opts.batchSize ?? 256;
  let job = await store.setJobStatus(jobId, 'running');
  const collection = await store.collection(job.collectionId);
  const embed = (batch: PendingRecord[]) => {
    const result = opts.embed(batch.map((b) => b.text));
    result.catch(() => {}); // awaited below; a read-ahead dropped on pause must not be "unhandled"
    return result;
  };
  const ahead = Math.max(1, opts.readAhead ?? 2);
  // Only int8/uint8 need the larger first batch; float32/binary collections start at batchSize.
  const calibrates = collection.calibration === null && collection.precisions.some((p) => precisionById(p).needsCalibration);
  try {
    const inFlight: { batch: PendingRecord[]; result: ReturnType<typeof embed> }[] = [];
    let lastSeq: number | undefined;
    let more = true;
    const fill = async () => {
      while (more && inFlight.length < ahead && !opts.signal?.aborted) {
        const size = lastSeq === undefined && calibrates ? Math.max(batchSize, opts.calibrationBatch ?? 1024) : batchSize;
        const batch = await store.nextBatch(jobId, size, lastSeq);
        if (batch.length === 0) more = false;
        else {
          lastSeq = batch[batch.length - 1].seq;
          inFlight.push({ batch, result: embed(batch) });
        }
      }
    };
    await fill();
    while (inFlight.length) {
      if (opts.signal?.aborted) return await store.setJobStatus(jobId, 'paused');
      const { batch, result } = inFlight[0];
      const { vectors, dims } = await result;
      inFlight.shift();
      await fill(); // the next batches go to the model before this one is written
      job = await store.commitBatch(jobId, batch, vectors, dims);
      opts.onProgress?.(job);
    }
    if (opts.signal?.aborted) return await store.setJobStatus(jobId, 'paused');
    return await store.setJobStatus(jobId, 'done');
  } catch (err) {
    // Cancelled or out of space: pause (the job resumes later); anything else fails the job.
    const name = (err as Error)?.name;
    if (name === 'AbortError') return store.setJobStatus(jobId, 'paused');
    // With the disk quite full even the status cannot be written (npm run soak: the job stayed
    // "running" and the person read "QuotaExceededError" instead of why). The batch's own error is
    // the one to tell; the job stays resumable either way.
    await store.setJobStatus(jobId, name === 'QuotaError' ? 'paused' : 'failed', describeError(err)).catch(() => {});
    throw err;
  }
}
