/**
 * UTF-8 bytes → a string made by V8 alone, for the big texts a model worker parses once (a
 * tokenizer.json). Why not `TextDecoder`: its string is Blink's, handed to V8 as an external
 * string, and some of those outlived the worker that made them — the page's renderer kept 0–3
 * copies of glove-100d's tokenizer.json (3.09 MB each as UTF-16) after 30 load → unload cycles,
 * every worker ended (#15). Measured (2-core EPYC, Chromium 156, 30 glove-100d ×1 cycles over raw
 * CDP, Blink's buffer partition in the page's renderer after a full GC): TextDecoder 13.0, 13.0,
 * 22.3 MB; TextDecoder in 64 KiB pieces 17.1, 17.1, 15.1, 13.0; this 13.0 in 4 runs of 4.
 * Cost: 9 ms for glove's 1.6 MB against TextDecoder's 2.7 (Node 20, the same CPU), beside the
 * 42 ms JSON.parse of it.
 * Malformed input throws, as a fatal TextDecoder does (overlong forms, surrogates, truncation);
 * a leading byte-order mark is dropped, as TextDecoder drops it.
 */
const CHUNK = 8192;

export function decodeUtf8(bytes: Uint8Array): string {
  const units = new Uint16Array(CHUNK + 1);
  const parts: string[] = [];
  const len = bytes.length;
  let n = 0;
  let i = len >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const bad = (): never => {
    throw new TypeError(`The encoded data was not valid for encoding utf-8 (byte ${i})`);
  };
  while (i < len) {
    const b = bytes[i];
    if (b < 0x80) {
      units[n++] = b;
      i++;
    } else if (b >= 0xc2 && b < 0xe0) {
      const c1 = bytes[i + 1];
      if ((c1 & 0xc0) !== 0x80) bad();
      units[n++] = ((b & 0x1f) << 6) | (c1 & 0x3f);
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0) {
      const c1 = bytes[i + 1];
      const c2 = bytes[i + 2];
      if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) bad();
      const c = ((b & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
      if (c < 0x800 || (c >= 0xd800 && c < 0xe000)) bad();
      units[n++] = c;
      i += 3;
    } else {
      const c1 = bytes[i + 1];
      const c2 = bytes[i + 2];
      const c3 = bytes[i + 3];
      if (b < 0xf0 || b > 0xf4 || (c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) bad();
      const c = ((b & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
      if (c < 0x10000 || c > 0x10ffff) bad();
      units[n++] = 0xd800 + ((c - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((c - 0x10000) & 0x3ff);
      i += 4;
    }
    if (n >= CHUNK) {
      parts.push(String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]));
      n = 0;
    }
  }
  parts.push(String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]));
  return parts.join('');
}

/**
 * A string → its UTF-8 bytes, written by JS into `into` (grown when too small), for what is
 * encoded many times and only read at once (a chunk's content hash). Why not `TextEncoder`: Blink
 * reads its argument as a Blink string, and a string V8 has already moved to its old generation is
 * turned into an external one on the way — its characters copied into Blink's buffer partition and
 * a small malloc'd resource made for each. A corpus queued for embedding did that once per chunk,
 * and after it the page's renderer kept a step of fragmented small-object pages (#15; measured in
 * `scripts/exp/ingest-malloc.ts` with QUEUE_ONLY=1, see src/core/store/hash.ts).
 * Lone surrogates become U+FFFD, as TextEncoder makes them. Returns the bytes as a view of `into`.
 */
export function encodeUtf8Into(text: string, into: { bytes: Uint8Array }): Uint8Array {
  const need = text.length * 3;
  if (into.bytes.length < need) into.bytes = new Uint8Array(Math.max(need, into.bytes.length * 2));
  const out = into.bytes;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 0x3f);
        out[n++] = 0x80 | ((cp >> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return out.subarray(0, n);
}
