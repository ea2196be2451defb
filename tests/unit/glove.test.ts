/** The embedded glove-100d model as `npm run models` built it (npm test builds it first). */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadStaticModel } from '../../src/core/models/static.ts';
import { folderFiles } from '../../src/core/models/node-files.ts';
import { rowCosine } from '../../src/core/eval/metrics.ts';

const dir = resolve(__dirname, '../../public/models/glove-100d');

describe('glove-100d', () => {
  it('is built (run `npm run models`)', () => {
    expect(existsSync(`${dir}/model.safetensors`)).toBe(true);
  });

  it('loads as an int8 static model with the fast tokenizer and ranks meanings sensibly', async () => {
    const model = await loadStaticModel(folderFiles(dir), { id: 'glove-100d' });
    expect(model.info).toMatchObject({ dims: 100, dtype: 'int8', layout: 'model2vec' });
    expect(model.info.tokenizer).toEqual({ implementation: 'word-scanner', vocabSize: 100_001 });
    const { vectors } = model.embed(['A man is eating food.', 'A man is eating a piece of bread.', 'The girl is carrying a baby.']);
    const bread = rowCosine(vectors, vectors, 100, 0, 1);
    const baby = rowCosine(vectors, vectors, 100, 0, 2);
    expect(bread).toBeGreaterThan(baby + 0.1);
  });
});
