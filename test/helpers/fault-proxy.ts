/**
 * A small HTTP proxy on 127.0.0.1 in front of an S3 server that injects faults at configured rates:
 * 503 answers with S3 XML error bodies (SlowDown by default), slow responses, and dropped connections
 * (before the request is forwarded, or halfway through the response body). Decisions come from a seeded
 * PRNG, drawn in the order requests arrive, so a run with the same seed and the same request order
 * injects the same faults. Used by the storage and batch tests.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Fault rates (0..1 each) and shapes. */
export interface FaultConfig {
  /** Share of requests answered with `errorStatus` and an S3 XML error, without reaching the server. */
  errorRate: number;
  /** Share of requests whose connection is dropped (half before forwarding, half mid-response). */
  dropRate: number;
  /** Share of requests delayed by `slowMs` before they are forwarded. */
  slowRate: number;
  /** Delay of a slow request, in ms. */
  slowMs: number;
  /** Status of injected errors. */
  errorStatus: number;
  /** S3 error code of injected errors (`SlowDown`, `ServiceUnavailable`, `InternalError`, ...). */
  errorCode: string;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions extends Partial<FaultConfig> {
  /** The server to forward to, e.g. `http://127.0.0.1:7070`. */
  target: string;
  /** PRNG seed. Default 1. */
  seed?: number;
}

/** Counters of what the proxy did. */
export interface FaultStats {
  requests: number;
  forwarded: number;
  errors: number;
  drops: number;
  slowed: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: point the S3 client here. */
  endpoint: string;
  /** Live counters. */
  readonly stats: FaultStats;
  /** Changes fault rates from now on (e.g. set all to 0 to seed data, then turn faults on). */
  setFaults(config: Partial<FaultConfig>): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Defaults: no faults until configured. */
export const NO_FAULTS: FaultConfig = {
  errorRate: 0,
  dropRate: 0,
  slowRate: 0,
  slowMs: 200,
  errorStatus: 503,
  errorCode: 'SlowDown',
};

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MESSAGES: Record<string, string> = {
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Service is unable to handle request.',
  InternalError: 'We encountered an internal error. Please try again.',
};

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const { target: _t, seed = 1, ...faults } = options;
  let config: FaultConfig = { ...NO_FAULTS, ...faults };
  const random = seededRandom(seed);
  const stats: FaultStats = { requests: 0, forwarded: 0, errors: 0, drops: 0, slowed: 0 };
  const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 128 });
  const sockets = new Set<Socket>();
  let requestCounter = 0;

  const drainThen = (req: IncomingMessage, then: () => void) => {
    if (req.readableEnded) then();
    else {
      req.on('end', then);
      req.resume();
    }
  };

  const answerError = (req: IncomingMessage, res: ServerResponse, id: number) => {
    const body =
      req.method === 'HEAD'
        ? ''
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${config.errorCode}</Code><Message>${
            MESSAGES[config.errorCode] ?? 'Injected fault.'
          }</Message><RequestId>fault-${id}</RequestId></Error>`;
    drainThen(req, () => {
      res.writeHead(config.errorStatus, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
        'x-amz-request-id': `fault-${id}`,
      });
      res.end(body);
    });
  };

  const forward = (req: IncomingMessage, res: ServerResponse, dropMidResponse: boolean) => {
    stats.forwarded++;
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers, // Host kept as the client signed it
        agent: upstreamAgent,
      },
      (up) => {
        if (!dropMidResponse) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const whole = Buffer.concat(chunks);
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.write(whole.subarray(0, Math.floor(whole.length / 2)));
          // Let the partial bytes leave, then cut the connection.
          setImmediate(() => req.socket.destroy());
        });
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    const id = ++requestCounter;
    stats.requests++;
    const roll = random();
    const slow = random() < config.slowRate;
    const half = random() < 0.5;
    let action: 'error' | 'drop' | 'forward' = 'forward';
    if (roll < config.errorRate) action = 'error';
    else if (roll < config.errorRate + config.dropRate) action = 'drop';
    const go = () => {
      if (action === 'error') {
        stats.errors++;
        answerError(req, res, id);
      } else if (action === 'drop' && half) {
        stats.drops++;
        req.socket.destroy();
      } else if (action === 'drop') {
        stats.drops++;
        forward(req, res, true);
      } else forward(req, res, false);
    };
    if (slow) {
      stats.slowed++;
      setTimeout(go, config.slowMs);
    } else go();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setFaults(partial) {
      config = { ...config, ...partial };
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      upstreamAgent.destroy();
      await closed;
    },
  };
}
