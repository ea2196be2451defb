/**
 * Where a Chromium process's memory goes, by allocator: the browser's own memory-infra dump
 * (CDP Tracing with the `disabled-by-default-memory-infra` category and one deterministic detailed
 * dump, what chrome://tracing shows). The soak (src/bench/soak.ts) takes one at each of its memory
 * points so a growth ratio that misses its target says which allocator kept the memory: V8's heaps
 * (per isolate: the page and each worker), PartitionAlloc (Blink's and ArrayBuffers' backing
 * stores), malloc, Oilpan (blink_gc), WebAssembly memories (inside v8), and so on.
 * Node-only (a CDP session, src/bench/cdp.ts); the page never imports it.
 */
import type { Cdp } from './cdp.ts';

/** One process's dump: allocator path → bytes (the `size` attribute, which includes its children). */
export interface ProcessDump {
  pid: number;
  /** Private footprint as the browser counts it (bytes). */
  privateFootprint: number;
  allocators: Record<string, number>;
  /** Every attribute of the partitions and of malloc (allocated vs committed, discardable…), bytes. */
  details: Record<string, Record<string, number>>;
}

interface TraceEvent {
  ph: string;
  pid: number;
  args?: { dumps?: { allocators?: Record<string, { attrs?: Record<string, { value?: string | number }> }>; process_totals?: Record<string, string> } };
}

const hex = (v: string | number | undefined) => (typeof v === 'number' ? v : v ? parseInt(v, 16) : 0);

/** One memory-infra dump of every Chromium process (a second or two; the trace is tiny). */
export async function memoryInfraDump(browserCdp: Cdp, deterministic = true): Promise<ProcessDump[]> {
  const events: TraceEvent[] = [];
  const onData = (e: { value: unknown[] }) => void events.push(...(e.value as TraceEvent[]));
  browserCdp.on('Tracing.dataCollected', onData);
  try {
    const complete = new Promise((resolve) => browserCdp.once('Tracing.tracingComplete', resolve));
    await browserCdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], excludedCategories: ['*'], memoryDumpConfig: { triggers: [] } },
    });
    await browserCdp.send('Tracing.requestMemoryDump', { deterministic, levelOfDetail: 'detailed' });
    await browserCdp.send('Tracing.end');
    await complete;
  } finally {
    browserCdp.off('Tracing.dataCollected', onData);
  }
  const byPid = new Map<number, ProcessDump>();
  for (const e of events) {
    const d = e.ph === 'v' ? e.args?.dumps : undefined;
    if (!d) continue;
    const p = byPid.get(e.pid) ?? { pid: e.pid, privateFootprint: 0, allocators: {}, details: {} };
    if (d.process_totals?.private_footprint_bytes) p.privateFootprint = hex(d.process_totals.private_footprint_bytes);
    for (const [name, a] of Object.entries(d.allocators ?? {})) {
      const size = hex(a.attrs?.size?.value);
      if (size) p.allocators[name] = size;
      if (/^(partition_alloc\/partitions\/[^/]+|malloc|malloc\/partitions\/[^/]+|v8\/(main|workers)\/heap)$/.test(name)) {
        p.details[name] = Object.fromEntries(Object.entries(a.attrs ?? {}).map(([k, v]) => [k, hex(v.value)]));
      }
    }
    byPid.set(e.pid, p);
  }
  return [...byPid.values()];
}

/**
 * A dump summed over `pids` (the renderers), reduced to what says where memory is: the top-level
 * allocators, and inside v8 each isolate's heap and its WebAssembly/ArrayBuffer memory, MB.
 */
export function summarise(dumps: ProcessDump[], pids: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, bytes: number) => (out[k] = (out[k] ?? 0) + bytes / 2 ** 20);
  for (const d of dumps.filter((x) => pids.includes(x.pid))) {
    add('private_footprint', d.privateFootprint);
    for (const [name, bytes] of Object.entries(d.allocators)) {
      const parts = name.split('/');
      if (parts.length === 1) add(name, bytes);
      // v8/main/heap, v8/workers/heap (every worker isolate of the process together), their malloc…
      else if (parts[0] === 'v8' && parts.length === 3 && /^(heap|malloc|zone|global_handles)$/.test(parts[2])) add(name, bytes);
      else if (parts[0] === 'partition_alloc' && parts[1] === 'partitions' && parts.length === 3) add(name, bytes);
      else if (parts[0] === 'malloc' && parts.length === 2) add(name, bytes);
    }
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k] * 10) / 10;
  return out;
}
