/**
 * Online scoring: `keras-batch serve` in a child process on loopback, an online deployment of the MNIST CNN,
 * then (1) latency of one-record requests from one client (p50/p99, keep-alive) and (2) requests/s with 32
 * concurrent clients (autocannon). Targets: p50 < 2 ms and > 3,000 requests/s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchContext, Suite, SuiteResult } from './lib/suite.js';

const PORT = 18_765;

function post(agent: Agent, path: string, key: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        host: '127.0.0.1',
        port: PORT,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function json(
  path: string,
  key: string,
  method: string,
  body?: string | FormData,
  type?: string,
): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${PORT}${path}`, {
    method,
    body,
    headers: { authorization: `Bearer ${key}`, ...(type ? { 'content-type': type } : {}) },
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export const onlineSuite: Suite = {
  name: 'online',
  description:
    'online scoring latency (1 client) and requests/s (32 clients) against `keras-batch serve` on loopback',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const modelFile = ctx.sharedDir
      ? join(ctx.sharedDir, 'keras-models', 'mnist-cnn-keras2.0.9-allysonaberg.h5')
      : join(ctx.repoRoot, 'examples', 'models', 'mnist-cnn.keras');
    const dataDir = mkdtempSync(join(tmpdir(), 'kb-bench-online-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ctx.repoRoot, 'src', 'cli', 'entry.ts'),
        'serve',
        '--port',
        String(PORT),
        '--data-dir',
        dataDir,
        '--log-level',
        'warn',
      ],
      {
        cwd: ctx.repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
      });
      for (let i = 0; i < 600 && !out.includes('serving on'); i += 1)
        await new Promise((r) => setTimeout(r, 100));
      const key = /(kb_\S+)/.exec(out)?.[1];
      if (!key) throw new Error(`serve did not start: ${out}`);
      const form = new FormData();
      form.set('name', 'mnist');
      form.set('file', new Blob([readFileSync(modelFile)]), modelFile.split('/').pop());
      await json('/api/v1/models', key, 'POST', form);
      const deployment = await json(
        '/api/v1/deployments',
        key,
        'POST',
        JSON.stringify({ name: 'bench', type: 'online', model: 'mnist' }),
        'application/json',
      );
      const path = `/api/v1/deployments/${deployment.id}/online`;
      const body = JSON.stringify({
        values: JSON.parse(readFileSync(join(ctx.repoRoot, 'examples', 'input', 'img1.json'), 'utf8')).values,
      });

      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const n = ctx.options.quick ? 500 : 3000;
      ctx.log(`online: ${n} sequential one-record requests`);
      for (let i = 0; i < 200; i += 1) await post(agent, path, key, body);
      const times: number[] = [];
      for (let i = 0; i < n; i += 1) times.push(await post(agent, path, key, body));
      agent.destroy();
      times.sort((a, b) => a - b);
      const p50 = pct(times, 50);
      const p99 = pct(times, 99);

      const duration = ctx.options.quick ? 3 : 10;
      ctx.log(`online: autocannon, 32 connections, ${duration} s`);
      const result = await autocannon({
        url: `http://127.0.0.1:${PORT}${path}`,
        method: 'POST',
        connections: 32,
        duration,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      const rps = result.requests.average;
      const non2xx = result.non2xx + result.errors;
      const lines = [
        `model ${modelFile.split('/').pop()}, one MNIST record per request, server in a child process on 127.0.0.1`,
        `1 client, keep-alive: p50 ${p50.toFixed(2)} ms, p90 ${pct(times, 90).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (${n} requests)`,
        `32 clients (autocannon ${duration} s): ${Math.round(rps)} requests/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors/non-2xx ${non2xx}`,
      ];
      return {
        lines,
        data: {
          p50Ms: p50,
          p99Ms: p99,
          p90Ms: pct(times, 90),
          requestsPerSecond: rps,
          autocannonLatency: result.latency,
          non2xx,
        },
        targets: [
          {
            name: 'online p50 latency < 2 ms (1 client, one MNIST record)',
            measured: `${p50.toFixed(2)} ms`,
            pass: p50 < 2,
          },
          {
            name: 'online > 3,000 requests/s (32 clients)',
            measured: `${Math.round(rps)} req/s`,
            pass: rps > 3000 && non2xx === 0,
          },
        ],
        notes: ctx.sharedDir ? [] : ['../shared absent: used the example model'],
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
