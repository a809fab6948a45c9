import { createFsDriver, type FsDriverOptions } from './fs-driver.js';
import { type Location, parseLocation } from './location.js';
import { createS3Driver, type S3DriverOptions } from './s3-driver.js';
import type { BucketDriver } from './types.js';

/** Driver options for {@link openBucket}; the location supplies the folder, bucket and prefix. */
export interface OpenBucketOptions {
  /** Options of the `fs` driver (when the location is a folder). */
  fs?: Omit<FsDriverOptions, 'root'>;
  /** Options of the `s3` driver (when the location is `s3://`): endpoint, credentials, retries, ... */
  s3?: Omit<S3DriverOptions, 'bucket' | 'prefix'>;
}

/**
 * Opens the driver for a location (text or parsed), scoped to it: keys are relative to the folder or the
 * bucket prefix. Opening does no I/O; a missing folder or bucket shows on the first operation.
 */
export function openBucket(location: Location | string, options: OpenBucketOptions = {}): BucketDriver {
  const loc = typeof location === 'string' ? parseLocation(location) : location;
  if (loc.kind === 'fs') return createFsDriver({ ...options.fs, root: loc.path });
  return createS3Driver({
    ...options.s3,
    endpoint: options.s3?.endpoint ?? loc.endpoint,
    bucket: loc.bucket,
    prefix: loc.prefix,
  });
}
