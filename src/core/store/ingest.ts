/**
 * Runs an ingestion job to the end: take the next pending batch, embed it, commit it — until
 * nothing is pending. Resumable by construction: after a reload, running it again on the same
 * job continues where the last committed batch ended.
 *
 * One batch is read ahead: batch k+1 goes to the model while batch k is written to IndexedDB,
 * so the model does not wait on the disk. It goes through the scheduler's bulk lane, where a
 * query issued meanwhile overtakes it.
 */
import { describeError } from '../errors.ts';
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
  try {
    let batch = await store.nextBatch(jobId, collection.calibration === null ? Math.max(batchSize, opts.calibrationBatch ?? 1024) : batchSize);
    let embedding = batch.length ? embed(batch) : null;
    while (batch.length && embedding) {
      if (opts.signal?.aborted) return await store.setJobStatus(jobId, 'paused');
      const { vectors, dims } = await embedding;
      const next = await store.nextBatch(jobId, batchSize, batch[batch.length - 1].seq);
      embedding = next.length && !opts.signal?.aborted ? embed(next) : null;
      job = await store.commitBatch(jobId, batch, vectors, dims);
      opts.onProgress?.(job);
      batch = next;
    }
    if (opts.signal?.aborted) return await store.setJobStatus(jobId, 'paused');
    return await store.setJobStatus(jobId, 'done');
  } catch (err) {
    // Cancelled or out of space: pause (the job resumes later); anything else fails the job.
    const name = (err as Error)?.name;
    if (name === 'AbortError') return store.setJobStatus(jobId, 'paused');
    await store.setJobStatus(jobId, name === 'QuotaError' ? 'paused' : 'failed', describeError(err));
    throw err;
  }
}
