/**
 * A WebAssembly module's bytes with a custom section appended: id 0, which every engine skips
 * when it runs the module, but part of the bytes V8 keys its cache of compiled modules on — so
 * the same code compiles as a module of its own (src/core/models/ort-web.ts says why).
 */
export function withCustomSection(wasm: Uint8Array, name: string, payload: string): Uint8Array<ArrayBuffer> {
  const utf8 = new TextEncoder();
  const nameBytes = utf8.encode(name);
  const body = [...leb128(nameBytes.length), ...nameBytes, ...utf8.encode(payload)];
  const head = [0, ...leb128(body.length)];
  const out = new Uint8Array(wasm.length + head.length + body.length);
  out.set(wasm);
  out.set(head, wasm.length);
  out.set(body, wasm.length + head.length);
  return out;
}

/** Unsigned LEB128, the format's integer encoding. */
function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}
