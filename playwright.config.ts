import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 5199);
const previewPort = Number(process.env.E2E_PREVIEW_PORT ?? 5218);

/**
 * Every test starts as a returning visitor who turned off "Load these models again when the page
 * opens" (the Playground's first visit loads two models by itself); tests of that first visit
 * clear it with test.use({ storageState: { cookies: [], origins: [] } }).
 */
const noStarterModels = { name: 'embedscope.playground.v1', value: JSON.stringify({ autoload: false }) };

/** Debian's Chromium (apt-get install chromium); Playwright's own browsers are not downloadable here. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e-artifacts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    baseURL: `http://localhost:${port}/`,
    storageState: { cookies: [], origins: [port, previewPort].map((p) => ({ origin: `http://localhost:${p}`, localStorage: [noStarterModels] })) },
    browserName: 'chromium',
    launchOptions: {
      executablePath: chromiumPath,
      // --enable-unsafe-webgpu: SwiftShader's software WebGPU adapter, for parity tests (never timings).
      // ForceEagerMeasureMemory: measureUserAgentSpecificMemory() answers at once instead of after the next GC.
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-blink-features=ForceEagerMeasureMemory', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    trace: 'off',
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    url: `http://localhost:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    // Vite's own lines in the test log ([WebServer] …): a dependency optimised mid-run reloads the
    // page under a test, and only this log says so.
    stdout: 'pipe',
  },
});
