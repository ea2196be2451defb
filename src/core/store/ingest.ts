/**
 * Runs an ingestion job to the end: take the next pending batch, embed it, commit it — until
 * nothing is pending. Resumable by construction: after a reload, running it again on the same
 * job continues where the last committed batch ended.
 */
import { describeError } from '../errors.ts';
import type { JobRecord } from './db.ts';
import type { VectorStore } from './store.ts';

export interface IngestOptions {
  store: VectorStore;
  jobId: string;
  /** rows × dims for the texts, in order (the model's worker, through the bridge). */
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
  let first = collection.calibration === null;
  try {
    for (;;) {
      if (opts.signal?.aborted) return await store.setJobStatus(jobId, 'paused');
      const batch = await store.nextBatch(jobId, first ? Math.max(batchSize, opts.calibrationBatch ?? 1024) : batchSize);
      if (batch.length === 0) break;
      const { vectors, dims } = await opts.embed(batch.map((b) => b.text));
      job = await store.commitBatch(jobId, batch, vectors, dims);
      first = false;
      opts.onProgress?.(job);
    }
    return await store.setJobStatus(jobId, 'done');
  } catch (err) {
    // Cancelled or out of space: pause (the job resumes later); anything else fails the job.
    const name = (err as Error)?.name;
    if (name === 'AbortError') return store.setJobStatus(jobId, 'paused');
    await store.setJobStatus(jobId, name === 'QuotaError' ? 'paused' : 'failed', describeError(err));
    throw err;
  }
}
