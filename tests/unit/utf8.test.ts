import { describe, expect, it } from 'vitest';
import { decodeUtf8, encodeUtf8Into } from '../../src/core/util/utf8.ts';

const fatal = new TextDecoder('utf-8', { fatal: true });
const encode = (s: string) => new TextEncoder().encode(s);

describe('decodeUtf8 (a V8-made string, TextDecoder’s answers)', () => {
  it('decodes every width of UTF-8 as TextDecoder does, across its internal chunks', () => {
    // ASCII, Latin-1, CJK, astral (surrogate pairs), in a text long enough to cross many 8,192-unit chunks.
    const pieces = ['plain ascii ', 'café naïve ', '東京 ', '😀🇫🇷 ', '\u07ff\u0800\uffff\u{10000}\u{10ffff}'];
    let text = '';
    for (let i = 0; text.length < 100_000; i++) text += pieces[i % pieces.length] + i;
    const bytes = encode(text);
    expect(decodeUtf8(bytes)).toBe(text);
    expect(decodeUtf8(bytes)).toBe(fatal.decode(bytes));
  });

  it('keeps a surrogate pair whole where it lands on a chunk boundary', () => {
    for (const pad of [8190, 8191, 8192, 8193]) {
      const text = 'a'.repeat(pad) + '😀' + 'b';
      expect(decodeUtf8(encode(text))).toBe(text);
    }
  });

  it('drops a leading byte-order mark as TextDecoder does, and decodes empty input', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...encode('{"a":1}')]);
    expect(decodeUtf8(bom)).toBe('{"a":1}');
    expect(decodeUtf8(bom)).toBe(fatal.decode(bom));
    expect(decodeUtf8(new Uint8Array(0))).toBe('');
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80]],
    ['an overlong 2-byte form', [0xc0, 0x80]],
    ['an overlong 3-byte form', [0xe0, 0x80, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a sequence cut short at the end', [0x61, 0xe2, 0x82]],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a byte that never starts a sequence', [0xf8, 0x80, 0x80, 0x80]],
  ])('throws on %s, as a fatal TextDecoder does', (_, raw) => {
    const bytes = new Uint8Array(raw);
    expect(() => fatal.decode(bytes)).toThrow(TypeError);
    expect(() => decodeUtf8(bytes)).toThrow(/not valid for encoding utf-8/);
  });
});

describe('encodeUtf8Into (bytes written by JS, TextEncoder’s answers)', () => {
  it('encodes every width, surrogate pairs and lone surrogates as TextEncoder does, growing the buffer when needed', () => {
    const scratch = { bytes: new Uint8Array(4) };
    const texts = ['', 'a', 'plain ascii', 'café naïve', '東京', '😀🇫🇷', '\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}', 'lone \ud800 high', 'lone \udc00 low', 'end \ud83d', '\udc00\ud800 swapped'];
    for (let i = 0; i < 2000; i++) texts.push(texts[i % texts.length] + i);
    for (const t of texts) expect([...encodeUtf8Into(t, scratch)], JSON.stringify(t)).toEqual([...encode(t)]);
    expect(scratch.bytes.length).toBeGreaterThan(4);
  });

  it('returns a view of the one buffer it reuses, so a caller reads the bytes before the next call', () => {
    const scratch = { bytes: new Uint8Array(64) };
    const a = encodeUtf8Into('first', scratch);
    expect(a.buffer).toBe(scratch.bytes.buffer);
    expect(new TextDecoder().decode(encodeUtf8Into('second', scratch))).toBe('second');
  });
});
