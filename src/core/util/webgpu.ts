/**
 * The one WebGPU adapter probe: whether an adapter exists here and what it is. Asked once per
 * context (an adapter does not change under a page or worker).
 */
export type GpuInfo =
  | { available: false; reason: string }
  | { available: true; vendor?: string; architecture?: string; description?: string; fallback: boolean; shaderF16: boolean };

type Adapter = {
  features: ReadonlySet<string>;
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
};

let probe: Promise<GpuInfo> | null = null;

export function probeWebGpu(): Promise<GpuInfo> {
  probe ??= (async (): Promise<GpuInfo> => {
    const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<Adapter | null> } } | undefined)?.gpu;
    if (!gpu) return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
    try {
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { available: false, reason: 'navigator.gpu gave no adapter (GPU blocked or unsupported)' };
      const info = adapter.info ?? {};
      return {
        available: true,
        vendor: info.vendor || undefined,
        architecture: info.architecture || undefined,
        description: info.description || undefined,
        // Chrome moved isFallbackAdapter into adapter.info; SwiftShader also names itself.
        fallback: adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`),
        shaderF16: adapter.features?.has('shader-f16') ?? false,
      };
    } catch (err) {
      return { available: false, reason: `requesting a WebGPU adapter failed: ${(err as Error).message}` };
    }
  })();
  return probe;
}

export function describeGpu(g: GpuInfo): string {
  if (!g.available) return `no WebGPU: ${g.reason}`;
  const name = [g.vendor, g.architecture, g.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}${g.fallback ? ' (software)' : ''}${g.shaderF16 ? ', shader-f16' : ''}`;
}
