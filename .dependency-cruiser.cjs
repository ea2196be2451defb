/**
 * The import rules `npm test` checks (`npm run check:deps`, dependency-cruiser): no cycles, and the
 * layers of docs/ARCHITECTURE.md, which import one way only:
 *
 *   src/core  →  src/bench  →  workers  →  clients (src/*.ts)  →  src/ui  →  src/main.ts
 *
 * core runs in a worker and in Node (`npm run eval`, the unit tests), so it may not import anything
 * above it nor anything that needs the page (Svelte, Chart.js, Workbox, Vite's virtual modules).
 * A worker's API types are read by the page through `workers/api/` (type-only modules), never from
 * the worker file itself: importing `x.worker.ts` from the page drags the worker's whole module graph
 * into the page's type graph, and once into its bundle by mistake. scripts/, models/build/ and tests/
 * are tools at the top: only the cycle rule applies to them.
 *
 * A gap: .svelte files are read after the Svelte compiler has dropped their `import type` lines, so
 * a type-only import in a component is not seen (runtime imports are). svelte-check still checks the
 * types; keep components' worker types coming from workers/api/ all the same.
 */

/** Page-only packages: core must run in Node and in a worker. */
const PAGE_ONLY = '^(svelte|chart\\.js|workbox-window|virtual:)|\\.svelte$';


module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: modules that cannot be understood, tested or loaded one without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-not-above',
      severity: 'error',
      comment: 'src/core is framework-free and runs in a worker and in Node: it imports nothing above it.',
      from: { path: '^src/core/' },
      to: { path: ['^src/(bench|ui)/', '^workers/', '^src/[^/]+\\.ts$', '^(models|scripts|tests)/', PAGE_ONLY] },
    },
    {
      name: 'core-not-page-only',
      severity: 'error',
      comment: 'src/core runs in Node and workers: no page-only package (Svelte, Chart.js, Workbox, Vite virtual modules).',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'unknown', 'undetermined'], path: PAGE_ONLY },
    },
    {
      name: 'bench-not-above',
      severity: 'error',
      comment: 'src/bench runs inside workers and in Node: it imports core only (not workers, clients or UI).',
      from: { path: '^src/bench/' },
      to: { path: ['^src/ui/', '^workers/', '^src/[^/]+\\.ts$', PAGE_ONLY] },
    },
    {
      name: 'workers-not-ui',
      severity: 'error',
      comment: 'Workers import core (and bench where they run bench code), never the page: clients or UI.',
      from: { path: '^workers/' },
      to: { path: ['^src/ui/', '^src/[^/]+\\.ts$', PAGE_ONLY] },
    },
    {
      name: 'worker-api-types-only',
      severity: 'error',
      comment: 'workers/api/ holds the types page and worker share: type-only modules over core and bench (a layer below workers: the search worker runs the search bench), nothing that runs.',
      from: { path: '^workers/api/' },
      to: { pathNot: ['^src/core/', '^src/bench/', '^workers/api/'] },
    },
    {
      name: 'worker-types-through-api',
      severity: 'error',
      comment: "The page reads a worker's types from workers/api/, never from the worker file (its whole graph would follow).",
      from: { path: '^(src|tests/e2e)/' },
      to: { path: '^workers/[^/]+\\.worker\\.ts$' },
    },
    {
      name: 'build-only-stays-in-build',
      severity: 'error',
      comment: 'models/build/ (the TF.js → ONNX converter, the model builders) runs only at build time: the app never imports it.',
      from: { path: '^(src|workers)/' },
      to: { path: '^models/build/' },
    },
    {
      name: 'ui-on-top',
      severity: 'error',
      comment: 'The UI imports clients and core; nothing below imports the UI (only the app entry src/main.ts).',
      from: { path: '^(src/(core|bench)/|workers/|src/[^/]+\\.ts$)', pathNot: '^src/main\\.ts$' },
      to: { path: '^src/ui/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|public)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a type cycle is still a cycle for the reader and for the type checker.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.svelte', '.d.ts'],
    },
  },
};
