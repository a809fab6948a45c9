import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { StorageError } from './errors.js';

/** Static S3 credentials (HMAC keys). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The connection block of a WML v3 `cloudobjectstorage` input or output: IBM COS HMAC keys and endpoint. */
export interface WmlCosConnection {
  access_key: string;
  secret_key: string;
  url: string;
}

/** Options of {@link createS3Driver}. */
export interface S3DriverOptions {
  /** The bucket name. */
  bucket: string;
  /** Key prefix the driver is scoped to; normalized to end with '/' ('' for the whole bucket). */
  prefix?: string;
  /** Endpoint URL, e.g. `https://s3.us-south.cloud-object-storage.appdomain.cloud` or `http://127.0.0.1:9000`. */
  endpoint?: string;
  /**
   * Signing region. Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1` (what IBM COS and
   * MinIO accept for any endpoint).
   */
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`). Default: `true` when `endpoint` is set, else `false`. */
  forcePathStyle?: boolean;
  /** Static credentials. Without these or `connection`, the SDK's default chain (env vars, profile, ...) is used. */
  credentials?: S3Credentials;
  /** WML-style HMAC keys and endpoint; `url` is used when `endpoint` is not set. */
  connection?: WmlCosConnection;
  /** Shared-config profile for the SDK's default chain (instead of `AWS_PROFILE`). */
  profile?: string;
  /**
   * Without credentials, send unsigned requests instead of asking the SDK's default chain: a server's stored
   * connection must never borrow the server's own cloud identity (env keys, profile, instance metadata).
   */
  anonymous?: boolean;
  /** Attempts per request, the first included, with the SDK's standard backoff. Default 5. */
  maxAttempts?: number;
  /** The SDK retry mode. Default `standard`; `adaptive` also rate-limits the client when throttled. */
  retryMode?: 'standard' | 'adaptive';
  /** Time allowed to open a connection, in ms. Default 5,000. */
  connectTimeoutMs?: number;
  /** Time allowed from sending a request to its response headers, in ms. Default 60,000. */
  requestTimeoutMs?: number;
  /** Time a socket may stay idle while a body is streamed, in ms. Default 60,000. */
  socketTimeoutMs?: number;
  /** Most open sockets (keep-alive) to the endpoint; size it for the job's concurrency. Default 64. */
  maxSockets?: number;
  /** Page size of listings when the caller gives none. Default: the server's (1,000). */
  pageSize?: number;
}

/** Defaults of {@link S3DriverOptions}. */
export const S3_DRIVER_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'standard',
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 60_000,
  socketTimeoutMs: 60_000,
  maxSockets: 64,
} as const;

/** Options with the defaults applied and the WML connection folded in. */
export interface ResolvedS3Options {
  bucket: string;
  prefix: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials: S3Credentials | undefined;
  profile: string | undefined;
  anonymous: boolean;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  socketTimeoutMs: number;
  maxSockets: number;
  pageSize: number | undefined;
}

const positive = (name: string, value: number) => {
  if (!Number.isFinite(value) || value <= 0) {
    throw new StorageError('STORAGE_CONFIG', `s3 option ${name} must be a positive number, got ${value}`);
  }
};

/** Normalizes a prefix to '' or a string ending with '/', without a leading '/'. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/** Applies defaults, folds in a WML connection and validates everything at once. */
export function resolveS3Options(options: S3DriverOptions): ResolvedS3Options {
  const o = { ...S3_DRIVER_DEFAULTS, ...options };
  if (!o.bucket) throw new StorageError('STORAGE_CONFIG', 'the s3 driver needs a bucket name');
  const endpoint = o.endpoint ?? o.connection?.url;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new StorageError(
        'STORAGE_CONFIG',
        'the s3 endpoint is not a valid URL (expected http(s)://host[:port])',
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new StorageError('STORAGE_CONFIG', `the s3 endpoint must be http or https, got ${url.protocol}`);
    }
  }
  let credentials = o.credentials;
  if (!credentials && o.connection) {
    if (!o.connection.access_key || !o.connection.secret_key) {
      throw new StorageError('STORAGE_CONFIG', 'the connection needs both access_key and secret_key');
    }
    credentials = { accessKeyId: o.connection.access_key, secretAccessKey: o.connection.secret_key };
  }
  if (credentials && (!credentials.accessKeyId || !credentials.secretAccessKey)) {
    throw new StorageError('STORAGE_CONFIG', 'credentials need both accessKeyId and secretAccessKey');
  }
  if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) {
    throw new StorageError(
      'STORAGE_CONFIG',
      `s3 option maxAttempts must be an integer >= 1, got ${o.maxAttempts}`,
    );
  }
  positive('connectTimeoutMs', o.connectTimeoutMs);
  positive('requestTimeoutMs', o.requestTimeoutMs);
  positive('socketTimeoutMs', o.socketTimeoutMs);
  positive('maxSockets', o.maxSockets);
  if (o.pageSize !== undefined) positive('pageSize', o.pageSize);
  return {
    bucket: o.bucket,
    prefix: normalizePrefix(o.prefix),
    endpoint,
    region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: o.forcePathStyle ?? endpoint !== undefined,
    credentials,
    profile: o.profile,
    anonymous: o.anonymous ?? false,
    maxAttempts: o.maxAttempts,
    retryMode: o.retryMode,
    connectTimeoutMs: o.connectTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    socketTimeoutMs: o.socketTimeoutMs,
    maxSockets: o.maxSockets,
    pageSize: o.pageSize,
  };
}

/** The endpoint without user info, query or fragment, for messages. */
export function safeEndpoint(endpoint: string | undefined, region: string): string {
  if (endpoint === undefined) return `aws (${region})`;
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** Builds the SDK client: retries, timeouts, keep-alive agents and checksums only when required. */
export function createS3Client(o: ResolvedS3Options): {
  client: S3Client;
  agents: (HttpAgent | HttpsAgent)[];
} {
  const agentOptions = {
    keepAlive: true,
    maxSockets: o.maxSockets,
    maxFreeSockets: Math.min(o.maxSockets, 32),
  };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const config: S3ClientConfig = {
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    maxAttempts: o.maxAttempts,
    retryMode: o.retryMode,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: o.connectTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: o.socketTimeoutMs,
      httpAgent,
      httpsAgent,
    }),
  };
  if (o.credentials) config.credentials = { ...o.credentials };
  else if (o.anonymous) Object.assign(config, anonymousAccess());
  if (o.profile) config.profile = o.profile;
  return { client: new S3Client(config), agents: [httpAgent, httpsAgent] };
}

/** Client settings for unsigned requests with no credential lookup (a public bucket, or an honest refusal). */
export function anonymousAccess(): Pick<S3ClientConfig, 'credentials' | 'signer'> {
  return {
    credentials: async () => ({ accessKeyId: '', secretAccessKey: '' }),
    signer: { sign: async (request) => request },
  };
}
