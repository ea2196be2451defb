/**
 * Runtime-cached build files carry a hash in their name (`name-HASH.ext`, vite's 8 characters), so
 * each release is a new address: without this, every update followed by one use would leave the
 * old copy behind (the anchor's onnxruntime build alone is 26.8 MB). Models and corpora keep one
 * address, where `cache.put` already replaces the old copy.
 */
const HASHED = /^(.*\/assets\/.+)-[\w-]{8}(\.\w+)$/;

/** Whether `cachedPath` is an older build of the same file as `path` (same name and ending, other hash). */
export function isOlderBuild(path: string, cachedPath: string): boolean {
  const a = HASHED.exec(path);
  const b = HASHED.exec(cachedPath);
  return !!a && !!b && path !== cachedPath && a[1] === b[1] && a[2] === b[2];
}
