/** The page's handle on the quality worker (scores labelled data per variant), behind the bridge. */
import * as Comlink from 'comlink';
import { WorkerBridge } from '../../bridge.ts';
import type { Embed, PrecisionOptions } from '../../core/eval/evaluate.ts';
import type { BeirData } from '../../core/eval/retrieval.ts';
import type { StsPair } from '../../core/eval/sts.ts';
import type { QualityWorkerApi } from '../../../workers/api/quality.ts';

const bridge = new WorkerBridge<QualityWorkerApi>({
  create: () => new Worker(new URL('../../../workers/quality.worker.ts', import.meta.url), { type: 'module', name: 'quality' }),
  idleMs: 60_000,
});

export function scoreSts(pairs: StsPair[], embed: Embed, opts: PrecisionOptions) {
  return bridge.call((api) => api.sts(pairs, Comlink.proxy(embed), opts));
}

export function scoreRetrieval(data: BeirData, embed: Embed, opts: PrecisionOptions & { rescore?: number }) {
  return bridge.call((api) => api.retrieval(data, Comlink.proxy(embed), opts));
}
