/**
 * Real engines open the CLI's Parquet as it is: DuckDB (@duckdb/node-api) ranks it with
 * array_cosine_similarity, LanceDB (@lancedb/lancedb 0.31) makes a table of it and runs a vector
 * search; both give the top-10 that Embedscope's own float32 search gives, for 20 queries on
 * Moby-Dick with glove-100d.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { DuckDBInstance } from '@duckdb/node-api';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParquet, type DecodedParquet } from '../../src/core/parquet/index.ts';
import { parquetNode } from '../../src/core/parquet/node.ts';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { precisions } from '../../src/core/precision/index.ts';
import { writeMobyDick } from './parquet-moby.ts';

const pq = parquetNode();
const root = join(import.meta.dirname, '..', '..');
let dir: string;
let file: string;
let decoded: DecodedParquet;
const queries: { text: string; vector: Float32Array }[] = [];

interface Hit {
  id: string;
  score: number;
}

/**
 * Same top-10: the scores agree, and so do the ids — except among rows whose scores tie at the
 * cut (Moby-Dick has different sentences with the same words, so the same vector), where any
 * order is right.
 */
function expectSameTop(got: Hit[], want: Hit[]) {
  expect(got.length).toBe(want.length);
  got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i].score, 5));
  const cut = want[want.length - 1].score + 1e-5;
  const strict = (hs: Hit[]) => new Set(hs.filter((h) => h.score > cut).map((h) => h.id));
  expect(strict(got)).toEqual(strict(want));
}

function embedscopeTop(q: Float32Array): Hit[] {
  const { embedding, ids } = decoded.columns;
  return precisions.float32.topK(q, embedding, decoded.meta.dims, 10).map((h) => ({ id: ids[h.index], score: h.score }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'embedscope-engines-'));
  const moby = writeMobyDick(join(dir, 'moby-dick.txt'));
  file = join(dir, 'moby.parquet');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/embed.ts'), moby, '--model', 'glove-100d', '--precision', 'float32,int8,binary', '--workers', '2', '--quiet', '--out', file], { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', resolve);
  });
  expect(code).toBe(0);
  decoded = decodeParquet(pq, new Uint8Array(readFileSync(file)), file);
  // 20 queries: sentences of the book reworded a little, embedded by the page's glove model.
  const model = await loadStaticModel(folderFiles(join(root, 'public/models/glove-100d')), { id: 'glove-100d' });
  const n = decoded.columns.texts.length;
  for (let i = 0; i < 20; i++) {
    const text = `${decoded.columns.texts[Math.floor(((i + 0.5) * n) / 20)]} the sea and the whale`;
    queries.push({ text, vector: model.embed([text]).vectors });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('real engines open the Parquet', () => {
  it('DuckDB: array_cosine_similarity ranks the same top-10 as Embedscope’s float32 search', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    // DuckDB reads Parquet LIST<float> as FLOAT[]; its array functions want FLOAT[dims], hence the cast.
    const described = (await con.runAndReadAll(`DESCRIBE SELECT embedding, embedding_int8, embedding_binary FROM read_parquet('${file}')`)).getRows();
    expect(described.map((r) => `${r[0]}:${r[1]}`)).toEqual(['embedding:FLOAT[]', 'embedding_int8:TINYINT[]', 'embedding_binary:BLOB']);
    const meta = (await con.runAndReadAll(`SELECT value FROM parquet_kv_metadata('${file}') WHERE key = 'embedscope'`)).getRows();
    expect(JSON.parse(new TextDecoder().decode((meta[0][0] as { bytes: Uint8Array }).bytes))).toMatchObject({ model: 'glove-100d', dims: 100 });
    for (const q of queries) {
      const literal = `[${Array.from(q.vector).join(',')}]::FLOAT[100]`;
      const rows = (
        await con.runAndReadAll(
          `SELECT id, array_cosine_similarity(embedding::FLOAT[100], ${literal}) AS score FROM read_parquet('${file}') ORDER BY score DESC, id LIMIT 10`,
        )
      ).getRows();
      expectSameTop(
        rows.map((r) => ({ id: r[0] as string, score: r[1] as number })),
        embedscopeTop(q.vector),
      );
    }
    con.closeSync();
  });

  it('LanceDB 0.31: a table made from the file as it is, vector search gives the same top-10', async () => {
    // parquet-wasm reads the Arrow schema back from the file: embedding is FixedSizeList<float32>[100], LanceDB's vector type.
    // LanceDB is CommonJS and takes only its own apache-arrow's Table (instanceof): an ESM
    // `import 'apache-arrow'` is another copy of the module, whose tables it reads as 0 rows.
    const arrow = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow');
    const table = arrow.tableFromIPC(pq.readParquet(new Uint8Array(readFileSync(file))).intoIPCStream());
    expect(String(table.schema.fields.find((f) => f.name === 'embedding')!.type)).toBe('FixedSizeList[100]<Float32>');
    const db = await lancedb.connect(join(dir, 'lance'));
    const t = await db.createTable('moby', table);
    expect(await t.countRows()).toBe(decoded.columns.ids.length);
    for (const q of queries) {
      const rows = await t.vectorSearch(Array.from(q.vector)).column('embedding').distanceType('cosine').select(['id']).limit(10).toArray();
      expectSameTop(
        rows.map((r) => ({ id: r.id as string, score: 1 - (r._distance as number) })),
        embedscopeTop(q.vector),
      );
    }
  });
});
