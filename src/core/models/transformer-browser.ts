/**
 * Transformers in the page's workers: choose WebGPU or WASM, load the weights file each runs
 * well, and check a WebGPU result against WASM before trusting it (quantized models have gone
 * wrong on WebGPU in other tools): mean cosine < 0.99 on a few sentences marks the combination
 * unreliable and falls back to WASM, with a warning the page shows.
 */
import { ModelLoadError } from '../errors.ts';
import { readOnce, type ModelFiles } from './files.ts';
import type { ModelSpec } from './registry.ts';
import { loadTransformerModel, type OrtModule, type TransformerEmbedder } from './transformer.ts';

const PROBES = ['A man is eating food.', 'The girl is carrying a baby.', 'Stocks fell sharply on Monday morning.', 'Call me Ishmael.'];

export async function loadTransformerInBrowser(source: ModelFiles, spec: ModelSpec): Promise<TransformerEmbedder> {
  const files = readOnce(source);
  const { ort, webgpuAdapter, useWasmThreads } = await import('./ort-web.ts');
  const wasmThreads = useWasmThreads(spec.threads);
  const dtype = spec.dtype ?? 'fp32';
  const choice = spec.backend ?? 'auto';
  const adapter = await webgpuAdapter();
  const warnings: string[] = [];
  // A software adapter (SwiftShader) computes correctly but ~100× slower than WASM: only on request.
  let backend: 'wasm' | 'webgpu' = choice === 'webgpu' || (choice === 'auto' && adapter.available && !adapter.fallback) ? 'webgpu' : 'wasm';
  if (backend === 'webgpu' && !adapter.available) {
    throw new ModelLoadError('WebGPU', `is not available here (${adapter.description}); choose WASM or Auto`);
  }
  if (choice === 'auto' && adapter.available && adapter.fallback) warnings.push(`WebGPU here is a software adapter (${adapter.description}); using WASM, which is faster.`);

  const load = async (on: 'wasm' | 'webgpu') => {
    // MatMulInteger has no WebGPU kernel: WebGPU takes the weight-only (QDQ) int8 file where there is one.
    const qdq = on === 'webgpu' && dtype === 'int8' && (await files.read('onnx/model_quantized_qdq.onnx')) !== null;
    // onnxruntime says (on the console) when an EP leaves nodes to the CPU; listen while the session is made.
    const cpuFallback = { seen: false };
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (String(args[0]).includes('were not assigned to the preferred execution providers')) cpuFallback.seen = true;
      warn.apply(console, args);
    };
    let model: TransformerEmbedder;
    try {
      model = await loadTransformerModel(files, {
        id: spec.id,
        dtype,
        file: qdq ? 'onnx/model_quantized_qdq.onnx' : undefined,
        ort: ort as unknown as OrtModule,
        backend: on,
        sessionOptions: { executionProviders: [on], graphOptimizationLevel: 'all' },
      });
    } finally {
      console.warn = warn;
    }
    if (on === 'webgpu' && cpuFallback.seen) {
      model.info.warnings.push('Some nodes run on the CPU under WebGPU (onnxruntime keeps shape ops there; NonZero has no WebGPU kernel).');
    }
    model.info.warnings.push(...warnings);
    if (on === 'wasm') {
      model.info.threads = wasmThreads;
      model.info.warnings.push(`WASM SIMD, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}.`);
    }
    if (qdq) model.info.warnings.push('int8 on WebGPU uses the weight-only (QDQ) variant: MatMulInteger has no WebGPU kernel.');
    return model;
  };

  if (backend === 'wasm') return load('wasm');
  const gpu = await load('webgpu');
  const cpu = await load('wasm');
  // One run at a time: onnxruntime-web refuses concurrent runs ("Session already started").
  const a = await gpu.embed(PROBES);
  const b = await cpu.embed(PROBES);
  let sum = 0;
  for (let i = 0; i < PROBES.length; i++) {
    let dot = 0;
    for (let d = 0; d < a.dims; d++) dot += a.vectors[i * a.dims + d] * b.vectors[i * b.dims + d];
    sum += dot;
  }
  const agreement = sum / PROBES.length;
  if (agreement < 0.99) {
    await gpu.dispose();
    cpu.info.warnings.push(`${spec.id} ${dtype} on WebGPU disagreed with WASM (mean cosine ${agreement.toFixed(4)} < 0.99): marked unreliable, running on WASM.`);
    return cpu;
  }
  await cpu.dispose();
  gpu.info.warnings.push(`WebGPU checked against WASM: mean cosine ${agreement.toFixed(5)} on ${PROBES.length} sentences.`);
  return gpu;
}
