import { readdir, stat } from 'node:fs/promises';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import { anonymousAccess } from './s3-config.js';

/** Where to list buckets: a server folder (its sub-folders) or an S3-compatible endpoint with its keys. */
export type BucketListing =
  | { kind: 'fs'; path: string }
  | {
      kind: 's3';
      endpoint?: string;
      region?: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
      /** Without credentials: unsigned requests, never the SDK's default chain. */
      anonymous?: boolean;
    };

async function subFolders(root: string): Promise<string[]> {
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory())
    throw new StorageError('STORAGE_NOT_FOUND', `the folder ${root} does not exist on the server`);
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function s3Buckets(target: Extract<BucketListing, { kind: 's3' }>): Promise<string[]> {
  const client = new S3Client({
    endpoint: target.endpoint,
    region: target.region ?? 'us-east-1',
    forcePathStyle: Boolean(target.endpoint),
    credentials: target.credentials,
    maxAttempts: 1,
    ...(!target.credentials && target.anonymous ? anonymousAccess() : {}),
  });
  try {
    const out = await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(10_000) });
    return (out.Buckets ?? []).map((b) => b.Name ?? '').filter(Boolean);
  } catch (error) {
    const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const refused = status === 403 || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch';
    const network = networkProblem(e.code ?? (e.name === 'TimeoutError' ? 'ETIMEDOUT' : undefined));
    throw new StorageError(
      'STORAGE_UNREACHABLE',
      refused
        ? 'the endpoint refused the keys (check the access key and secret key)'
        : network
          ? `the endpoint ${target.endpoint ?? '(AWS S3)'} cannot be reached: ${network}`
          : `the endpoint could not list buckets (${e.name ?? 'error'}${status ? `, HTTP ${status}` : ''})`,
      { retryable: false },
    );
  } finally {
    client.destroy();
  }
}

/** A network error code in words (the code kept, for searching), or null. */
function networkProblem(code: string | undefined): string | null {
  const words: Record<string, string> = {
    ECONNREFUSED: 'nothing answers at that address and port',
    ENOTFOUND: 'its host name is unknown',
    EAI_AGAIN: 'its host name could not be looked up',
    ETIMEDOUT: 'it did not answer in time',
    ECONNRESET: 'it closed the connection',
    EHOSTUNREACH: 'its host is unreachable',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed and not trusted',
  };
  return code && words[code] ? `${words[code]} (${code})` : null;
}

/** The buckets of an S3 endpoint, or the sub-folders of a server folder (for choosing a place). */
export function listBuckets(target: BucketListing): Promise<string[]> {
  return target.kind === 'fs' ? subFolders(target.path) : s3Buckets(target);
}
