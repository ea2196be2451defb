/**
 * A variant is one way to answer a query over a corpus: a collection (one model, one
 * Matryoshka width), one stored precision, and optionally rescoring its candidates with a
 * richer precision of the same rows. The Compare view puts up to four side by side.
 */
import { isHamming, precisionById, type PrecisionId } from '../precision/index.ts';
import type { CollectionRecord } from '../store/db.ts';

export const MAX_VARIANTS = 4;

/** The part of a stored collection a variant needs (kept narrow so tests can make one by hand). */
export type VariantCollection = Pick<CollectionRecord, 'id' | 'name' | 'modelId' | 'dims' | 'modelDims' | 'precisions' | 'count'>;

export interface Variant {
  collectionId: string;
  precision: PrecisionId;
  /** Fetch k × multiplier candidates with `precision`, then rescore them with `with`. */
  rescore?: { multiplier: number; with: PrecisionId };
}

export function variantKey(v: Variant): string {
  return `${v.collectionId}/${v.precision}${v.rescore ? `/rescore×${v.rescore.multiplier}:${v.rescore.with}` : ''}`;
}

export function variantLabel(v: Variant, c: Pick<VariantCollection, 'name' | 'modelId' | 'dims' | 'modelDims'> | undefined): string {
  const what = `${v.precision}${v.rescore ? ` + rescore ×${v.rescore.multiplier} (${v.rescore.with})` : ''}`;
  if (!c) return `${what} · (deleted collection)`;
  const width = c.dims !== c.modelDims ? ` · ${c.dims} of ${c.modelDims} dims` : '';
  return `${c.name} · ${c.modelId}${width} · ${what}`;
}

/** The precision a collection's binary candidates are best rescored with: float32, else int8/uint8. */
export function richestPrecision(c: Pick<VariantCollection, 'precisions'>): PrecisionId | undefined {
  return c.precisions.includes('float32') ? 'float32' : c.precisions.find((p) => p.endsWith('int8'));
}

/** Every variant a collection can serve: each precision alone, and each cheaper one rescored. */
export function variantsOf(c: VariantCollection, multipliers: number[] = [4]): Variant[] {
  const out: Variant[] = c.precisions.map((precision) => ({ collectionId: c.id, precision }));
  const rich = richestPrecision(c);
  if (rich) {
    for (const p of c.precisions) {
      if (p === rich || p === 'float32' || (p.endsWith('int8') && rich.endsWith('int8'))) continue;
      for (const m of multipliers) out.push({ collectionId: c.id, precision: p, rescore: { multiplier: m, with: rich } });
    }
  }
  return out;
}

/**
 * A first set to look at: the float32 of the first collection (the usual reference), then its
 * cheapest precision alone and rescored, then other collections' float32 — at most four.
 */
export function suggestVariants(collections: VariantCollection[]): Variant[] {
  const out: Variant[] = [];
  const [first, ...others] = collections.filter((c) => c.count > 0);
  if (!first) return out;
  const all = variantsOf(first);
  const exact = all.find((v) => v.precision === 'float32' && !v.rescore) ?? all[0];
  out.push(exact);
  const cheap = all.filter((v) => isHamming(v.precision));
  const plain = cheap.find((v) => !v.rescore) ?? all.find((v) => v !== exact && !v.rescore);
  if (plain) out.push(plain);
  const rescored = cheap.find((v) => v.rescore);
  if (rescored) out.push(rescored);
  for (const c of others) {
    if (out.length >= MAX_VARIANTS) break;
    out.push(variantsOf(c).find((v) => v.precision === 'float32' && !v.rescore) ?? { collectionId: c.id, precision: c.precisions[0] });
  }
  return out.slice(0, MAX_VARIANTS);
}

/** What storing a variant costs: bytes per vector for the first pass, plus what rescoring reads. */
export function variantCost(v: Variant, c: Pick<VariantCollection, 'dims' | 'count'>): { bytesPerVector: number; indexBytes: number; rescoreBytes: number } {
  const bytesPerVector = precisionById(v.precision).bytesPerVector(c.dims);
  const rescoreBytes = v.rescore ? precisionById(v.rescore.with).bytesPerVector(c.dims) * c.count : 0;
  return { bytesPerVector, indexBytes: bytesPerVector * c.count, rescoreBytes };
}

