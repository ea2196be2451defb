/**
 * Transformers in the page's workers: choose WebGPU or WASM, load the weights file each runs
 * well, and check a WebGPU result against WASM before trusting it (quantized models have gone
 * wrong on WebGPU in other tools): mean cosine < 0.99 on a few sentences marks the combination
 * unreliable and falls back to WASM, with a warning the page shows.
 */
import { ModelLoadError } from '../errors.ts';
import { readOnce, type ModelFiles } from './files.ts';
import type { ModelSpec } from './types.ts';
import { dtypeEntry } from './dtypes.ts';
import { loadTransformerModel, type OrtModule, type TransformerEmbedder } from './transformer.ts';

const PROBES = ['A man is eating food.', 'The girl is carrying a baby.', 'Stocks fell sharply on Monday morning.', 'Call me Ishmael.'];

export async function loadTransformerInBrowser(source: ModelFiles, spec: ModelSpec): Promise<TransformerEmbedder> {
  const files = readOnce(source);
  const { webgpuAdapter, wasmThreadsFor, ownWasmModule, ortFor } = await import('./ort-web.ts');
  const wasmThreads = wasmThreadsFor(spec.threads);
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
  const web = await ortFor(backend, wasmThreads);
  const ort = web as unknown as OrtModule;
  ownWasmModule(wasmThreads);

  const load = async (on: 'wasm' | 'webgpu') => {
    // MatMulInteger has no WebGPU kernel: WebGPU takes the dtype's weight-only (QDQ) file where there is one.
    const webgpuFile = dtypeEntry(dtype).webgpuFile;
    const qdq = on === 'webgpu' && !!webgpuFile && (await files.read(webgpuFile)) !== null;
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
        file: qdq ? webgpuFile : undefined,
        ort,
        backend: on,
        batchSize: spec.batchSize,
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
  // onnxruntime's typings say a promise, its getter may give the device itself: await takes either.
  let device: GPUDeviceLike | undefined;
  try {
    device = (await (web.env.webgpu.device as unknown)) as GPUDeviceLike | undefined;
  } catch {
    device = undefined; // no device to watch: a loss then surfaces as a failed run
  }
  // For DevTools and tests: the worker's GPU device, so a device loss can be looked at or caused
  // (`embedscopeDiagnostics.gpuDevice.destroy()` in the worker's console).
  (globalThis as { embedscopeDiagnostics?: unknown }).embedscopeDiagnostics = { gpuDevice: device };
  return survivesDeviceLoss(gpu, device, () => load('wasm'));
}

interface GPUDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
}

/**
 * A GPU can go away mid-run (driver reset, another tab's crash, the OS reclaiming it); onnxruntime's
 * WebGPU session is useless after that. The model then moves itself to WASM in this same worker:
 * the call in flight is run again there, later calls run there, and `info` says what happened
 * (the page shows it). Nothing but this model's session is touched.
 */
function survivesDeviceLoss(gpu: TransformerEmbedder, device: GPUDeviceLike | undefined, loadOnWasm: () => Promise<TransformerEmbedder>): TransformerEmbedder {
  let lost: string | null = null;
  device?.lost.then((info) => {
    lost = [info.reason, info.message].filter(Boolean).join(': ') || 'no reason given';
  });
  let current = gpu;
  let moving: Promise<TransformerEmbedder> | null = null;
  const moveToWasm = () =>
    (moving ??= loadOnWasm().then((cpu) => {
      cpu.info.warnings.unshift(`The GPU device was lost mid-run (${lost}); this model now runs on WASM. Reload it to try WebGPU again.`);
      gpu.dispose().catch(() => {});
      return (current = cpu);
    }));
  return {
    get info() {
      return current.info;
    },
    async embed(texts, opts) {
      if (current === gpu && !lost) {
        try {
          return await gpu.embed(texts, opts);
        } catch (err) {
          // The loss is reported on its own promise, often just after the failed run.
          await new Promise((r) => setTimeout(r, 50));
          if (!lost) throw err;
        }
      }
      if (current === gpu) await moveToWasm();
      return current.embed(texts, opts);
    },
    dispose: () => current.dispose(),
  };
}
