/**
 * Quality with labels off the main thread: the same evaluateSts / evaluateRetrieval that
 * `npm run eval` calls. Texts are embedded by the page's loaded model through the `embed`
 * callback (a Comlink proxy back to the page, which asks that model's own worker); the scoring —
 * exact top-100 for every query over the whole corpus — runs here, where it cannot freeze the page.
 */
import * as Comlink from 'comlink';
import { evaluateRetrieval, evaluateSts, type Embed, type PrecisionOptions } from '../src/core/eval/evaluate.ts';
import type { BeirData } from '../src/core/eval/retrieval.ts';
import type { StsPair } from '../src/core/eval/sts.ts';
import type { QualityWorkerApi } from './api/quality.ts';

const api: QualityWorkerApi = {
  sts(pairs: StsPair[], embed: Embed, opts: PrecisionOptions) {
    return evaluateSts(pairs, embed, opts);
  },
  retrieval(data: BeirData, embed: Embed, opts: PrecisionOptions & { rescore?: number }) {
    return evaluateRetrieval(data, embed, opts);
  },
};

Comlink.expose(api);
