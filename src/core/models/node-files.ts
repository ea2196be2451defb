/** Node-only: model files from a folder on disk (tests, the eval CLI, the model build). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFiles } from './files.ts';

export function folderFiles(dir: string): ModelFiles {
  return {
    label: dir,
    async read(name) {
      try {
        const buf = await readFile(join(dir, name));
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}
