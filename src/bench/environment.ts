/**
 * Where a result comes from: browser, cores, isolation, threads, WebGPU adapter. Collected in
 * the page (not in a worker) and attached to every report, so a shared number carries its context.
 */

export interface GpuInfo {
  available: boolean;
  /** Why there is no adapter, when there is none. */
  reason?: string;
  vendor?: string;
  architecture?: string;
  description?: string;
  /** A software adapter (SwiftShader): correct, but its timings say nothing about a GPU. */
  fallback?: boolean;
  shaderF16?: boolean;
}

export interface Environment {
  browser: string;
  userAgent: string;
  cores: number;
  crossOriginIsolated: boolean;
  /** WASM threads an instance gets by default: all cores up to 4 when isolated, else 1. */
  defaultThreads: number;
  webgpu: GpuInfo;
  memoryApi: boolean;
  date: string;
}

export function browserName(nav: Navigator | undefined = globalThis.navigator): string {
  const ua = nav?.userAgent ?? '';
  const brands = (nav as Navigator & { userAgentData?: { brands?: { brand: string; version: string }[] } })?.userAgentData?.brands ?? [];
  const real = brands.find((b) => !/not.?a.?brand/i.test(b.brand) && b.brand !== 'Chromium') ?? brands.find((b) => !/not.?a.?brand/i.test(b.brand));
  if (real) return `${real.brand} ${real.version}`;
  const m = /(Firefox|Edg|OPR|Chrome|Chromium|Version)\/([\d.]+)/.exec(ua);
  if (!m) return ua || 'unknown browser';
  return `${m[1] === 'Version' ? 'Safari' : m[1] === 'Edg' ? 'Edge' : m[1]} ${m[2]}`;
}

export function defaultThreads(): number {
  return globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1)) : 1;
}

let gpuInfo: Promise<GpuInfo> | null = null;

/** The WebGPU adapter as the page sees it (asked once; adapters do not change under a page). */
export function webgpuInfo(): Promise<GpuInfo> {
  gpuInfo ??= (async (): Promise<GpuInfo> => {
    type Adapter = { features: ReadonlySet<string>; isFallbackAdapter?: boolean; info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean } };
    const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<Adapter | null> } })?.gpu;
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
        fallback: adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`),
        shaderF16: adapter.features.has('shader-f16'),
      };
    } catch (err) {
      return { available: false, reason: `requesting a WebGPU adapter failed: ${(err as Error).message}` };
    }
  })();
  return gpuInfo;
}

export function describeGpu(g: GpuInfo): string {
  if (!g.available) return `no WebGPU: ${g.reason}`;
  const name = [g.vendor, g.architecture, g.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}${g.fallback ? ' (software)' : ''}${g.shaderF16 ? ', shader-f16' : ''}`;
}

export async function collectEnvironment(): Promise<Environment> {
  const nav = globalThis.navigator;
  const perf = globalThis.performance as Performance & { measureUserAgentSpecificMemory?: unknown };
  return {
    browser: browserName(nav),
    userAgent: nav?.userAgent ?? '',
    cores: nav?.hardwareConcurrency ?? 1,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    defaultThreads: defaultThreads(),
    webgpu: await webgpuInfo(),
    memoryApi: typeof perf?.measureUserAgentSpecificMemory === 'function',
    date: new Date().toISOString(),
  };
}
