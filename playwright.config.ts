import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 5199);

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
  },
});
