/**
 * What one worker holds, counted from inside it. Neither figure is visible from outside:
 * `performance.measureUserAgentSpecificMemory()` leaves out WebAssembly memory and GPU buffers,
 * and onnxruntime-web does not expose its wasm instance. So the model worker installs this probe
 * before onnxruntime loads, and it wraps the two places such memory is born:
 * - `WebAssembly.Memory` (Emscripten's threaded builds create their shared memory in JS) and the
 *   `memory` export of every instantiated module (single-threaded builds);
 * - `GPUDevice.createBuffer` / `GPUBuffer.destroy` (onnxruntime's WebGPU allocations, ours too).
 * Counting is cheap (a Set add per memory, an add per buffer) and never changes what is created.
 */
export interface WorkerMemory {
  /** Bytes of every live WebAssembly.Memory in this worker (pthreads share one, counted once). */
  wasmBytes: number;
  /** Bytes of GPU buffers created in this worker and not destroyed; 0 where WebGPU is unused. */
  gpuBufferBytes: number;
}

const memories = new Set<WebAssembly.Memory>();
let gpuBufferBytes = 0;
let installed = false;

export function installMemoryProbe(): void {
  if (installed) return;
  installed = true;
  const Native = WebAssembly.Memory;
  // A subclass keeps `instanceof WebAssembly.Memory` and every property working for callers.
  const Counted = class extends Native {
    constructor(descriptor: WebAssembly.MemoryDescriptor) {
      super(descriptor);
      memories.add(this);
    }
  };
  WebAssembly.Memory = Counted as typeof WebAssembly.Memory;
  const noteExports = (instance: WebAssembly.Instance) => {
    for (const value of Object.values(instance.exports)) if (value instanceof Native) memories.add(value);
  };
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiate = (async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    const result = await instantiate(source as BufferSource, imports);
    noteExports('instance' in result ? result.instance : (result as WebAssembly.Instance));
    return result;
  }) as typeof WebAssembly.instantiate;
  if (WebAssembly.instantiateStreaming) {
    const streaming = WebAssembly.instantiateStreaming.bind(WebAssembly);
    WebAssembly.instantiateStreaming = async (source, imports) => {
      const result = await streaming(source, imports);
      noteExports(result.instance);
      return result;
    };
  }

  const gpu = globalThis as unknown as { GPUDevice?: { prototype: { createBuffer(d: { size: number }): unknown } }; GPUBuffer?: { prototype: { destroy(): void; size: number } } };
  if (gpu.GPUDevice && gpu.GPUBuffer) {
    const live = new WeakSet<object>();
    const create = gpu.GPUDevice.prototype.createBuffer;
    gpu.GPUDevice.prototype.createBuffer = function (this: unknown, descriptor: { size: number }) {
      const buffer = create.call(this, descriptor) as object;
      live.add(buffer);
      gpuBufferBytes += descriptor.size;
      return buffer;
    };
    const destroy = gpu.GPUBuffer.prototype.destroy;
    gpu.GPUBuffer.prototype.destroy = function (this: { size: number }) {
      if (live.has(this)) {
        live.delete(this);
        gpuBufferBytes -= this.size;
      }
      destroy.call(this);
    };
  }
}

export function measureWorkerMemory(): WorkerMemory {
  let wasmBytes = 0;
  for (const m of memories) wasmBytes += m.buffer.byteLength;
  return { wasmBytes, gpuBufferBytes };
}
