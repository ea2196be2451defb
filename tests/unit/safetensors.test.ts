import { describe, expect, it } from 'vitest';
import { readSafetensors, tensorToFloat32, writeSafetensors, float16ToFloat32 } from '../../src/core/safetensors.ts';
import { float32ToFloat16 } from '../helpers/tiny-model.ts';

describe('safetensors', () => {
  it('round-trips tensors of several dtypes with an 8-byte aligned data section', () => {
    const bytes = writeSafetensors({
      a: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 0]) },
      b: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      c: { dtype: 'F16', shape: [2], data: new Uint16Array([float32ToFloat16(0.5), float32ToFloat16(-3)]) },
    });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const tensors = readSafetensors(bytes.buffer as ArrayBuffer);
    expect(Array.from(tensorToFloat32(tensors.get('a')!))).toEqual([1, -2, 3.5, 0]);
    expect(Array.from(tensorToFloat32(tensors.get('b')!))).toEqual([-128, 0, 127]);
    expect(Array.from(tensorToFloat32(tensors.get('c')!))).toEqual([0.5, -3]);
  });
  it('decodes f16 subnormals, infinities and NaN', () => {
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16ToFloat32(0x7e00)).toBeNaN();
    expect(float16ToFloat32(0x3c00)).toBe(1);
  });
  it('says which tensor is cut short in a truncated file', () => {
    const bytes = writeSafetensors({ big: { dtype: 'F32', shape: [100], data: new Float32Array(100) } });
    expect(() => readSafetensors(bytes.slice(0, 200).buffer as ArrayBuffer, 'x.safetensors')).toThrow(
      /^x\.safetensors: is truncated: tensor "big" ends at byte 4\d\d but the file has 200 bytes/,
    );
  });
  it('tells a file cut inside its header from a file of another kind', () => {
    const bytes = writeSafetensors({ big: { dtype: 'F32', shape: [100], data: new Float32Array(100) } });
    expect(() => readSafetensors(bytes.slice(0, 30).buffer as ArrayBuffer, 'x.safetensors')).toThrow(
      /^x\.safetensors: is truncated: its header alone needs \d+ bytes but the file has 30/,
    );
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(() => readSafetensors(png.buffer, 'x.safetensors')).toThrow(/^x\.safetensors: is not a safetensors file/);
  });
  it('rejects a header whose offsets disagree with the shape', () => {
    const header = JSON.stringify({ t: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } });
    const bytes = new Uint8Array(8 + header.length + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    expect(() => readSafetensors(bytes.buffer)).toThrow('tensor "t" of shape [4] F32 needs 16 bytes but its offsets span 8');
  });
});
