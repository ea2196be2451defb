/**
 * Errors a person can act on. Each carries the file it is about (when there is one) and says
 * what is wrong with it in words, because these messages are shown in the page as they are.
 *
 * Error `name`s survive Comlink's structured clone, so the UI can tell the kinds apart after a
 * worker throws; the message already names the file, so nothing else needs to cross.
 */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Bad text handed to `embed` (empty batch, a single text over the size limit, …). */
export class InputError extends Error {
  override name = 'InputError';
}

/** A call cancelled through its AbortSignal. Matches the DOM's AbortError name. */
export class AbortError extends Error {
  override name = 'AbortError';
  constructor(message = 'The operation was aborted.') {
    super(message);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
