/// <reference lib="webworker" />
/**
 * The service worker: the app shell, onnxruntime-web's wasm and the embedded models are
 * precached at install (the list is injected by vite-plugin-pwa at build time), so after one
 * visit the app works with no network at all.
 *
 * Every response it hands out is rebuilt with the app's headers (COOP/COEP/CORP + CSP): a cached
 * response's headers are whatever the server sent when it was cached, and a document served
 * without COOP/COEP would lose cross-origin isolation — and with it ONNX Runtime's threads.
 *
 * Updates never half-apply: a new version installs beside the old one and waits; the page shows
 * "update available" and sends SKIP_WAITING only when the person agrees, then reloads.
 * It never fetches anything on its own except the precache list from our own origin, and never
 * touches cross-origin requests (hub downloads go straight to the network).
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, addPlugins } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { productionHeaders } from './headers.ts';
import { isOlderBuild } from './sw-assets.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

/** Same-origin files outside the precache (e.g. use-lite fp16), kept after their first use. */
const RUNTIME_CACHE = 'embedscope-runtime-v1';

function withAppHeaders(res: Response): Response {
  // Opaque and error responses pass through untouched; redirects cannot be rebuilt.
  if (res.type === 'opaque' || res.type === 'opaqueredirect' || res.status === 0) return res;
  const headers = new Headers(res.headers);
  for (const [name, value] of Object.entries(productionHeaders)) headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

addPlugins([{ cachedResponseWillBeUsed: async ({ cachedResponse }) => (cachedResponse ? withAppHeaders(cachedResponse) : cachedResponse) }]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// A reload of any in-app address (#playground, #models, …) is answered by the cached shell.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

// Other same-origin model and corpus files, and the Benchmark anchor's transformers.js build that
// the precache leaves out (vite.config.ts, globIgnores): network first (so a rebuilt model is picked
// up), the copy from the last visit when offline.
const RUNTIME_FILES = /\/(models|corpora)\/|\/assets\/(ort-wasm-simd-threaded\.asyncify|transformersjs)-/;
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === 'GET' && RUNTIME_FILES.test(url.pathname),
  async ({ url, request }) => {
    const cache = await caches.open(RUNTIME_CACHE);
    try {
      const res = await fetch(request);
      if (res.ok && res.status === 200) {
        const older = (await cache.keys().catch(() => [])).filter((old) => isOlderBuild(url.pathname, new URL(old.url).pathname));
        await Promise.all(older.map((old) => cache.delete(old).catch(() => false)));
        await cache.put(request, res.clone()).catch(() => undefined); // a full disk must not fail the request
      }
      return withAppHeaders(res);
    } catch (err) {
      const hit = await cache.match(request);
      if (hit) return withAppHeaders(hit);
      throw err;
    }
  },
);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

// The first install takes control of the page that registered it, so that page's later
// requests (a model loaded a minute from now) are already served from the precache.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
