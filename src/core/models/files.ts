/**
 * Where a model's files come from. The loaders ask for files by name and never know whether
 * they are served by the app, dropped by the user or read from disk in Node.
 */
export interface ModelFiles {
  /** For messages: "models/glove-100d/", "dropped files", a folder path. */
  readonly label: string;
  /** The file's bytes, or null when it does not exist. Other failures throw. */
  read(name: string): Promise<ArrayBuffer | null>;
}

/**
 * Files under a URL prefix, e.g. the app's own `models/glove-100d/`. When the folder's file list
 * is known, other names are absent without a request; otherwise a 404 means absent — and so does
 * an HTML page, which single-page-app servers send for any path they do not have.
 */
export function urlFiles(baseUrl: string, opts: { files?: string[]; fetch?: typeof fetch } = {}): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const fetchImpl = opts.fetch ?? fetch;
  return {
    label: base,
    async read(name) {
      if (opts.files && !opts.files.includes(name)) return null;
      const res = await fetchImpl(new URL(name, new URL(base, globalThis.location?.href ?? 'http://localhost/')).href);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`${name}: the server answered ${res.status} ${res.statusText}`);
      if (!name.endsWith('.html') && res.headers.get('content-type')?.includes('text/html')) return null;
      return res.arrayBuffer();
    },
  };
}

/**
 * The same files, each read at most once: a load that looks at a file and then uses it (or two
 * sessions of one model, as the WebGPU check makes) downloads it once. Drop it after the load so
 * the bytes can go.
 */
export function readOnce(files: ModelFiles): ModelFiles {
  const reads = new Map<string, Promise<ArrayBuffer | null>>();
  return {
    label: files.label,
    read(name) {
      let r = reads.get(name);
      if (!r) reads.set(name, (r = files.read(name)));
      return r;
    },
  };
}

/** Files a person dropped or picked; keyed by file name. */
export function blobFiles(files: Record<string, Blob>, label = 'dropped files'): ModelFiles {
  return {
    label,
    async read(name) {
      const blob = files[name];
      return blob ? blob.arrayBuffer() : null;
    },
  };
}
