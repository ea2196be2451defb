/** Node-only: parquet-wasm initialised from its own .wasm file on disk (the CLI, tests). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as pq from 'parquet-wasm/esm';
import type { ParquetModule } from './codec.ts';

let ready = false;
export function parquetNode(): ParquetModule {
  if (!ready) {
    const require = createRequire(import.meta.url);
    pq.initSync({ module: readFileSync(require.resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')) });
    ready = true;
  }
  return pq;
}
