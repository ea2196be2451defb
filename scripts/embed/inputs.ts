/** The CLI's inputs: files, folders (walked), globs (matched here, so quoted globs work too) and stdin. */
import { openAsBlob } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { CorpusFile } from '../../src/core/corpus/decode.ts';
import { formatOf } from '../../src/core/corpus/read.ts';

export interface Input {
  /** As shown and stored in `source`: the path as given (or below the folder given). */
  name: string;
  path: string | null;
  size: number;
}

export interface Skipped {
  name: string;
  reason: string;
}

const isGlob = (s: string) => /[*?[]/.test(s);

function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      re += end > i ? glob.slice(i, end + 1) : '\\[';
      if (end > i) i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function* walk(dir: string, skipped: Skipped[]): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    skipped.push({ name: dir, reason: `the folder cannot be read (${(err as NodeJS.ErrnoException).code ?? err})` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p, skipped);
    else if (e.isFile()) yield p;
  }
}

/** Expands the arguments into files, in a stable order; what is left out is named in `skipped`. */
export async function expandInputs(args: string[], skipped: Skipped[]): Promise<Input[]> {
  const out: Input[] = [];
  const add = async (path: string, fromFolder: boolean) => {
    if (fromFolder) {
      try {
        formatOf(path);
      } catch {
        skipped.push({ name: path, reason: 'not a corpus format (.txt, .md, .csv, .tsv, .jsonl, .html)' });
        return;
      }
    }
    try {
      out.push({ name: path, path, size: (await stat(path)).size });
    } catch (err) {
      skipped.push({ name: path, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})` });
    }
  };
  for (const arg of args) {
    if (arg === '-') {
      out.push({ name: 'stdin.jsonl', path: null, size: 0 });
    } else if (isGlob(arg)) {
      const parts = arg.split('/');
      const first = parts.findIndex(isGlob);
      const base = parts.slice(0, first).join('/') || '.';
      const re = globRegex(parts.slice(first).join('/'));
      let n = 0;
      for await (const p of walk(base, skipped)) {
        const rel = relative(base, p).split(sep).join('/');
        if (re.test(rel)) {
          n++;
          await add(p, false);
        }
      }
      if (n === 0) skipped.push({ name: arg, reason: 'no file matches this pattern' });
    } else {
      let isDir = false;
      try {
        isDir = (await stat(arg)).isDirectory();
      } catch (err) {
        skipped.push({ name: arg, reason: `does not exist or cannot be read (${(err as NodeJS.ErrnoException).code ?? err})` });
        continue;
      }
      if (isDir) for await (const p of walk(arg, skipped)) await add(p, true);
      else await add(arg, false);
    }
  }
  return out;
}

/** A file on disk as the corpus readers take it (streamed through a Blob, never read whole). */
export async function openCorpusFile(input: Input, counted: (bytes: number) => void): Promise<CorpusFile> {
  if (input.path === null) return stdinFile(counted);
  const blob = await openAsBlob(input.path);
  return {
    name: input.name,
    size: blob.size,
    stream: () => blob.stream().pipeThrough(countBytes(counted)),
    slice: (a, b) => blob.slice(a, b),
    arrayBuffer: () => blob.arrayBuffer(),
  };
}

function countBytes(counted: (bytes: number) => void) {
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      counted(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
}

/** stdin as a JSONL file: its first bytes are held back for the text sniffing, then streamed on. */
async function stdinFile(counted: (bytes: number) => void): Promise<CorpusFile> {
  const reader = (Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>).getReader();
  const held: Uint8Array[] = [];
  let size = 0;
  while (size < 4096) {
    const { done, value } = await reader.read();
    if (done) break;
    held.push(value);
    size += value.byteLength;
  }
  const head = new Uint8Array(size);
  let at = 0;
  for (const h of held) {
    head.set(h, at);
    at += h.byteLength;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.byteLength) controller.enqueue(head);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: () => reader.cancel(),
  });
  return {
    name: 'stdin.jsonl',
    size,
    stream: () => stream.pipeThrough(countBytes(counted)),
    slice: (a, b) => new Blob([head.slice(a, b)]),
    arrayBuffer: () => Promise.reject(new Error('stdin is streamed, not read whole')),
  };
}
