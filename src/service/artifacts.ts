import { join } from 'node:path';
import { type BucketDriver, openBucket, parseLocation } from '../storage/index.js';

/** Options of {@link openArtifactStore}. */
export interface ArtifactStoreOptions {
  /** A folder or `s3://bucket/prefix` for model files. Default `<dataDir>/artifacts`. */
  location?: string;
  dataDir: string;
  /** S3 endpoint for an `s3://` location (credentials come from the AWS environment). */
  endpoint?: string;
}

/**
 * Model files live in a bucket driver: a folder (the data dir's `artifacts/` by default, or a shared folder
 * when several servers share PostgreSQL) or an S3 bucket prefix. Keys: `models/<model>/<version>/<file>`.
 */
export function openArtifactStore(options: ArtifactStoreOptions): { driver: BucketDriver; where: string } {
  const text = options.location ?? join(options.dataDir, 'artifacts');
  const location = parseLocation(text);
  const driver = openBucket(location, {
    fs: { create: true },
    s3: { endpoint: options.endpoint ?? process.env.KERAS_BATCH_ARTIFACTS_ENDPOINT },
  });
  return { driver, where: driver.describe() };
}

/** The artifact key of a version's file. */
export const artifactKey = (modelId: string, versionId: string, file: string): string =>
  `models/${modelId}/${versionId}/${file.replace(/[^A-Za-z0-9._-]/g, '_') || 'model'}`;
