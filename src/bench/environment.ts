/**
 * Where a result comes from: browser, cores, isolation, threads, WebGPU adapter. Collected in
 * the page (not in a worker) and attached to every report, so a shared number carries its context.
 */

import { defaultWasmThreads } from '../core/util/threads.ts';
import { probeWebGpu, describeGpu, type GpuInfo } from '../core/util/webgpu.ts';

export { describeGpu, type GpuInfo };

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

/** WASM threads one instance gets by default here (the shared rule in core/util/threads.ts). */
export function defaultThreads(): number {
  return defaultWasmThreads(1);
}

/** The WebGPU adapter as the page sees it (the one probe, core/util/webgpu.ts). */
export const webgpuInfo = probeWebGpu;

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
