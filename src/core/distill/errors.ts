/** A distillation that cannot go on, said in words a person can act on (shown in the page as it is). */
export class DistillError extends Error {
  override name = 'DistillError';
}
