import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorageError } from '../../src/storage/errors.js';
import { formatLocation, locationsOverlap, parseLocation } from '../../src/storage/location.js';
import { openBucket } from '../../src/storage/open-bucket.js';

const invalid = (text: string) => {
  try {
    parseLocation(text);
  } catch (error) {
    return isStorageError(error, 'STORAGE_INVALID_LOCATION');
  }
  return false;
};

describe('parseLocation', () => {
  it('parses folders relative to cwd and absolute', () => {
    expect(parseLocation('./dir', { cwd: '/work' })).toEqual({ kind: 'fs', path: '/work/dir' });
    expect(parseLocation('dir/sub', { cwd: '/work' })).toEqual({ kind: 'fs', path: '/work/dir/sub' });
    expect(parseLocation('/abs/dir/')).toEqual({ kind: 'fs', path: '/abs/dir' });
    expect(parseLocation('../up', { cwd: '/work/x' })).toEqual({ kind: 'fs', path: '/work/up' });
    expect(parseLocation('file:///abs/dir')).toEqual({ kind: 'fs', path: '/abs/dir' });
    expect(parseLocation('dir')).toEqual({ kind: 'fs', path: resolve('dir') });
  });

  it('parses s3 buckets and prefixes, normalizing the prefix to a folder', () => {
    expect(parseLocation('s3://bucket')).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(parseLocation('s3://bucket/')).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(parseLocation('s3://bucket/in')).toEqual({ kind: 's3', bucket: 'bucket', prefix: 'in/' });
    expect(parseLocation('s3://my.bucket-1/a/b/')).toEqual({
      kind: 's3',
      bucket: 'my.bucket-1',
      prefix: 'a/b/',
    });
    expect(parseLocation('S3://bucket/x y/ü')).toEqual({ kind: 's3', bucket: 'bucket', prefix: 'x y/ü/' });
    expect(formatLocation(parseLocation('s3://bucket/in'))).toBe('s3://bucket/in/');
    expect(formatLocation(parseLocation('/abs'))).toBe('/abs');
  });

  it('refuses what it cannot use', () => {
    for (const text of [
      '',
      '   ',
      's3://',
      's3://ab',
      's3://-bad',
      's3://bucket/../x',
      's3://key:secret@bucket/x',
      'gs://bucket',
      'http://host/x',
      'cos://us/bucket',
    ]) {
      expect(invalid(text), text).toBe(true);
    }
  });
});

describe('locationsOverlap', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'kb-loc-'));
    await mkdir(join(base, 'data', 'in'), { recursive: true });
    await mkdir(join(base, 'elsewhere'), { recursive: true });
    await symlink(join(base, 'data', 'in'), join(base, 'elsewhere', 'link-to-in'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('finds nested and equal s3 prefixes in the same bucket only', () => {
    const p = (t: string) => parseLocation(t);
    expect(locationsOverlap(p('s3://bkt/in'), p('s3://bkt/in/out'))).toBe(true);
    expect(locationsOverlap(p('s3://bkt/in/out'), p('s3://bkt/in'))).toBe(true);
    expect(locationsOverlap(p('s3://bkt/in'), p('s3://bkt/in/'))).toBe(true);
    expect(locationsOverlap(p('s3://bkt'), p('s3://bkt/out'))).toBe(true);
    expect(locationsOverlap(p('s3://bkt/in'), p('s3://bkt/input'))).toBe(false);
    expect(locationsOverlap(p('s3://bkt/in'), p('s3://bkt/out'))).toBe(false);
    expect(locationsOverlap(p('s3://bkt/in'), p('s3://ckt/in'))).toBe(false);
    expect(
      locationsOverlap(
        { kind: 's3', bucket: 'bkt', prefix: '', endpoint: 'http://a:1' },
        { kind: 's3', bucket: 'bkt', prefix: '', endpoint: 'http://b:1' },
      ),
    ).toBe(false);
    expect(locationsOverlap(p('s3://bkt/in'), p('/bkt/in'))).toBe(false);
  });

  it('finds equal and nested folders, through symbolic links and missing folders', () => {
    const f = (...parts: string[]) => parseLocation(join(base, ...parts));
    expect(locationsOverlap(f('data'), f('data', 'in'))).toBe(true);
    expect(locationsOverlap(f('data', 'in'), f('data', 'in', 'out-not-yet-created'))).toBe(true);
    expect(locationsOverlap(f('data', 'in'), f('data', 'in'))).toBe(true);
    expect(locationsOverlap(f('data', 'in'), f('data', 'inner'))).toBe(false);
    expect(locationsOverlap(f('data', 'in'), f('elsewhere'))).toBe(false);
    expect(locationsOverlap(f('data', 'in'), f('elsewhere', 'link-to-in'))).toBe(true);
    expect(locationsOverlap(f('data', 'in'), f('elsewhere', 'link-to-in', 'new-out'))).toBe(true);
  });
});

describe('openBucket', () => {
  it('opens the fs driver for a folder and the s3 driver for s3:// without I/O', async () => {
    const fsDriver = openBucket(parseLocation('/nonexistent/folder'));
    expect(fsDriver.kind).toBe('fs');
    expect(fsDriver.describe()).toBe('/nonexistent/folder');
    const s3 = openBucket('s3://bucket/in', {
      s3: {
        endpoint: 'https://user:pw@s3.example.test:8443/',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
      },
    });
    expect(s3.kind).toBe('s3');
    expect(s3.describe()).toBe('s3://bucket/in/ @ https://s3.example.test:8443');
    expect(openBucket('s3://bucket', { s3: { region: 'eu-de' } }).describe()).toBe(
      's3://bucket/ @ aws (eu-de)',
    );
    await Promise.all([fsDriver.close(), s3.close()]);
  });
});
