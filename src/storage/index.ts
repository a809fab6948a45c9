/**
 * Storage: one bucket driver interface with a local-folder (`fs`) and an S3-compatible (`s3`) driver,
 * locations (`./dir`, `s3://bucket/prefix`) and the overlap check the batch job uses.
 */
export { isStorageError, StorageError, type StorageErrorCode, type StorageErrorOptions } from './errors.js';
export { createFsDriver, FS_DRIVER_DEFAULTS, type FsDriverOptions } from './fs-driver.js';
export { type BucketListing, listBuckets } from './list-buckets.js';
export {
  type FsLocation,
  formatLocation,
  type Location,
  locationsOverlap,
  type ParseLocationOptions,
  parseLocation,
  type S3Location,
} from './location.js';
export { type OpenBucketOptions, openBucket } from './open-bucket.js';
export {
  S3_DRIVER_DEFAULTS,
  type S3Credentials,
  type S3DriverOptions,
  type WmlCosConnection,
} from './s3-config.js';
export { createS3Driver } from './s3-driver.js';
export {
  type BucketDriver,
  type ByteRange,
  type DriverKind,
  type ListOptions,
  listEntries,
  type ObjectEntry,
  type ObjectInfo,
  type ObjectStream,
  openObjectStream,
  type PutBody,
  type PutOptions,
  type PutResult,
  putObjectStream,
  type StoredObject,
} from './types.js';
