/**
 * "Reproduce it in your app": the transformers.js snippet the Choose view shows, run as written
 * in this Chromium on the embedded use-lite files, gives the vectors Embedscope showed.
 */
import { expect, test } from '@playwright/test';
import { embedSnippet } from '../../src/core/choose/snippet.ts';

test('the transformers.js snippet gives the vectors Embedscope showed for use-lite int8 (cosine ≥ 0.9999)', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await page.getByTestId('catalog-select').selectOption('use-lite');
  await page.getByTestId('dtype-select').selectOption('int8');
  await page.getByTestId('backend-select').selectOption('wasm');
  await page.getByTestId('load-model').click();
  const rows = page.locator('[data-testid=vectors-table] tr[data-vector]');
  await expect(rows).toHaveCount(5, { timeout: 120_000 });
  const shown: number[][] = await rows.evaluateAll((trs) => trs.map((tr) => JSON.parse(tr.getAttribute('data-vector')!)));
  const sentences = (await page.getByTestId('sentences').inputValue()).split('\n');

  const snippet = embedSnippet({ model: 'use-lite', kind: 'transformer', dtype: 'int8', stored: 'float32', dims: 512, modelDims: 512, maxTokens: 128 });
  expect(snippet).toContain("dtype: 'q8'");
  // The snippet's code as written; only its import is bound to the dev server's copy of the
  // package, and onnxruntime's wasm to the app's own files (this machine has no CDN).
  const body = `${snippet.replace(/^import .*$/m, '')}\nreturn (await embed(sentences)).map((v) => Array.from(v));`;
  const vectors: number[][] = await page.evaluate(
    async ({ body, sentences }) => {
      const load = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, never>>;
      const mod = (await load('/node_modules/.vite/deps/@huggingface_transformers.js')) as unknown as { AutoModel: unknown; AutoTokenizer: unknown; env: { backends: { onnx: { wasm: { wasmPaths: string } } } } };
      mod.env.backends.onnx.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
      const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<number[][]>;
      return new AsyncFunction('AutoModel', 'AutoTokenizer', 'env', 'sentences', body)(mod.AutoModel, mod.AutoTokenizer, mod.env, sentences);
    },
    { body, sentences },
  );
  expect(vectors).toHaveLength(5);
  vectors.forEach((v, i) => {
    expect(v).toHaveLength(512);
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let d = 0; d < 512; d++) {
      dot += v[d] * shown[i][d];
      a += v[d] ** 2;
      b += shown[i][d] ** 2;
    }
    const cos = dot / Math.sqrt(a * b);
    console.log(`sentence ${i + 1}: cosine ${cos.toFixed(7)} between the snippet's vector and Embedscope's`);
    expect(cos).toBeGreaterThanOrEqual(0.9999);
  });
});
