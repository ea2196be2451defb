import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/app.css';
import type { BenchOptions } from './bench/run.ts';

export default mount(App, { target: document.getElementById('app')! });

// The CLI (`npm run bench`) drives the page's own benchmark code through this handle.
(globalThis as unknown as { embedscope: unknown }).embedscope = {
  runBench: async (opts: BenchOptions) => (await import('./bench/run.ts')).runBench(opts),
};
