/** Shared setup of the format tests that run the same job folder to folder and bucket to bucket (versitygw). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type OpenModel, openModel } from '../../../src/engine/open-model.js';
import type { BucketDriver } from '../../../src/storage/index.js';
import { exampleModel } from '../../helpers/batch-files.js';
import { type S3TestServer, startS3Server, testBucket } from '../../helpers/s3-server.js';

export interface S3FormatJob {
  /** A driver on one of the test buckets, closed after the file's tests. */
  s3(bucket: string): BucketDriver;
  model(): OpenModel;
  /** A temp folder for the folder-to-folder side. */
  work(): string;
}

/** Starts the S3 server with `buckets`, opens the example model and makes a temp folder, for one test file. */
export function setUpS3FormatJob(buckets: string[], tempPrefix: string): S3FormatJob {
  let server: S3TestServer;
  let model: OpenModel;
  let work: string;
  const drivers: BucketDriver[] = [];
  beforeAll(async () => {
    server = await startS3Server();
    for (const b of buckets) await server.createBucket(b);
    model = await openModel(exampleModel, { threads: 1 });
    work = mkdtempSync(join(tmpdir(), tempPrefix));
  });
  afterAll(async () => {
    for (const d of drivers) await d.close();
    await model?.engine.dispose();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return {
    s3(bucket) {
      const d = testBucket(server, bucket);
      drivers.push(d);
      return d;
    },
    model: () => model,
    work: () => work,
  };
}
