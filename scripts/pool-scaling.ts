/**
 * `npx tsx scripts/pool-scaling.ts [--model use-lite] [--dtypes fp32,int8] [--batch 32] [--repeats 5] [--runtime node,wasm]`
 *
 * What two single-thread instances can give on this machine, outside the browser: N worker_threads,
 * each with its own one-thread session of the same model file (onnxruntime-node, and
 * onnxruntime-web's WASM build in Node), each embedding the same texts in calls of `batch`, all
 * started together. Against one such worker alone, the ratio is the ceiling a pool of N×1 in the
 * page can reach here — no page, no Comlink, no splitting of a call: if it is well under N, the
 * hardware (shared vCPUs, memory bandwidth, the caches) says no, not the pool (issue #13).
 *
 * Each round runs 1 worker alone, then N together, in alternating order, so drift hits both.
 * Prints JSON rows: {runtime, dtype, workers, batch, sentences_per_s (all workers together)}.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';

interface Job { model: string; path: string; dtype: string; runtime: 'node' | 'wasm'; texts: string[]; batch: number }

if (!isMainThread) {
  const job = workerData as Job;
  const { loadTransformerModel } = await import('../src/core/models/transformer.ts');
  const { folderFiles } = await import('../src/core/models/node-files.ts');
  let ort: unknown;
  let sessionOptions: Record<string, unknown>;
  if (job.runtime === 'node') {
    ort = await import('onnxruntime-node');
    sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  } else {
    const web = (await import('onnxruntime-web')) as unknown as { env: { wasm: { numThreads: number } } };
    web.env.wasm.numThreads = 1;
    ort = web;
    sessionOptions = { executionProviders: ['wasm'] };
  }
  const model = await loadTransformerModel(folderFiles(job.path), {
    id: job.model, dtype: job.dtype as 'fp32', ort: ort as never, backend: job.runtime === 'node' ? 'node' : 'wasm', sessionOptions,
  } as never);
  const pass = async () => {
    for (let i = 0; i < job.texts.length; i += job.batch) await model.embed(job.texts.slice(i, i + job.batch));
  };
  await pass(); // warm-up
  parentPort!.postMessage('ready');
  parentPort!.on('message', async (m) => {
    if (m === 'stop') {
      await model.dispose();
      process.exit(0);
    }
    const t = performance.now();
    await pass();
    parentPort!.postMessage({ ms: performance.now() - t, sentences: job.texts.length });
  });
} else {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'use-lite' },
      dtypes: { type: 'string', default: 'fp32,int8' },
      batch: { type: 'string', default: '32' },
      repeats: { type: 'string', default: '5' },
      runtime: { type: 'string', default: 'node,wasm' },
      workers: { type: 'string', default: '2' },
      sentences: { type: 'string', default: '128' },
    },
  });
  const { splitSentences } = await import('../src/core/corpus/sentences.ts');
  const { takeTexts } = await import('../src/bench/matrix.ts');
  const { catalog } = await import('../models/catalog.ts');
  const entry = catalog.find((m) => m.id === values.model)!;
  const corpus = splitSentences(await readFile('public/corpora/moby-dick.txt', 'utf8')).filter((t) => t.length < 400);
  const texts = takeTexts(corpus, Number(values.sentences));
  const n = Number(values.workers);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.error(`cpu: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const runtime of values.runtime!.split(',') as Job['runtime'][]) {
    for (const dtype of values.dtypes!.split(',')) {
      const job: Job = { model: entry.id, path: join('public', entry.path), dtype, runtime, texts, batch: Number(values.batch) };
      // worker_threads do not inherit tsx's loader (as scripts/embed/worker-boot.mjs): register it first.
      const workers = Array.from({ length: n }, () => new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`, { eval: true, workerData: job }));
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
      const run = (ws: Worker[]) => {
        const t = performance.now();
        return Promise.all(ws.map((w) => new Promise<{ ms: number; sentences: number }>((r) => { w.once('message', r); w.postMessage('go'); })))
          .then((rs) => rs.reduce((s, r) => s + r.sentences, 0) / (performance.now() - t) * 1000);
      };
      const one: number[] = [];
      const all: number[] = [];
      const ratio: number[] = [];
      for (let r = 0; r < Number(values.repeats); r++) {
        let a: number, b: number;
        if (r % 2 === 0) { a = await run(workers.slice(0, 1)); b = await run(workers); } else { b = await run(workers); a = await run(workers.slice(0, 1)); }
        one.push(a); all.push(b); ratio.push(b / a);
      }
      for (const w of workers) w.postMessage('stop');
      const row = { runtime, dtype, batch: job.batch, sentences: texts.length, one_worker: Math.round(median(one)), [`${n}_workers`]: Math.round(median(all)), ratio_median: Number(median(ratio).toFixed(2)), ratio_min: Number(Math.min(...ratio).toFixed(2)), ratio_max: Number(Math.max(...ratio).toFixed(2)), load: os.loadavg()[0].toFixed(2) };
      console.log(JSON.stringify(row));
    }
  }
}
