/**
 * Checkpoints for `npm run distill` in Node: the fit's state in one file, so a run killed mid-fit
 * (the shipped fit takes ~11 minutes here) starts again at its last checkpoint instead of epoch 1.
 * The teacher's answers need none: the script caches them on disk by content already. The file
 * is named by a hash of everything the fit depends on, so a run with other inputs never resumes
 * from it; it is written to a temporary name and renamed (a kill mid-write leaves the previous
 * one), and removed once the run has written its model. v8.serialize keeps typed arrays as they
 * are, as IndexedDB's structured clone does in the page.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { DistillCheckpoints } from '../src/core/distill/distill.ts';
import type { FitCheckpoint } from '../src/core/distill/fit.ts';

export interface FileCheckpoints extends DistillCheckpoints {
  path: string;
  /** Forgets the checkpoint (after the model is written). */
  clear(): Promise<void>;
}

/** `key`: what the run depends on (settings, corpus, teacher), hashed into the file name. */
export function fileCheckpoints(dir: string, key: unknown, onWrite?: (w: { epoch: number; bytes: number; ms: number }) => void): FileCheckpoints {
  const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  const path = join(dir, `fit-${hash}.bin`);
  return {
    path,
    loadPass: async () => [],
    savePass: async () => {},
    async loadFit() {
      try {
        return deserialize(await readFile(path)) as FitCheckpoint;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async saveFit(c) {
      const started = performance.now();
      await mkdir(dir, { recursive: true });
      const bytes = serialize(c);
      await writeFile(`${path}.tmp`, bytes);
      await rename(`${path}.tmp`, path);
      onWrite?.({ epoch: c.epoch, bytes: bytes.byteLength, ms: performance.now() - started });
    },
    clear: () => rm(path, { force: true }),
  };
}
