/**
 * Corpus in (every format, dropped or picked), its bad inputs, and the job queue, in Chromium
 * with the real glove-100d model and the real IndexedDB.
 */
import { expect, test, type Page } from '@playwright/test';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { loadGlove as loadGloveModel } from '../helpers/models.ts';
import { tinyModelFiles } from '../helpers/tiny-model.ts';

/** Every test here embeds with glove-100d and then works in the Collections view. */
const loadGlove = (page: Page) => loadGloveModel(page, { thenOpen: 'collections' });

const file = (name: string, content: string | Uint8Array, mimeType = 'application/octet-stream') => ({
  name,
  mimeType,
  buffer: Buffer.from(content),
});

async function pdfOf(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([600, 800]);
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 750 - i * 40, size: 14, font }));
  return doc.save();
}

/** Drops files on the drop zone the way a browser does: a DragEvent carrying a DataTransfer. */
async function dropFiles(page: Page, files: { name: string; text: string }[]) {
  await page.getByTestId('drop-zone').evaluate((zone, files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([f.text], f.name));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
}

/** Collections and their chunk counts, read from IndexedDB as the app stores them. */
async function stored(page: Page): Promise<{ name: string; count: number; texts: string[] }[]> {
  return page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    const out = [];
    for (const c of await store.listCollections()) {
      out.push({ name: c.name, count: c.count, texts: (await store.chunks(c.id)).map((x) => x.text) });
    }
    store.close();
    return out.sort((a, b) => a.name.localeCompare(b.name));
  })()`);
}

async function searchFor(page: Page, collection: string, query: string) {
  const card = page.locator(`[data-testid=collection][data-name="${collection}"]`);
  await card.getByTestId('search-query').fill(query);
  await card.getByTestId('search').click();
  return card.locator('[data-title="float32"] li');
}

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('each file type, picked or dropped, is read, previewed, embedded and found by search', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await loadGlove(page);
  await page.getByTestId('source-files').check();
  await page.getByTestId('collection-files').setInputFiles([
    file('animals.txt', 'Penguins waddle across the frozen Antarctic ice.\n\nThe end of the first file.'),
    file('geology.md', '# Volcanoes\n\nVolcanoes **erupt** molten lava and [ash](https://example.org).\n'),
    file('music.csv', 'id,notes\n1,"Saxophone jazz music, played at midnight."\n2,A short line\n'),
    file('sport.tsv', 'label\tsentence\n1\tTennis players serve aces at Wimbledon.\n'),
    file('food.jsonl', '{"id":1,"body":"Chocolate cake baked with cocoa and sugar.","title":"x"}\n'),
    file('space.html', '<html><head><title>T</title><script>var hiddenScript = 1;</script></head><body><p>Astronauts orbit the Earth in a spacecraft.</p><div hidden>invisible words</div></body></html>'),
    file('farm.pdf', await pdfOf(['Tractors plough the wheat fields on the farm.'])),
  ]);
  await dropFiles(page, [{ name: 'sea.md', text: 'Dolphins swim and leap in the blue ocean.' }]);
  const picked = page.getByTestId('picked-file');
  await expect(picked).toHaveCount(8);
  // CSV: the longest column is the guess; JSONL: "body", the only long string field.
  await expect(page.locator('[data-name="music.csv"] [data-testid=text-choice]')).toHaveValue('notes');
  await expect(page.locator('[data-name="food.jsonl"] [data-testid=text-choice]')).toHaveValue('body');

  await page.getByTestId('preview').click();
  const preview = page.getByTestId('preview-chunk');
  await expect(preview.filter({ hasText: 'Tractors plough the wheat fields on the farm.' })).toContainText('farm.pdf · p. 1');
  await expect(preview.filter({ hasText: 'Saxophone jazz music, played at midnight.' })).toContainText('music.csv · row 2');
  await expect(preview.filter({ hasText: 'Volcanoes erupt molten lava and ash.' })).toHaveCount(1); // markup gone
  await expect(page.getByTestId('chunk-preview')).not.toContainText('hiddenScript');
  await expect(page.getByTestId('chunk-preview')).not.toContainText('invisible words');

  await page.getByTestId('collection-name').fill('Mixed');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('collection-summary')).toContainText(/^\d+ chunks/);
  await expect(page.getByTestId('job')).toHaveCount(0);
  const [mixed] = await stored(page);
  for (const text of [
    'Penguins waddle across the frozen Antarctic ice.',
    'Volcanoes erupt molten lava and ash.',
    'Saxophone jazz music, played at midnight.',
    'Tennis players serve aces at Wimbledon.',
    'Chocolate cake baked with cocoa and sugar.',
    'Astronauts orbit the Earth in a spacecraft.',
    'Tractors plough the wheat fields on the farm.',
    'Dolphins swim and leap in the blue ocean.',
  ]) {
    expect(mixed.texts).toContain(text);
  }
  for (const [query, hit] of [
    ['penguins antarctic ice', 'Penguins'],
    ['volcano lava', 'Volcanoes'],
    ['jazz saxophone', 'Saxophone'],
    ['tennis wimbledon', 'Tennis'],
    ['chocolate cake', 'Chocolate'],
    ['astronauts spacecraft', 'Astronauts'],
    ['tractor wheat farm', 'Tractors'],
    ['dolphins ocean', 'Dolphins'],
  ]) {
    await expect((await searchFor(page, 'Mixed', query)).first()).toContainText(hit);
  }
  // pdf.js and its worker came from the app itself: no request left this origin.
  expect(requests.some((u) => u.includes('pdf.worker'))).toBe(true);
  expect(requests.filter((u) => !u.startsWith(new URL(page.url()).origin) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
});

test('the State of the Union sample is one click away, read from JSONL by paragraph', async ({ page }) => {
  await loadGlove(page);
  await page.getByTestId('source-sotu').check();
  await expect(page.getByTestId('collection-name')).toHaveValue('State of the Union 1990–2019');
  await page.getByTestId('chunk-paragraph').check();
  await page.getByTestId('preview').click();
  await expect(page.getByTestId('preview-chunk').first()).toContainText('sotu.jsonl · line 1');
  await page.getByTestId('batch-size').fill('1024');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('collection-summary')).toContainText('chunks · glove-100d', { timeout: 60_000 });
  await expect(page.getByTestId('job')).toHaveCount(0, { timeout: 60_000 });
  await expect((await searchFor(page, 'State of the Union 1990–2019', 'terrorism and homeland security')).first()).toContainText(/terror/i);
});

test('bad files each get a clear message, good ones are still embedded, nothing stored is lost, and payloads stay text', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  await loadGlove(page);
  // Something already stored, which no bad input may touch.
  await page.getByTestId('nav-playground').click();
  await page.getByTestId('sentences').fill('The whale breached.\nA ship in a storm.');
  await page.getByTestId('nav-collections').click();
  await page.getByLabel("The Playground's sentences").check();
  await page.getByTestId('collection-name').fill('Keep');
  await page.getByTestId('create-collection').click();
  await expect(page.locator('[data-name=Keep] [data-testid=collection-summary]')).toContainText('2 chunks');
  const before = await stored(page);

  const payload = 'The harpoon <script>window.__pwned = 1</script> struck <img src=x onerror="window.__pwned = 2"> the whale.';
  await page.getByTestId('source-files').check();
  await page.getByTestId('collection-files').setInputFiles([
    file('empty.txt', ''),
    file('binary.txt', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])),
    file('latin1.txt', Buffer.concat([Buffer.from('Caf'), Buffer.from([0xe9]), Buffer.from(' au lait by the harbour.')])),
    file('broken.csv', 'text,n\nA fine row,1\n"never closed,2\nmore,3\n'),
    file('lines.jsonl', '{"text":"Good line about sailors."}\n{oops\n{"title":"no text"}\n{"text":"Another good line about rope."}\n'),
    file('payload.txt', payload),
    file('report.docx', 'PK'),
  ]);
  // Refused as soon as they are added, with the reason.
  await expect(page.locator('[data-name="broken.csv"] [data-testid=picked-error]')).toContainText('a quote opened on line 3 is never closed');
  await expect(page.locator('[data-name="report.docx"] [data-testid=picked-error]')).toContainText('.docx files are not read here');

  await page.getByTestId('preview').click();
  await expect(page.getByTestId('preview-chunk').filter({ hasText: '<script>window.__pwned = 1</script>' })).toHaveCount(1);
  await expect(page.getByTestId('chunk-preview').locator('img, script')).toHaveCount(0);

  await page.getByTestId('collection-name').fill('Bad');
  await page.getByTestId('create-collection').click();
  await expect(page.locator('[data-name=Bad] [data-testid=collection-summary]')).toContainText('4 chunks');
  const outcomes = page.getByTestId('file-outcomes');
  await expect(outcomes).toContainText('empty.txt: the file is empty (0 bytes); there is nothing to read');
  await expect(outcomes).toContainText('binary.txt: this is an ELF program, not text; nothing was read from it');
  await expect(outcomes).toContainText('broken.csv: a quote opened on line 3 is never closed');
  await expect(outcomes).toContainText('lines.jsonl: 2 chunks; skipped 2 (line 2: not valid JSON; line 3: no "text" string)');
  await expect(outcomes).toContainText('latin1.txt: 1 chunks; 1 characters were not valid UTF-8 and show as �');
  await expect(outcomes).toContainText('report.docx: .docx files are not read here');

  const after = await stored(page);
  expect(after.find((c) => c.name === 'Keep')).toEqual(before.find((c) => c.name === 'Keep'));
  expect(after.find((c) => c.name === 'Bad')!.texts.sort()).toEqual(
    ['Another good line about rope.', 'Caf\uFFFD au lait by the harbour.', 'Good line about sailors.', payload].sort(),
  );

  // The payload comes back from search as text; nothing in it ran.
  const hits = await searchFor(page, 'Bad', 'harpoon whale');
  await expect(hits.filter({ hasText: '<script>window.__pwned = 1</script> struck <img src=x onerror="window.__pwned = 2">' })).toHaveCount(1);
  await expect(page.getByTestId('search-results').locator('img, script')).toHaveCount(0);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);

  // Only bad files: no collection is made, and the reason is given.
  await page.locator('[data-name="payload.txt"]').getByRole('button').click();
  await page.locator('[data-name="latin1.txt"]').getByRole('button').click();
  await page.locator('[data-name="lines.jsonl"]').getByRole('button').click();
  await page.getByTestId('collection-name').fill('Nothing');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('collections-error')).toContainText('Nothing to embed: empty.txt: the file is empty');
  expect((await stored(page)).map((c) => c.name)).toEqual(['Bad', 'Keep']);
});

test('a 200 MB text file is streamed: the preview reads only its start, and embedding never holds it in memory', async ({ page, context }) => {
  test.setTimeout(240_000);
  await loadGlove(page);
  await page.getByTestId('source-files').check();
  await page.getByTestId('chunk-tokens').check();
  await page.getByTestId('max-tokens').fill('200');
  await page.getByTestId('overlap').fill('20');
  // 200 copies of a 1 MB block of distinct sentences, made in the page (a Blob, outside the JS heap).
  await page.getByTestId('drop-zone').evaluate((zone) => {
    const sentences = Array.from({ length: 25_000 }, (_, i) => `Sailor ${i} coiled rope number ${i * 7} on deck.`).join(' ');
    const block = sentences.slice(0, 1_000_000 - 2) + '\n\n';
    const big = new File(Array.from({ length: 200 }, () => block), 'big.txt');
    const dt = new DataTransfer();
    dt.items.add(big);
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.locator('[data-name="big.txt"]')).toContainText('200 MB');
  await page.getByTestId('preview').click();
  await expect(page.getByTestId('preview-chunk')).toHaveCount(50);
  const previewRead = await page.getByTestId('preview-read').textContent();
  const [, amount, unit] = /read ([\d.]+) (kB|MB) of/.exec(previewRead!)!;
  expect(Number(amount) * (unit === 'kB' ? 1e3 : 1e6)).toBeLessThan(5e6); // it stopped near the start

  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const base = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  let peak = base;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await cdp.send('Runtime.getHeapUsage')).usedSize);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const started = Date.now();
  await page.getByTestId('collection-name').fill('Big');
  await page.getByTestId('batch-size').fill('1024');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('reading')).toContainText('MB of 200 MB');
  // Between the reading and the embedding there is a moment with no job on screen: wait for
  // stored chunks first, then for the job to be gone.
  await expect(page.locator('[data-name=Big] [data-testid=collection-summary]')).toContainText(/^[1-9][\d,]* chunks/, { timeout: 200_000 });
  await expect(page.getByTestId('job')).toHaveCount(0, { timeout: 200_000 });
  sampling = false;
  await sampler;
  const [big] = await stored(page);
  // Every copy after the first is the same text: its chunks are all repeats, stored once.
  expect(big.count).toBeGreaterThan(500);
  expect(big.count).toBeLessThan(2000);
  console.log(`200 MB: read, chunked and embedded in ${((Date.now() - started) / 1000).toFixed(1)} s; JS heap peak +${((peak - base) / 1e6).toFixed(0)} MB`);
  expect(peak - base).toBeLessThan(120e6); // one 200 MB string would be 200 MB (Latin-1) or 400 MB
  await expect((await searchFor(page, 'Big', 'sailor coiled rope on deck')).first()).toContainText('Sailor');
});

test('a query asked while corpus batches wait for the model runs before every batch not yet started', async ({ page }) => {
  await loadGlove(page);
  await page.evaluate(`(async () => {
    const { models } = await import('/src/ui/models.svelte.ts');
    const { schedulerFor } = await import('/src/embed-queue.ts');
    const client = models.client(models.list.find((m) => m.status === 'ready').key);
    window.__events = [];
    schedulerFor(client).onEvent((e) => window.__events.push(e));
  })()`);
  // Corpus batches go through embedBulk (as runIngestJob's do): queue several at once, so some are
  // waiting behind the running one, then ask for a query the way the Playground and search do
  // (embedNow). Queued in the page, in one task: the ordering depends on the scheduler, not on how
  // fast glove is compared with IndexedDB commits (which kept the queue empty in a real job).
  const query = await page.evaluate(`(async () => {
    const { models } = await import('/src/ui/models.svelte.ts');
    const { schedulerFor, embedNow, embedBulk } = await import('/src/embed-queue.ts');
    const client = models.client(models.list.find((m) => m.status === 'ready').key);
    const s = schedulerFor(client);
    const text = await (await fetch('/corpora/moby-dick.txt')).text();
    const sentences = text.split(/(?<=[.!?])\\s+/).slice(0, 8000);
    const batches = [];
    for (let i = 0; i < sentences.length; i += 1000) batches.push(embedBulk(client, sentences.slice(i, i + 1000)));
    while (!window.__events.some((e) => e.lane === 'bulk' && e.phase === 'start')) await new Promise((r) => setTimeout(r, 0));
    const waitingBulk = s.waiting.bulk;
    const result = await embedNow(client, ['the white whale']);
    await Promise.all(batches);
    return { waitingBulk, dims: result.dims, rows: result.rows };
  })()`) as { waitingBulk: number; dims: number; rows: number };
  expect(query).toEqual({ waitingBulk: expect.any(Number), dims: 100, rows: 1 });
  expect(query.waitingBulk).toBeGreaterThanOrEqual(1);

  const events = (await page.evaluate('window.__events')) as { task: number; lane: string; phase: string; seq: number }[];
  const q = events.find((e) => e.lane === 'interactive' && e.phase === 'queued')!;
  const qStart = events.find((e) => e.task === q.task && e.phase === 'start')!;
  // Corpus batches queued before the query but not started when it came: all start after it.
  const overtaken = events
    .filter((e) => e.lane === 'bulk' && e.phase === 'queued' && e.seq < q.seq)
    .filter((e) => !events.some((s) => s.task === e.task && s.phase === 'start' && s.seq < q.seq));
  expect(overtaken.length).toBeGreaterThanOrEqual(1);
  for (const b of overtaken) expect(events.find((s) => s.task === b.task && s.phase === 'start')!.seq).toBeGreaterThan(qStart.seq);
  // And no corpus batch started between the query's arrival and its start (at most the running one ended).
  expect(events.filter((e) => e.lane === 'bulk' && e.phase === 'start' && e.seq > q.seq && e.seq < qStart.seq)).toEqual([]);
  // Never two calls at the model at once.
  let running = 0;
  for (const e of events) {
    running += e.phase === 'start' ? 1 : e.phase === 'end' ? -1 : 0;
    expect(running).toBeLessThanOrEqual(1);
  }
});

test('a job paused, reloaded and resumed continues where it stopped; cancelling it keeps what it stored and stays searchable', async ({ page }) => {
  await loadGlove(page);
  // Overlapping 12-word windows, two words apart: ~107k chunks. Moby-Dick's 9,586 sentences no longer
  // last long enough: since glove-100d pools in WASM the job ran to its end between the resume and the
  // cancel (failed 2 of 2 on the merged tree), so "cancelling keeps what it stored" was never reached.
  await page.getByTestId('chunk-tokens').check();
  await page.getByTestId('max-tokens').fill('12');
  await page.getByTestId('overlap').fill('10');
  await page.getByTestId('batch-size').fill('16');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('job-rate')).toContainText(/[\d,]+ chunks\/s · .+ left/);
  await page.getByTestId('pause-job').click();
  await expect(page.getByTestId('job')).toHaveAttribute('data-status', 'paused');
  const paused = Number((await page.getByTestId('job-progress').textContent())!.split(' / ')[0].replace(/,/g, ''));
  expect(paused).toBeGreaterThan(0);

  await page.reload();
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('job-status')).toHaveText('paused');
  await loadGlove(page);
  await page.getByTestId('batch-size').fill('64');
  await page.getByTestId('resume-job').click();
  await expect(page.getByTestId('job-rate')).toBeVisible();
  // At least one batch after the resume is stored before the cancel (the rate shows before one is).
  const progress = async () => Number(((await page.getByTestId('job-progress').textContent()) ?? '0').split(' / ')[0].replace(/,/g, ''));
  await expect.poll(progress, { timeout: 30_000 }).toBeGreaterThan(paused);
  await page.getByTestId('cancel-job').click();
  await expect(page.getByTestId('job')).toHaveCount(0);
  const [moby] = await stored(page);
  expect(moby.count).toBeGreaterThan(paused);
  expect(new Set(moby.texts).size).toBe(moby.count); // nothing stored twice
  await expect(page.getByTestId('collection-summary')).toContainText(`${moby.count.toLocaleString('en-US')} chunks`);
  const job = await page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    const [job] = await store.jobs();
    const pending = await store.pendingCount();
    store.close();
    return { status: job.status, done: job.done, total: job.total, pending };
  })()`);
  expect(job).toEqual({ status: 'cancelled', done: moby.count, total: moby.count, pending: 0 });
  await expect((await searchFor(page, 'Moby-Dick', 'the white whale')).first()).toBeVisible();
});

test('a tab closed while files were still being read leaves a job with what was read, which can be embedded', async ({ page, context }) => {
  await loadGlove(page);
  // What the app does while reading a big corpus, stopped half-way (the queue is never finished).
  await page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    const c = await store.createCollection({ name: 'Half-read', modelId: 'glove-100d', modelDims: 100, precisions: ['float32'] });
    const queue = await store.openQueue(c.id);
    await queue.append([{ text: 'The whale breached.', source: 'a.txt' }, { text: 'A ship in a storm.', source: 'a.txt' }]);
    store.close();
  })()`);
  await page.close();
  const second = await context.newPage();
  await second.goto('/');
  await second.getByTestId('nav-collections').click();
  await expect(second.getByTestId('job-status')).toHaveText('reading was interrupted; what was read can be embedded');
  await loadGlove(second);
  await second.getByTestId('resume-job').click();
  await expect(second.getByTestId('job')).toHaveCount(0);
  await expect(second.getByTestId('collection-summary')).toContainText('2 chunks');
});

test('"only while visible and idle": corpus batches hold while the page is hidden and go on when it is shown again', async ({ page }) => {
  await loadGlove(page);
  // Watch the model's scheduler (the page's own instance, src/embed-queue.ts): bulk calls running,
  // texts embedded, and any bulk call that starts while the page is hidden.
  await page.evaluate(async () => {
    const { models } = await import('/src/ui/models.svelte.ts' as string);
    const { schedulerFor } = await import('/src/embed-queue.ts' as string);
    const scheduler = schedulerFor(models.client(models.list[0].key));
    const watch = { scheduler, running: 0, embedded: 0, startedHidden: 0 };
    (window as unknown as { bulkWatch: typeof watch }).bulkWatch = watch;
    scheduler.onEvent((e: { lane: string; phase: string; texts: number }) => {
      if (e.lane !== 'bulk') return;
      if (e.phase === 'start') {
        watch.running++;
        if (document.visibilityState === 'hidden') watch.startedHidden++;
      } else if (e.phase === 'end') {
        watch.running--;
        watch.embedded += e.texts;
      }
    });
  });
  await page.getByTestId('only-idle').check();
  await page.getByTestId('batch-size').fill('64');
  await page.getByTestId('create-collection').click();
  await expect(page.getByTestId('job-rate')).toBeVisible();
  // Headless Chromium is always "visible": the test sets what a minimised window would report.
  const setVisibility = (state: string) =>
    page.evaluate((state) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
  await setVisibility('hidden');
  await expect(page.getByTestId('job-waiting')).toHaveText('(paused while the page is hidden)');
  type Watch = { scheduler: { waiting: { bulk: number } }; running: number; embedded: number; startedHidden: number };
  // Held: the batch that was at the model has come back, and the next one waits at the gate.
  await page.waitForFunction(() => {
    const w = (window as unknown as { bulkWatch: Watch }).bulkWatch;
    return w.running === 0 && w.scheduler.waiting.bulk > 0;
  });
  const embedded = await page.evaluate(() => (window as unknown as { bulkWatch: Watch }).bulkWatch.embedded);
  const progress = async () => Number((await page.getByTestId('job-progress').textContent())!.split(' / ')[0].replace(/,/g, ''));
  // Every embedded batch is committed, and nothing more.
  await expect.poll(progress).toBe(embedded);
  expect(embedded).toBeLessThan(Number((await page.getByTestId('job-progress').textContent())!.split(' / ')[1].replace(/,/g, '')));
  await setVisibility('visible');
  await expect(page.getByTestId('job')).toHaveCount(0, { timeout: 60_000 });
  // No bulk call started while the page was hidden.
  expect(await page.evaluate(() => (window as unknown as { bulkWatch: Watch }).bulkWatch.startedHidden)).toBe(0);
  // The choice is kept for the next visit.
  await page.reload();
  await page.getByTestId('nav-collections').click();
  await expect(page.getByTestId('only-idle')).toBeChecked();
});

test("a same-id model of another dtype cannot resume a collection's job; one made before dtypes were kept still can", async ({ page }) => {
  await page.goto('/');
  // Two queued jobs of "Your model" (user-static, 3 dims), straight through the store: one made
  // by its fp16 weights, one from before collections kept a dtype.
  await page.evaluate(`(async () => {
    const { VectorStore } = await import('/src/core/store/store.ts');
    const store = await VectorStore.open();
    for (const [name, dtype] of [['Half', 'fp16'], ['Legacy', null]]) {
      const c = await store.createCollection({ name, modelId: 'user-static', modelDims: 3, dtype, precisions: ['float32'] });
      const queue = await store.openQueue(c.id);
      await queue.append([{ text: 'cat', source: 'a' }, { text: 'dog', source: 'b' }]);
      await queue.finish();
    }
    store.close();
  })()`);
  await page.reload(); // the Collections view lists the store as the page opens
  const files = tinyModelFiles(); // F32 weights: loads as fp32
  await page.getByTestId('model-files').setInputFiles(Object.entries(files).map(([name, bytes]) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })));
  await expect(page.locator('[data-testid=model-card][data-status=ready]')).toHaveCount(1);
  await page.getByTestId('nav-collections').click();

  await page.locator('[data-name="Half"] [data-testid=resume-job]').click();
  await expect(page.getByTestId('collections-error')).toHaveText(
    '"Half" was embedded by user-static fp16; the loaded user-static runs fp32, whose vectors differ, so it cannot add rows to it. Load user-static as fp16 to resume; nothing was changed.',
  );
  await expect(page.locator('[data-name="Half"] [data-testid=job-progress]')).toHaveText('0 / 2'); // the queue kept, nothing embedded

  await page.locator('[data-name="Legacy"] [data-testid=resume-job]').click();
  await expect(page.locator('[data-name="Legacy"] [data-testid=collection-summary]')).toContainText(/^2 chunks · user-static/);
  expect((await stored(page)).map((c) => [c.name, c.count]).sort()).toEqual([['Half', 0], ['Legacy', 2]]);
});

test("Chromium's Intl.Segmenter gives the sentences the rule path gives (page and CLI chunk alike) on both bundled corpora", async ({ page }) => {
  await page.goto('/');
  const result = (await page.evaluate(`(async () => {
    const { splitSentences } = await import('/src/core/corpus/sentences.ts');
    const moby = await (await fetch('/corpora/moby-dick.txt')).text();
    const sotu = (await (await fetch('/corpora/sotu.jsonl')).text()).split('\\n').filter(Boolean).map((l) => JSON.parse(l).text);
    const sections = [...moby.split(/\\r?\\n[ \\t\\r]*\\n/), ...sotu];
    let sentences = 0;
    const differ = [];
    for (const s of sections) {
      const ours = splitSentences(s);
      const reference = splitSentences(s, { segmenterOnly: true });
      sentences += ours.length;
      if (JSON.stringify(ours) !== JSON.stringify(reference)) differ.push({ ours: ours.slice(0, 3), reference: reference.slice(0, 3) });
    }
    // And random strings over every class the rules tell apart (tests/unit/sentences.test.ts does 20,000 in Node).
    const alphabet = [...'aZx Q7.!?"\\'()[]{},-:;*/#&_', ' ', ' ', '.', 'é', 'É', 'ǅ', 'ß', '中', 'ª', '‘', '’', '“', '”', '«', '»', '–', '—', '\u0301', '\u3002', '\u2026'];
    let seed = 17;
    const rand = (n) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    for (let t = 0; t < 5000; t++) {
      let s = '';
      for (let i = 1 + rand(40); i > 0; i--) s += alphabet[rand(alphabet.length)];
      const ours = splitSentences(s, { minChars: 1 });
      const reference = splitSentences(s, { minChars: 1, segmenterOnly: true });
      if (JSON.stringify(ours) !== JSON.stringify(reference)) differ.push({ input: s, ours, reference });
    }
    return { sections: sections.length, sentences, differ: differ.slice(0, 3) };
  })()`)) as { sections: number; sentences: number; differ: unknown[] };
  expect(result.differ).toEqual([]);
  expect(result.sentences).toBeGreaterThan(18_000);
  expect(result.sections).toBeGreaterThan(2000);
});
