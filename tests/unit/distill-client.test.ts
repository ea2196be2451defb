/**
 * The page's side of a distilled model (src/distill-client.ts): the kept files load as an ordinary
 * static model through the registry (the same path a dropped model takes), and the zip holds
 * those files byte for byte under one folder, so it loads again after unzipping.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import { distilledModelFiles } from '../../src/core/distill/model.ts';
import { loadModel } from '../../src/core/models/registry.ts';
import { deleteDistilled, distilledBenchEntry, distilledSpec, distilledZip, onDistilledChange, rememberedSpec, restoreSpec, saveDistilled, type DistilledModel } from '../../src/distill-client.ts';

function kept(): DistilledModel {
  const words = ['whale', 'sea', 'ship', 'bread', 'market'];
  const dims = 4;
  // Sea words share an axis, market words another: pooled vectors are easy to tell apart.
  const table = Float32Array.from([1, 0.2, 0, 0, 0.9, 0.3, 0, 0, 0.8, 0, 0.1, 0, 0, 0, 1, 0.2, 0, 0.1, 0.9, 0.3]);
  const files = distilledModelFiles({ words, table, dims, weights: new Float32Array(words.length).fill(1) }, { precision: 'int8', config: { teacher: 'use-lite' } });
  return { id: 'distilled-use-lite-test', label: 'use-lite-static · 4d', teacher: 'use-lite · int8 · wasm', corpus: 'Moby-Dick (400 sentences)', sentences: 400, settings: { pcaDims: 4, maxEpochs: 2, maxWords: 2500 }, dims, words: words.length, kept: 'fitted', notes: [], createdAt: 0, files };
}

describe('distill client', () => {
  it('a kept model loads as a static model and embeds', async () => {
    const model = await loadModel(distilledSpec(kept()));
    const r = await model.embed(['whale sea', 'ship sea', 'bread market']);
    expect(r.dims).toBe(4);
    const v = r.vectors;
    const cos = (a: number, b: number) => v.slice(a * 4, a * 4 + 4).reduce((s, x, d) => s + x * v[b * 4 + d], 0);
    expect(cos(0, 1)).toBeGreaterThan(cos(0, 2));
    await model.dispose();
  });

  it('zips the model2vec files under one folder, byte for byte', () => {
    const m = kept();
    const z = distilledZip(m);
    expect(z.name).toBe('distilled-use-lite-test.zip');
    const files = unzipSync(z.bytes);
    expect(Object.keys(files).sort()).toEqual(['config.json', 'model.safetensors', 'README.md', 'tokenizer.json'].map((f) => `distilled-use-lite-test/${f}`).sort());
    expect(files['distilled-use-lite-test/model.safetensors']).toEqual(m.files['model.safetensors']);
    expect(strFromU8(files['distilled-use-lite-test/tokenizer.json'])).toBe(m.files['tokenizer.json']);
    expect(strFromU8(files['distilled-use-lite-test/README.md'])).toContain('from use-lite · int8 · wasm on Moby-Dick (400 sentences)');
  });

  it('is remembered by id only (JSON, for localStorage) and restored from IndexedDB after a reload; once deleted, it is not', async () => {
    const m = kept();
    let told = 0;
    const stop = onDistilledChange(() => told++);
    await saveDistilled(m);
    const remembered = JSON.parse(JSON.stringify(rememberedSpec(distilledSpec(m))));
    expect(remembered).toEqual({ id: m.id, kind: 'static', source: { type: 'distilled' } });
    const spec = (await restoreSpec(remembered)) as ReturnType<typeof distilledSpec>;
    const model = await loadModel(spec);
    expect((await model.embed(['whale sea'])).dims).toBe(4);
    await model.dispose();
    const other = { id: 'glove-100d', kind: 'static', source: { type: 'url', baseUrl: 'x', files: [] } };
    expect(await restoreSpec(other)).toBe(other);
    await deleteDistilled(m.id);
    expect(await restoreSpec(remembered)).toBeNull();
    expect(told).toBe(2); // saved, deleted: the Benchmark view's list follows
    stop();
  });

  it('is a Benchmark entry whose spec loads its own files and whose size is its weights file', () => {
    const m = kept();
    const entry = distilledBenchEntry(m);
    expect(entry).toMatchObject({ id: m.id, kind: 'static', dims: 4 });
    expect(entry.spec?.source.type).toBe('blobs');
  });
});
