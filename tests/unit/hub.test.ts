/**
 * Hub downloads over a real HTTP server in Node: a connection that breaks mid-file resumes
 * with a Range request; a server that ignores ranges gets the file again from its start; a file
 * that stays short is refused rather than used. (Node has no Cache API: nothing is stored here;
 * storage is tested in Chromium by tests/e2e/models-view.spec.ts.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hubFiles, sha256Hex } from '../../src/core/models/hub.ts';

const file = new Uint8Array(3_000_000).map((_, i) => (i * 31 + 7) & 0xff);
let server: Server | null = null;

/** Serves `file` at /org/model/resolve/main/onnx/model.onnx; the first `breakTimes` responses drop half-way. */
async function serve(opts: { breakTimes: number; honourRange: boolean }) {
  const log: { range: string | null; status: number }[] = [];
  let broken = 0;
  server = createServer((req, res) => {
    if (!req.url?.endsWith('/onnx/model.onnx')) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range && opts.honourRange ? Number(range[1]) : 0;
    const status = start > 0 ? 206 : 200;
    log.push({ range: req.headers.range ?? null, status });
    const body = file.subarray(start);
    res.writeHead(status, { 'content-length': String(body.length), 'content-type': 'application/octet-stream', ...(status === 206 ? { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` } : {}) });
    if (broken < opts.breakTimes) {
      broken++;
      res.write(body.subarray(0, body.length >> 1), () => res.destroy()); // the connection drops mid-file
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

afterEach(() => {
  server?.close();
  server = null;
});

describe('hub downloads', () => {
  it('resume with a Range request after the connection breaks mid-file, and arrive whole', async () => {
    const { endpoint, log } = await serve({ breakTimes: 1, honourRange: true });
    const progress: number[] = [];
    const bytes = await hubFiles('org/model', { endpoint, onProgress: (p) => progress.push(p.loaded) }).read('onnx/model.onnx');
    expect(bytes!.byteLength).toBe(file.length);
    expect(await sha256Hex(new Uint8Array(bytes!))).toBe(await sha256Hex(file));
    expect(log.map((l) => l.status)).toEqual([200, 206]);
    expect(log[1].range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(log[1].range!)![0])).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(file.length);
  });

  it('start the file again when the server ignores ranges', async () => {
    const { endpoint, log } = await serve({ breakTimes: 1, honourRange: false });
    const bytes = await hubFiles('org/model', { endpoint }).read('onnx/model.onnx');
    expect(await sha256Hex(new Uint8Array(bytes!))).toBe(await sha256Hex(file));
    expect(log.map((l) => l.status)).toEqual([200, 200]);
  });

  it('give up with a message that says what happened when the connection keeps breaking', async () => {
    const { endpoint } = await serve({ breakTimes: 10, honourRange: true });
    await expect(hubFiles('org/model', { endpoint }).read('onnx/model.onnx')).rejects.toThrow(/onnx\/model\.onnx: download was interrupted at [\d.]+ MB of [\d.]+ MB .*load again to retry/);
  });

  it('say a missing file is missing and an unreachable hub is unreachable', async () => {
    const { endpoint } = await serve({ breakTimes: 0, honourRange: true });
    expect(await hubFiles('org/model', { endpoint }).read('onnx/model_fp16.onnx')).toBeNull();
    server!.close();
    await expect(hubFiles('org/model', { endpoint: 'http://127.0.0.1:9' }).read('config.json')).rejects.toThrow(/config\.json: could not be downloaded .*are you online\?/);
  });
});
