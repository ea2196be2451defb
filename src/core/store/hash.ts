import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeUtf8Into } from '../util/utf8.ts';

const scratch = { bytes: new Uint8Array(4096) };
const KEPT_SCRATCH = 1 << 20;

/**
 * Content hash of a chunk's text: the key of the embedding cache (same text + same model = same
 * vector). SHA-256 of its UTF-8 bytes, the first 16 bytes in hex (what every stored collection and
 * export holds, unchanged). Hashed in JS (@noble/hashes), text and all, not by
 * `crypto.subtle.digest`: that needs the text's bytes from `TextEncoder`, which turned each queued
 * chunk still held by its caller into a Blink-owned external string (see encodeUtf8Into), and it
 * posts every digest to another thread and back.
 * Measured (#15, `scripts/exp/ingest-malloc.ts` QUEUE_ONLY=1, 2-core EPYC, Chromium 156: 60,000
 * corpus chunks queued and dropped, three rounds, the page's renderer at rest over its baseline):
 * crypto.subtle +10.7 / +7.8 / +8.6 MB (Blink's buffer partition +2.7 MB live for good, malloc's
 * small-object buckets fragmented), this +3.5 / +0.9 / +0.5. Speed (Node 20, same CPU, 60,000
 * chunk-sized texts, three runs): 355–495 ms here against 1,430–1,636 ms for crypto.subtle.
 */
export function contentHash(text: string): string {
  const hex = bytesToHex(sha256(encodeUtf8Into(text, scratch)).subarray(0, 16));
  // Chunks are small; one huge imported line must not leave a buffer of its size for the page's life.
  if (scratch.bytes.length > KEPT_SCRATCH) scratch.bytes = new Uint8Array(4096);
  return hex;
}
