/** A custom section appended to a module (src/core/util/wasm-section.ts): still the same module to run, other bytes to V8's cache. */
import { describe, expect, it } from 'vitest';
import { withCustomSection } from '../../src/core/util/wasm-section.ts';

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
const ADD = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
]);

describe('withCustomSection', () => {
  it('appends a section the engine reads back by name, and the module still runs', async () => {
    const tagged = withCustomSection(ADD, 'embedscope.worker', 'worker 7');
    expect(WebAssembly.validate(tagged)).toBe(true);
    const module = new WebAssembly.Module(tagged);
    const [section] = WebAssembly.Module.customSections(module, 'embedscope.worker');
    expect(new TextDecoder().decode(section)).toBe('worker 7');
    const { exports } = await WebAssembly.instantiate(module);
    expect((exports.add as (a: number, b: number) => number)(2, 40)).toBe(42);
    // The original bytes are left as they were, and two tags make two different modules' bytes.
    expect(WebAssembly.Module.customSections(new WebAssembly.Module(ADD), 'embedscope.worker')).toHaveLength(0);
    expect(Buffer.from(withCustomSection(ADD, 'embedscope.worker', 'a')).equals(Buffer.from(withCustomSection(ADD, 'embedscope.worker', 'b')))).toBe(false);
  });

  it('encodes sizes past one LEB128 byte (a payload of 300 bytes)', () => {
    const payload = 'x'.repeat(300);
    const [section] = WebAssembly.Module.customSections(new WebAssembly.Module(withCustomSection(ADD, 'n', payload)), 'n');
    expect(new TextDecoder().decode(section)).toBe(payload);
  });
});
