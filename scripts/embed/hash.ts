import { createHash } from 'node:crypto';

/** The page's content hash (src/core/store/hash.ts: SHA-256, first 16 bytes in hex), with Node's synchronous SHA-256. */
export function contentHashSync(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}
