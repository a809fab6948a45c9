/**
 * A real redis-server for the queue tests, on a free port with its own temp dir. `persistent` turns on the
 * append-only file (fsync on every write) so `crash()` + `start()` brings the same data back on the same port.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestRedis {
  url: string;
  port: number;
  /** The server's pid (for CPU time readings). */
  pid(): number;
  /** Starts (again) on the same port and dir. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no save. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/** The redis-server binary, or a clear error when it is not installed. */
export function redisServerBinary(): string {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `redis-server not found (${bin}): install it (apt-get install -y redis-server) or set REDIS_SERVER_BIN`,
    );
  }
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startTestRedis(options: { persistent?: boolean } = {}): Promise<TestRedis> {
  const bin = redisServerBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kb-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push(
    ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  );
  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
    });
    for (let i = 0; i < 100; i += 1) {
      if (/Ready to accept connections/.test(out)) return;
      if (proc.exitCode !== null) throw new Error(`redis-server exited: ${out.slice(-500)}`);
      await sleep(50);
    }
    throw new Error(`redis-server did not start: ${out.slice(-500)}`);
  };
  const kill = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await gone;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => (child as ChildProcess | null)?.pid ?? 0,
    start,
    crash: () => kill('SIGKILL'),
    async stop() {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A MONITOR session: every command Redis runs, as Redis prints it. */
export interface RedisMonitor {
  text(): string;
  close(): void;
}

/**
 * Starts MONITOR over a plain socket (a client library's monitor mode races its own handshake replies against
 * the monitor stream); resolves once Redis has acknowledged it.
 */
export function monitorRedis(url: string): Promise<RedisMonitor> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    let started = false;
    const socket = connect(Number(port), hostname, () => socket.write('MONITOR\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!started && text.startsWith('+OK')) {
        started = true;
        resolve({ text: () => text, close: () => socket.destroy() });
      }
    });
    socket.on('error', (error) => {
      if (!started) reject(error);
    });
  });
}
