/**
 * Models from the Hugging Face hub. Before any weights are fetched, the repository's file list
 * (with sizes and hashes) is read from the hub API and decides the kind (see layouts.ts); each
 * file is then downloaded once, with progress, checked against that list, and kept in the Cache API.
 *
 * What is stored is always whole and checked:
 * - a file enters the cache only when complete, with its size and SHA-256 beside it, so a
 *   download cut short is never used;
 * - a broken connection mid-file resumes with a Range request (or restarts the file when the
 *   server ignores ranges); files of the model already stored are not fetched again;
 * - a stored copy that no longer matches its checksum is removed and downloaded anew;
 * - a full disk (QuotaExceededError) gets a message that says what to do, and removes nothing.
 */
import { ModelLoadError } from '../errors.ts';
import { formatBytes } from '../util/format.ts';
import type { ModelFiles } from './files.ts';
import type { HubFileEntry } from './types.ts';

export const HUB_ENDPOINT = 'https://huggingface.co';
export const HUB_CACHE = 'embedscope-hub-v1';

/** Headers stored beside each cached file. */
const SIZE_HEADER = 'x-embedscope-bytes';
const SHA_HEADER = 'x-embedscope-sha256';
const STORED_HEADER = 'x-embedscope-stored-at';

/** Range retries for one file before giving up (each resumes where the last one stopped). */
const RESUME_ATTEMPTS = 3;

export interface HubOptions {
  endpoint?: string;
  revision?: string;
  onProgress?: (p: { file: string; loaded: number; total: number | null }) => void;
  fetch?: typeof fetch;
  /** The repository's file list: other names are absent without a request, and each download must match its entry. */
  listing?: HubFileEntry[];
}

export function validHubId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(id);
}

export function hubBaseUrl(modelId: string, opts: Pick<HubOptions, 'endpoint' | 'revision'> = {}): string {
  return `${opts.endpoint ?? HUB_ENDPOINT}/${modelId}/resolve/${opts.revision ?? 'main'}/`;
}

const mb = formatBytes;

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Git's blob id: SHA-1 of "blob <size>\0" + content (what the hub lists for files kept in git). */
export async function gitBlobOid(bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.byteLength}\0`);
  const all = new Uint8Array(head.byteLength + bytes.byteLength);
  all.set(head);
  all.set(bytes, head.byteLength);
  const digest = await crypto.subtle.digest('SHA-1', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function hubTreeUrl(modelId: string, opts: Pick<HubOptions, 'endpoint' | 'revision'> = {}): string {
  return `${opts.endpoint ?? HUB_ENDPOINT}/api/models/${modelId}/tree/${encodeURIComponent(opts.revision ?? 'main')}?recursive=true`;
}

/** The next page of a paginated hub listing, from its `Link: <url>; rel="next"` header. */
function nextPage(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return null;
}

/**
 * Every file of a repository, with sizes and hashes: the hub's tree API
 * (`GET /api/models/{id}/tree/{revision}?recursive=true`, paginated by Link headers, as
 * huggingface.js's listFiles reads it). The list is kept in the Cache API, so a model downloaded
 * once can be looked up again offline.
 */
export async function listHubFiles(modelId: string, opts: Pick<HubOptions, 'endpoint' | 'revision' | 'fetch'> = {}): Promise<HubFileEntry[]> {
  if (!validHubId(modelId)) throw new ModelLoadError(modelId || 'model id', 'is not a Hugging Face model id (expected "owner/name", e.g. Xenova/all-MiniLM-L6-v2)');
  const fetchImpl = opts.fetch ?? fetch;
  const first = hubTreeUrl(modelId, opts);
  const cache = typeof caches === 'undefined' ? null : await caches.open(HUB_CACHE);
  const entries: HubFileEntry[] = [];
  try {
    for (let url: string | null = first; url; ) {
      const res: Response = await fetchImpl(url, { headers: { accept: 'application/json' } });
      if (res.status === 401 || res.status === 403) {
        throw new ModelLoadError(modelId, `the hub refused to list this repository (HTTP ${res.status}): it is private or gated, or does not exist (the hub answers ${res.status} for all three to visitors who are not signed in). Embedscope downloads without signing in, so only public models load`);
      }
      if (res.status === 404) throw new ModelLoadError(modelId, `no such repository${opts.revision ? ` or revision "${opts.revision}"` : ''} on ${opts.endpoint ?? HUB_ENDPOINT} (HTTP 404)`);
      if (!res.ok) throw new ModelLoadError(modelId, `the hub could not list this repository's files (HTTP ${res.status})`);
      let page: unknown;
      try {
        page = await res.json();
      } catch {
        throw new ModelLoadError(modelId, "the hub's file list is not JSON");
      }
      if (!Array.isArray(page)) throw new ModelLoadError(modelId, "the hub's file list is not a list of files");
      for (const item of page as { type?: string; path?: string; size?: number; oid?: string; lfs?: { oid?: string; size?: number } }[]) {
        if (item.type !== 'file' || typeof item.path !== 'string') continue;
        const size = Number(item.lfs?.size ?? item.size);
        entries.push({
          path: item.path,
          size: Number.isFinite(size) ? size : 0,
          ...(item.lfs?.oid ? { sha256: item.lfs.oid } : item.oid ? { gitOid: item.oid } : {}),
        });
      }
      url = nextPage(res.headers.get('link'));
    }
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    // Offline (or the hub unreachable): the list stored when the model was first looked up.
    const stored = await cache?.match(first);
    if (stored) return (await stored.json()) as HubFileEntry[];
    throw new ModelLoadError(modelId, `could not list the repository's files (${(err as Error).message}); are you online?`);
  }
  try {
    await cache?.put(first, new Response(JSON.stringify(entries), { headers: { 'content-type': 'application/json', [STORED_HEADER]: new Date().toISOString() } }));
  } catch {
    // A full disk: the list is only needed offline; the download itself says so if it cannot be stored.
  }
  return entries;
}

export function isQuotaError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || (err instanceof Error && /quota/i.test(err.message));
}

/** A stored file's bytes, or null when there is none; a damaged copy is removed and reported. */
async function readStored(cache: Cache, url: string): Promise<{ bytes: ArrayBuffer | null; damaged: string | null }> {
  const hit = await cache.match(url);
  if (!hit) return { bytes: null, damaged: null };
  let bytes: ArrayBuffer;
  try {
    bytes = await hit.arrayBuffer();
  } catch (err) {
    await cache.delete(url);
    return { bytes: null, damaged: `could not be read (${(err as Error).message})` };
  }
  const size = hit.headers.get(SIZE_HEADER);
  const sha = hit.headers.get(SHA_HEADER);
  if (size !== null && Number(size) !== bytes.byteLength) {
    await cache.delete(url);
    return { bytes: null, damaged: `held ${bytes.byteLength} of its ${size} bytes` };
  }
  if (sha !== null && (await sha256Hex(new Uint8Array(bytes))) !== sha) {
    await cache.delete(url);
    return { bytes: null, damaged: 'no longer matched its checksum' };
  }
  return { bytes, damaged: null };
}

export function hubFiles(modelId: string, opts: HubOptions = {}): ModelFiles {
  if (!validHubId(modelId)) throw new ModelLoadError(modelId || 'model id', 'is not a Hugging Face model id (expected "owner/name", e.g. Xenova/all-MiniLM-L6-v2)');
  const base = hubBaseUrl(modelId, opts);
  const fetchImpl = opts.fetch ?? fetch;
  const listed = opts.listing ? new Map(opts.listing.map((e) => [e.path, e])) : null;

  /** A download must be the file the list names: same size, same hash. */
  async function check(name: string, bytes: Uint8Array): Promise<void> {
    const entry = listed?.get(name);
    if (!entry) return;
    const disagree = (what: string) =>
      new ModelLoadError(name, `the repository's file list and the file disagree (${what}): the repository changed while loading, or something between here and the hub altered it. Nothing was stored; look the model up again`);
    if (entry.size !== bytes.byteLength) throw disagree(`listed as ${entry.size} bytes, ${bytes.byteLength} arrived`);
    if (entry.sha256 && (await sha256Hex(bytes)) !== entry.sha256) throw disagree('its SHA-256 is not the listed one');
    if (!entry.sha256 && entry.gitOid && (await gitBlobOid(bytes)) !== entry.gitOid) throw disagree('its git blob id is not the listed one');
  }

  /** Downloads one file whole, resuming with Range requests when the connection breaks. */
  async function download(name: string, url: string): Promise<{ bytes: Uint8Array<ArrayBuffer>; contentType: string } | null> {
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    let total: number | null = null;
    let contentType = 'application/octet-stream';
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetchImpl(url, loaded > 0 ? { headers: { Range: `bytes=${loaded}-` } } : undefined);
      } catch (err) {
        throw new ModelLoadError(name, `could not be downloaded from ${base} (${(err as Error).message}); are you online? Files already downloaded are kept`);
      }
      if (res.status === 404) return null;
      if (res.status === 401 || res.status === 403) throw new ModelLoadError(name, `${modelId} is private or gated (HTTP ${res.status}): the hub serves its files only to signed-in users who accepted its terms, and Embedscope downloads without signing in`);
      if (!res.ok || !res.body) throw new ModelLoadError(name, `download failed: HTTP ${res.status}`);
      if (loaded > 0 && res.status !== 206) {
        // The server ignored the range: start this file again from its first byte.
        chunks.length = 0;
        loaded = 0;
      }
      if (loaded === 0) {
        total = Number(res.headers.get('content-length')) || null;
        contentType = res.headers.get('content-type') ?? contentType;
      }
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          loaded += value.byteLength;
          opts.onProgress?.({ file: name, loaded, total });
        }
      } catch (err) {
        if (attempt + 1 < RESUME_ATTEMPTS) continue; // resume from `loaded`
        throw new ModelLoadError(name, `download was interrupted at ${mb(loaded)}${total ? ` of ${mb(total)}` : ''} (${(err as Error).message}); load again to retry — files already downloaded are kept`);
      }
      if (total !== null && loaded < total && attempt + 1 < RESUME_ATTEMPTS) continue;
      break;
    }
    if (total !== null && loaded !== total) throw new ModelLoadError(name, `download was cut short (${loaded} of ${total} bytes); load again to retry`);
    const bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    return { bytes, contentType };
  }

  return {
    label: `${modelId} (Hugging Face)`,
    async read(name) {
      if (listed && !listed.has(name)) return null;
      const url = base + name;
      const cache = typeof caches === 'undefined' ? null : await caches.open(HUB_CACHE);
      const stored = cache ? await readStored(cache, url) : { bytes: null, damaged: null };
      if (stored.bytes) return stored.bytes;
      let got: Awaited<ReturnType<typeof download>>;
      try {
        got = await download(name, url);
      } catch (err) {
        if (stored.damaged && err instanceof ModelLoadError) {
          throw new ModelLoadError(name, `the stored copy was damaged (it ${stored.damaged}) and has been removed; ${err.problem}`);
        }
        throw err;
      }
      if (!got) return null;
      await check(name, got.bytes);
      // Only a complete file enters the cache, with what is needed to check it later.
      const headers = {
        'content-type': got.contentType,
        [SIZE_HEADER]: String(got.bytes.byteLength),
        [SHA_HEADER]: await sha256Hex(got.bytes),
        [STORED_HEADER]: new Date().toISOString(),
      };
      try {
        await cache?.put(url, new Response(got.bytes, { headers }));
      } catch (err) {
        if (isQuotaError(err)) {
          throw new ModelLoadError(name, `there is not enough storage on this device to keep it (${mb(got.bytes.byteLength)}): the browser's quota is full. Delete cached models in the Models view or free disk space, then load again. Nothing already stored was removed`);
        }
        throw new ModelLoadError(name, `could not be stored in the browser's cache (${(err as Error).message})`);
      }
      return got.bytes.buffer;
    },
  };
}

/** One hub model as it sits in the cache. */
export interface CachedHubModel {
  modelId: string;
  revision: string;
  endpoint: string;
  files: { name: string; bytes: number; storedAt: string | null }[];
  bytes: number;
  /** When its newest file was stored. */
  storedAt: string | null;
}

const CACHE_KEY = /^(https?:\/\/[^/]+)\/([\w.-]+\/[\w.-]+)\/resolve\/([^/]+)\/(.+)$/;

/** Every hub model with at least one file in the cache, with sizes. */
export async function listCachedHubModels(): Promise<CachedHubModel[]> {
  if (typeof caches === 'undefined') return [];
  const cache = await caches.open(HUB_CACHE);
  const byModel = new Map<string, CachedHubModel>();
  for (const request of await cache.keys()) {
    const m = CACHE_KEY.exec(request.url);
    if (!m) continue;
    const [, endpoint, modelId, revision, name] = m;
    const key = `${endpoint}/${modelId}@${revision}`;
    let entry = byModel.get(key);
    if (!entry) byModel.set(key, (entry = { modelId, revision, endpoint, files: [], bytes: 0, storedAt: null }));
    const res = await cache.match(request);
    const sizeHeader = res?.headers.get(SIZE_HEADER);
    // Entries from before the size header existed: measure the body.
    const bytes = sizeHeader ? Number(sizeHeader) : ((await res?.blob())?.size ?? 0);
    const storedAt = res?.headers.get(STORED_HEADER) ?? null;
    entry.files.push({ name: decodeURIComponent(name), bytes, storedAt });
    entry.bytes += bytes;
    if (storedAt && (!entry.storedAt || storedAt > entry.storedAt)) entry.storedAt = storedAt;
  }
  return [...byModel.values()].sort((a, b) => a.modelId.localeCompare(b.modelId));
}

/** Removes every stored file of a hub model (all revisions); returns how many were removed. */
export async function deleteCachedHubModel(modelId: string, endpoint = HUB_ENDPOINT): Promise<number> {
  if (typeof caches === 'undefined') return 0;
  const cache = await caches.open(HUB_CACHE);
  const prefix = `${endpoint}/${modelId}/resolve/`;
  const listing = `${endpoint}/api/models/${modelId}/tree/`;
  let removed = 0;
  for (const request of await cache.keys()) {
    if (request.url.startsWith(listing)) await cache.delete(request);
    else if (request.url.startsWith(prefix) && (await cache.delete(request))) removed++;
  }
  return removed;
}
