import { mount } from 'svelte';
import App from './ui/App.svelte';
import { pwa } from './ui/pwa.svelte.ts';
import './ui/app.css';
import type { BenchOptions } from './bench/run.ts';

export default mount(App, { target: document.getElementById('app')! });

// The service worker (offline use) only in production builds: in dev it would fight hot reload.
if (import.meta.env.PROD) void pwa.register();

// The CLI (`npm run bench`) drives the page's own benchmark code through this handle.
(globalThis as unknown as { embedscope: unknown }).embedscope = {
  runBench: async (opts: BenchOptions) => {
    const [{ runBench }, { loadModelPool }, { benchSearch }, { calibrateFromDefault }] = await Promise.all([import('./bench/run.ts'), import('./model-client.ts'), import('./search-client.ts'), import('./auto-client.ts')]);
    const calibrate = (spec: Parameters<typeof calibrateFromDefault>[0]['spec'], batch: number, budgetMs?: number, texts?: string[]) =>
      calibrateFromDefault({ spec, batch, budgetMs, texts, loadPool: loadModelPool, signal: new AbortController().signal, whenIdle: async () => {}, foregroundCalls: () => 0 });
    return runBench(opts, { loadPool: loadModelPool, benchSearch, calibrate });
  },
  // `npm run soak` drives these steps from Node (a reload is one of its faults): one set per page load.
  soak: async () => {
    const [{ createSoak }, { loadModelPool, ModelClient }, { search, forgetCollection }, { embedNow, embedBulk }] = await Promise.all([import('./bench/soak-page.ts'), import('./model-client.ts'), import('./search-client.ts'), import('./embed-queue.ts')]);
    soak ??= createSoak({
      loadPool: loadModelPool,
      openModel: async (spec) => {
        const client = new ModelClient(spec);
        await client.load();
        return { embedNow: (texts, signal) => embedNow(client, texts, signal), embedBulk: (texts, signal) => embedBulk(client, texts, signal), unload: () => client.unload() };
      },
      search,
      forgetCollection,
    });
    return soak;
  },
};
let soak: import('./bench/soak-page.ts').SoakPage | undefined;
