/**
 * Model uploads against a real `serve`: four concurrent 400 MB uploads (two multipart to /api/v1/models, one
 * multipart to the v3 published models, one raw PUT of v3 content) are streamed to temp files in the data dir,
 * never held in memory, so the server's RSS stays within a stated bound over its idle RSS (before: buffered
 * whole, 4 × 400 MB took it to 2.56 GB); a fifth while they run is refused at once with 503 UPLOADS_BUSY and
 * Retry-After; an upload cut off mid-body leaves no temp file, nor do the finished ones (nor, after a
 * restart, those a crashed server left).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rssMiB, sampleRss } from '../helpers/proc-stats.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';

const MiB = 1024 ** 2;
/** The pid of a process that has exited. */
const DEAD_PID = Number(execFileSync('sh', ['-c', 'echo $$']).toString().trim());
const UPLOAD = 400 * 1000 ** 2;
/** The stated bound: the server's RSS while receiving the four uploads, over its idle RSS. */
const RSS_BOUND_MIB = 400; // measured: +218 MiB (idle 353 MiB, max 571 MiB)

interface Sent {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Sends `head` + `size` bytes of junk (not a model) + `tail` to `path`, paced at `mibPerSecond`; `abortAfter`
 * bytes cuts the connection there instead. Resolves with the answer (or status 0 when the socket was cut).
 */
function send(
  server: ServeProcess,
  key: string,
  o: {
    method: string;
    path: string;
    type: string;
    head?: string;
    tail?: string;
    size: number;
    mibPerSecond: number;
    abortAfter?: number;
  },
): Promise<Sent> {
  const head = Buffer.from(o.head ?? '');
  const tail = Buffer.from(o.tail ?? '');
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve) => {
    let answered: Sent | null = null;
    const req = request({
      host: hostname,
      port,
      method: o.method,
      path: o.path,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': o.type,
        'content-length': head.length + o.size + tail.length,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        answered = { status: res.statusCode ?? 0, text, headers: res.headers };
        resolve(answered);
      });
    });
    req.on('error', () => resolve(answered ?? { status: 0, text: '', headers: {} }));
    const chunk = Buffer.alloc(MiB, 0x61);
    let sent = 0;
    const started = performance.now();
    req.write(head);
    const pump = () => {
      if (answered || req.destroyed) return;
      if (o.abortAfter !== undefined && sent >= o.abortAfter) {
        req.destroy();
        return;
      }
      if (sent >= o.size) {
        req.end(tail);
        return;
      }
      const due = (o.mibPerSecond * MiB * (performance.now() - started)) / 1000;
      if (sent > due) {
        setTimeout(pump, 20);
        return;
      }
      const n = Math.min(chunk.length, o.size - sent);
      sent += n;
      if (req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) setImmediate(pump);
      else req.once('drain', pump);
    };
    pump();
  });
}

const multipart = (field: string, name: string, extra: Record<string, string> = {}) => {
  const b = 'kbUploadBoundary';
  const fields = Object.entries(extra)
    .map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  return {
    type: `multipart/form-data; boundary=${b}`,
    head: `${fields}--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    tail: `\r\n--${b}--\r\n`,
  };
};

describe('robustness: model uploads are streamed to disk, and capped in number', () => {
  let work: string;
  let server: ServeProcess;
  let key: string;
  const uploadsDir = () => join(work, 'data', 'uploads');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-uploads-'));
    // what a server killed mid-upload leaves: removed at the next start (its pid no longer runs)
    mkdirSync(join(work, 'data', 'uploads'), { recursive: true });
    writeFileSync(join(work, 'data', 'uploads', `upload-${DEAD_PID}-left-by-a-crash`), 'partial');
    server = await startServe(join(work, 'data'));
    expect(readdirSync(join(work, 'data', 'uploads'))).toEqual([]);
    key = server.printedKey as string;
    // warm: one real model uploaded (a model thread started once), so idle RSS includes what any upload costs
    const form = new FormData();
    form.set('name', 'warm');
    form.set(
      'file',
      new Blob([readFileSync(join(repoRoot, 'examples', 'models', 'mnist-cnn.keras'))]),
      'm.keras',
    );
    expect((await api(server, key, 'POST', '/api/v1/models', form)).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('4 × 400 MB at once: RSS stays within the bound, a fifth gets 503 UPLOADS_BUSY, no temp file left', async () => {
    const pid = server.child.pid as number;
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssMiB(pid);
    const announced = await api<{ metadata: { guid: string } }>(server, key, 'POST', '/v3/ml_assets/models', {
      name: 'raw',
      framework: { name: 'tensorflow' },
    });
    const id = announced.body.metadata.guid;
    const sampler = sampleRss(pid, 100);
    const rate = 40; // MiB/s each: the four overlap for ~10 s
    const v1 = multipart('file', 'big.h5', { name: 'big-1' });
    const v1b = multipart('file', 'big.h5', { name: 'big-2' });
    const v3 = multipart('model', 'big.h5', { name: 'big-3' });
    const uploads = [
      send(server, key, { method: 'POST', path: '/api/v1/models', ...v1, size: UPLOAD, mibPerSecond: rate }),
      send(server, key, { method: 'POST', path: '/api/v1/models', ...v1b, size: UPLOAD, mibPerSecond: rate }),
      send(server, key, {
        method: 'POST',
        path: '/v3/wml_instances/up/published_models',
        ...v3,
        size: UPLOAD,
        mibPerSecond: rate,
      }),
      send(server, key, {
        method: 'PUT',
        path: `/v3/ml_assets/models/${id}/versions/${id}/content`,
        type: 'application/octet-stream',
        size: UPLOAD,
        mibPerSecond: rate,
      }),
    ];
    await new Promise((r) => setTimeout(r, 2000));
    expect(readdirSync(uploadsDir()).length).toBe(4); // each streaming to its own temp file
    const fifth = await send(server, key, {
      method: 'POST',
      path: '/api/v1/models',
      ...multipart('file', 'five.h5', { name: 'five' }),
      // small enough to be sent whole before the answer (the server closes the connection after a 503)
      size: 64 * 1024,
      mibPerSecond: 1000,
    });
    const results = await Promise.all(uploads);
    const { max, samples } = sampler.stop();
    console.log(
      `idle RSS ${idle.toFixed(0)} MiB, max ${max.toFixed(0)} MiB over ${samples} samples ` +
        `(+${(max - idle).toFixed(0)} MiB); statuses ${results.map((r) => r.status).join(', ')}; fifth ${fifth.status}`,
    );
    expect(fifth.status).toBe(503);
    expect(fifth.headers['retry-after']).toBe('5');
    expect(JSON.parse(fifth.text).error.code).toBe('UPLOADS_BUSY');
    expect(JSON.parse(fifth.text).error.message).toMatch(
      /uploads-concurrent limit of 4.*--limit uploads-concurrent=/,
    );
    // junk, not a model: each streamed whole, then refused by its first bytes (never read whole)
    for (const r of results.slice(0, 3)) {
      expect(r.status).toBe(422);
      expect(r.text).toMatch(/neither HDF5 \(\.h5\) nor a zip/);
    }
    expect(results[3].status).toBe(422);
    expect(results[3].text).toMatch(/not a tar\.gz, tar or zip/);
    expect(max - idle).toBeLessThan(RSS_BOUND_MIB);
    expect(readdirSync(uploadsDir())).toEqual([]);
    expect(server.child.exitCode).toBeNull();
  }, 180_000);

  it('an upload cut off mid-body leaves no temp file; content declared over --max-upload is refused at once', async () => {
    const cut = await send(server, key, {
      method: 'POST',
      path: '/api/v1/models',
      ...multipart('file', 'cut.h5', { name: 'cut' }),
      size: 100 * MiB,
      mibPerSecond: 50,
      abortAfter: 20 * MiB,
    });
    expect(cut.status).toBe(0);
    const deadline = Date.now() + 5000;
    while (readdirSync(uploadsDir()).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(uploadsDir())).toEqual([]);
    const over = await send(server, key, {
      method: 'PUT',
      path: '/v3/ml_assets/models/x/versions/x/content',
      type: 'application/octet-stream',
      size: 600 * MiB,
      mibPerSecond: 10,
    });
    expect(over.status).toBe(413);
    expect(over.text).toMatch(/over the upload limit of 512 MiB \(serve --max-upload\)/);
    expect(readdirSync(uploadsDir())).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 60_000);
});
