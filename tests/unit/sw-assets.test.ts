import { describe, expect, it } from 'vitest';
import { isOlderBuild } from '../../src/sw-assets.ts';

describe('isOlderBuild: a runtime-cached build file replaces its older builds', () => {
  it('same name and ending, other hash: older; anything else is kept', () => {
    expect(isOlderBuild('/assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', '/assets/ort-wasm-simd-threaded.asyncify-Ab12Cd34.wasm')).toBe(true);
    expect(isOlderBuild('/app/assets/transformersjs-C_3TDCPT.js', '/app/assets/transformersjs-U-616tDE.js')).toBe(true);
    // The same build, the .mjs beside the .wasm, another file, a model file: not older builds.
    expect(isOlderBuild('/assets/transformersjs-C_3TDCPT.js', '/assets/transformersjs-C_3TDCPT.js')).toBe(false);
    expect(isOlderBuild('/assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', '/assets/ort-wasm-simd-threaded.asyncify-CGX8rfbW.mjs')).toBe(false);
    expect(isOlderBuild('/assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm', '/assets/ort-wasm-simd-threaded.jsep-MDYUKy93.wasm')).toBe(false);
    expect(isOlderBuild('/models/use-lite/onnx/model_q4.onnx', '/models/use-lite/onnx/model.onnx')).toBe(false);
  });
});
