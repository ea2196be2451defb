import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Cross-origin isolation (COOP + COEP) lets workers share memory: ONNX Runtime's threads and
 * the bridge's abort flag need SharedArrayBuffer. The same headers go on the dev server and
 * on `vite preview`, so tests of either see what users get.
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [svelte()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  // Workers import these lazily; pre-bundle them at start so the dev server never discovers a
  // dependency mid-session and reloads the page (which once killed a model load in CI).
  optimizeDeps: {
    entries: ['index.html', 'workers/*.worker.ts'],
    include: ['onnxruntime-web', '@huggingface/transformers', 'comlink', 'idb'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
