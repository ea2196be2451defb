import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { contentSecurityPolicy, isolationHeaders, productionHeaders } from './src/headers.ts';

export { isolationHeaders };

/** Embedded model files the service worker precaches: the ones the app offers offline. */
const offlineModelFiles = [
  'models/glove-100d/{config.json,tokenizer.json,model.safetensors}',
  'models/use-lite-static/{config.json,tokenizer.json,model.safetensors}', // 4.8 MB: a static model is the one that must work everywhere
  'models/use-lite/{config.json,tokenizer.json,tokenizer_config.json}',
  'models/use-lite/onnx/{model.onnx,model_quantized.onnx}', // fp32 and int8; fp16 is cached on first use
  'corpora/moby-dick.txt',
  // The Choose view's labelled data (STS-B test, the retrieval set built from it): 0.45 MB.
  'data/manifest.json',
  'data/stsb/{sts-test.tsv,LICENSE.txt}',
  'data/stsb-retrieval/{corpus.jsonl,queries.jsonl,qrels/test.tsv}',
];

export default defineConfig({
  plugins: [
    svelte(),
    VitePWA({
      // Our own service worker (src/sw.ts): it must rebuild responses with COOP/COEP, which
      // generateSW cannot do. Registered by src/ui/pwa.svelte.ts in production builds only.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'prompt',
      manifest: {
        name: 'Embedscope',
        short_name: 'Embedscope',
        description: 'Run, compare and measure text-embedding models in your browser, offline.',
        theme_color: '#2857d6',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      injectManifest: {
        // The manifest and its icons are added by the plugin itself.
        globPatterns: ['**/*.{html,js,mjs,css,wasm}', ...offlineModelFiles],
        // transformers.js and the onnxruntime build it loads (asyncify, 26.8 MB) serve only the
        // Benchmark's anchor cells: kept after their first use (src/sw.ts), not downloaded at install.
        globIgnores: ['**/assets/ort-wasm-simd-threaded.asyncify-*', '**/assets/transformersjs-*'],
        // use-lite fp32 (28 MB) and ORT's wasm (28 MB) are far above workbox's 2 MB default.
        maximumFileSizeToCacheInBytes: 40 * 1024 * 1024,
        // Hashed file names already say which version a file is.
        dontCacheBustURLsMatching: /-[\w-]{8}\.\w+$/,
      },
      devOptions: { enabled: false }, // hot reload stays service-worker free
    }),
    {
      // Static hosts that cannot set headers still get the policy (frame-ancestors excepted,
      // which only a header can carry; `vite preview` and the service worker send the header).
      name: 'embedscope-csp-meta',
      apply: 'build',
      transformIndexHtml: () => [
        { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy.replace(/; frame-ancestors [^;]+/, '') }, injectTo: 'head-prepend' },
      ],
    },
  ],
  resolve: {
    // transformers.js (used for its tokenizers only) imports the WebGPU build of onnxruntime-web,
    // which would ship a second 27 MB wasm; point it at the one our model worker uses.
    alias: [{ find: /^onnxruntime-web\/webgpu$/, replacement: 'onnxruntime-web' }],
  },
  server: { headers: isolationHeaders },
  preview: { headers: productionHeaders },
  worker: { format: 'es' },
  // Workers import these lazily; pre-bundle them at start so the dev server never discovers a
  // dependency mid-session and reloads the page (which once killed a model load in CI).
  optimizeDeps: {
    entries: ['index.html', 'workers/*.worker.ts'],
    include: ['onnxruntime-web', '@huggingface/tokenizers', '@huggingface/transformers', 'comlink', 'idb'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    // A tight limit for every test, so a slow one shows; a file that needs longer says so at its top
    // with vi.setConfig and the measurement (the TF.js parity files: use-lite, use-tokenizer, quantize).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
