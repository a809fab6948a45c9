import type { FsIoMode } from './fs-ops.js';

/** Options of {@link createFsDriver}. */
export interface FsDriverOptions {
  /** The folder that is the bucket; relative paths resolve against the current directory. */
  root: string;
  /**
   * Create the folder (and its parents) on first use when it is missing. Default `false`: a missing folder
   * is `STORAGE_NOT_FOUND`, as a missing bucket is.
   */
  create?: boolean;
  /** Page size of listings when the caller gives none. Default 1,000. */
  pageSize?: number;
  /** `fsync` each file before renaming it into place (survives power loss, costs time). Default `false`. */
  fsync?: boolean;
  /**
   * How get/put/head/delete call the file system: `async` (libuv's thread pool; never blocks the event loop)
   * or `blocking` (on the calling thread: only for a worker thread dedicated to file I/O). Default `async`.
   */
  io?: FsIoMode;
}
