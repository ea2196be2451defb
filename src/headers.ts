/**
 * The response headers the app is served with — by the dev server, by `vite preview` and by the
 * service worker when it answers offline — kept in one place so the three cannot drift apart.
 */
import { HUB_ENDPOINT } from './core/models/hub.ts';

/**
 * Cross-origin isolation (COOP + COEP) lets workers share memory: ONNX Runtime's threads and
 * the bridge's abort flag need SharedArrayBuffer. CORP lets our own isolated pages embed
 * every file we serve.
 */
export const isolationHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The production Content-Security-Policy. Scripts come only from our own origin — no inline
 * script, no eval, no CDN; 'wasm-unsafe-eval' is what WebAssembly.compile needs (ONNX Runtime,
 * our Hamming kernel) and allows nothing else. Requests go to our origin and the model hub
 * only (the hub redirects large files to its CDN hosts under huggingface.co and hf.co).
 * Not sent by the dev server: Vite's hot reload injects what a strict policy forbids.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  `connect-src 'self' ${HUB_ENDPOINT} https://*.huggingface.co https://*.hf.co`,
  "img-src 'self' data:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What the production build is served with: isolation plus the CSP. */
export const productionHeaders: Record<string, string> = {
  ...isolationHeaders,
  'Content-Security-Policy': contentSecurityPolicy,
};
