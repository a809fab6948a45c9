/**
 * Slow clients against a real `serve --request-timeout 2 --headers-timeout 2`: an upload whose body is
 * dribbled a byte at a time, and a request whose headers never end, are both cut (Node checks its timeouts
 * every 30 s, so within ~32 s), instead of being held for as long as the client likes (420 s before).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

/** Opens a socket, writes `head`, then one byte of `drip` every 200 ms; resolves with the seconds until the server closed it. */
function slowRequest(url: string, head: string, drip: boolean): Promise<{ seconds: number; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.write(drip ? 'x' : 'X-Slow: 1\r\n'), 200);
    });
    socket.on('data', (d) => {
      answer += d;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ seconds: (performance.now() - started) / 1000, answer });
    });
  });
}

describe('robustness: slow clients are cut at the request and headers timeouts', () => {
  let work: string;
  let server: ServeProcess;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-slow-client-'));
    server = await startServe(join(work, 'data'), {}, undefined, [
      '--request-timeout',
      '2',
      '--headers-timeout',
      '2',
    ]);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('cuts an upload whose body is dribbled, and one whose headers never end; the server stays up', async () => {
    const key = server.printedKey as string;
    const body = [
      'POST /v3/wml_instances/slow/published_models HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${key}`,
      'Content-Type: multipart/form-data; boundary=xyz',
      `Content-Length: ${100 * 1024 ** 2}`,
      '',
      '--xyz\r\nContent-Disposition: form-data; name="model"; filename="m.keras"\r\n\r\n',
    ].join('\r\n');
    const headers = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n';
    const [dribbled, endless] = await Promise.all([
      slowRequest(server.url, body, true),
      slowRequest(server.url, headers, false),
    ]);
    console.log(
      `dribbled body cut after ${dribbled.seconds.toFixed(1)} s, endless headers after ${endless.seconds.toFixed(1)} s`,
    );
    expect(dribbled.seconds).toBeLessThan(40);
    expect(endless.seconds).toBeLessThan(40);
    expect(dribbled.answer).toMatch(/^HTTP\/1\.1 408|^$/);
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 90_000);
});
