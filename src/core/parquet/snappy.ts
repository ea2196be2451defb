/**
 * Snappy decompression (the format of google/snappy's format_description.txt): the page codec
 * our files use (codec.ts writerProps), for direct.ts. Written with small-integer arithmetic
 * only (a `2 ** k` made V8 treat lengths as doubles: 20–70 MB/s on text pages against
 * ~300 MB/s+ this way); short literals and copies byte by byte, long ones with set/copyWithin,
 * so incompressible float pages (long literals) cost a memcpy.
 */
export function snappyDecompress(src: Uint8Array, out: Uint8Array): void {
  let at = 0;
  // The preamble: the uncompressed length as a varint (the caller sized `out` from the page header).
  let len = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    const b = src[at++];
    len = (len | ((b & 0x7f) << shift)) >>> 0;
    if (b < 0x80) break;
  }
  if (len !== out.length) throw new Error(`snappy: ${len} bytes inside, ${out.length} expected`);
  let pos = 0;
  const end = src.length;
  while (at < end) {
    const tag = src[at++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = src[at];
        if (bytes > 1) n |= src[at + 1] << 8;
        if (bytes > 2) n |= src[at + 2] << 16;
        if (bytes > 3) n = (n | (src[at + 3] << 24)) >>> 0;
        at += bytes;
      }
      n += 1;
      if (at + n > end || pos + n > len) throw new Error('snappy: literal past the end');
      if (n <= 16) for (let i = 0; i < n; i++) out[pos + i] = src[at + i];
      else out.set(src.subarray(at, at + n), pos);
      at += n;
      pos += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[at++];
    } else if (kind === 2) {
      n = (tag >>> 2) + 1;
      offset = src[at] | (src[at + 1] << 8);
      at += 2;
    } else {
      n = (tag >>> 2) + 1;
      offset = (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
      at += 4;
    }
    if (offset === 0 || offset > pos || pos + n > len) throw new Error('snappy: bad copy');
    if (offset >= n && n > 16) {
      out.copyWithin(pos, pos - offset, pos - offset + n);
      pos += n;
    } else for (let i = pos - offset, e = pos + n; pos < e; ) out[pos++] = out[i++];
  }
  if (pos !== len) throw new Error(`snappy: ${pos} of ${len} bytes`);
}
