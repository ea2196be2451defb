/** What the page and the quality worker (workers/quality.worker.ts) say to each other: types only. */
import type { Scorers } from '../../src/core/compare/query.ts';

/** The two scorers of src/core/eval/evaluate.ts; `embed` is a Comlink proxy back to the page. */
export type QualityWorkerApi = Scorers;
