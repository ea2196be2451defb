/**
 * Distillation off the main thread: the same distill() that `npm run distill` runs in Node. The
 * teacher's texts are embedded by the page's loaded model through the `embed` callback (a Comlink
 * proxy back to the page, as in the quality worker); the vocabulary, fit and PCA run here, where
 * their seconds to minutes of arithmetic cannot freeze the page. The run's checkpoints are
 * written from here (the fit's state never travels to the page), so a reload resumes it.
 */
import * as Comlink from 'comlink';
import { distill } from '../src/core/distill/distill.ts';
import { idbCheckpoints, openDistillDb } from '../src/core/distill/checkpoint-db.ts';
import type { DistillWorkerApi } from './api/distill.ts';

const api: DistillWorkerApi = {
  async distill(req, runId, embed, onProgress, onCheckpoint, abortFlag) {
    // The fit is one synchronous loop: a message could not reach it, shared memory can.
    const signal = abortFlag ? ({ get aborted() { return Atomics.load(abortFlag, 0) === 1; } } as AbortSignal) : undefined;
    const db = await openDistillDb();
    const r = await distill(
      { id: req.teacherId, tokenizerJson: req.tokenizerJson, embed: (texts) => embed(texts) },
      {
        sentences: req.sentences,
        sentenceVectors: req.sentenceVectors,
        pcaDims: req.pcaDims,
        maxWords: req.maxWords,
        // The shipped recipe (scripts/distill.ts SHIPPED, chosen on STS-B dev: README).
        sifA: 1e-4,
        fit: { loss: 'cosine', learningRate: 5e-3, maxEpochs: req.maxEpochs, patience: 2, holdout: 0.05 },
        signal,
        onProgress: (p) => void onProgress(p),
        checkpoints: idbCheckpoints(db, runId, (w) => void onCheckpoint(w)),
      },
    ).finally(() => db.close());
    const out = { files: r.files, kept: r.kept, notes: r.notes, heldOutAgreement: r.heldOutAgreement, config: r.config, dims: r.table.dims, words: r.table.words.length };
    return Comlink.transfer(out, [r.files['model.safetensors'].buffer]);
  },
};

Comlink.expose(api);
