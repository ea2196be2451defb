/**
 * Matryoshka truncation of a model's output: keep the first `to` dims of each row and
 * L2-normalise again (truncateRows does the work). A width the model cannot give is refused
 * with a message, never padded or silently clamped.
 */
import { InputError } from '../errors.ts';
import { truncateRows } from '../util/vectors.ts';
import type { EmbedResult, ModelInfo } from './types.ts';

/** Throws an InputError unless `to` is a width this model can be truncated to. */
export function checkDims(info: Pick<ModelInfo, 'id' | 'dims' | 'matryoshkaDims'>, to: number): void {
  if (!Number.isInteger(to) || to < 1) throw new InputError(`Dims must be a whole number of at least 1, not ${to}.`);
  if (to > info.dims) {
    const declared = info.matryoshkaDims?.length ? ` (its declared Matryoshka widths: ${info.matryoshkaDims.join(', ')})` : '';
    throw new InputError(`${info.id} gives ${info.dims}-dim vectors${declared}: it cannot be truncated to ${to} dims. Choose ${info.dims} or fewer.`);
  }
}

/** The result with each row cut to `to` dims and renormalised; the same object when `to` is the model's width. */
export function truncateEmbeddings(result: EmbedResult, info: Pick<ModelInfo, 'id' | 'dims' | 'matryoshkaDims'>, to: number): EmbedResult {
  checkDims({ ...info, dims: result.dims }, to);
  if (to === result.dims) return result;
  return { ...result, vectors: truncateRows(result.vectors, result.dims, to), dims: to };
}

/** The widths to offer for a model: its declared Matryoshka dims, else its full width only. */
export function dimsChoices(info: Pick<ModelInfo, 'dims' | 'matryoshkaDims'>): number[] {
  const declared = (info.matryoshkaDims ?? []).filter((d) => d <= info.dims);
  return declared.includes(info.dims) ? declared : [info.dims, ...declared];
}
