/**
 * WML v4 data references → places: one named file or a folder, S3 keys inline or a stored connection, local
 * paths, masking, and the refusals (each naming the field).
 */
import { describe, expect, it } from 'vitest';
import { jobInputOf, maskReference } from '../../src/api/wml-v4-references.js';
import type { V4JobInput } from '../../src/contract/index.js';

const keys = { endpoint_url: 'https://s3.example.com', access_key_id: 'AK', secret_access_key: 'SECRET' };
const job = (scoring: V4JobInput['scoring']): V4JobInput => ({ deployment: { id: 'd1' }, scoring });

describe('v4 data references', () => {
  it('an S3 folder with inline keys: a new connection, the prefix, no file filter; keys masked in the request', () => {
    const { input, newConnection } = jobInputOf(
      job({
        input_data_references: [{ type: 's3', connection: keys, location: { bucket: 'b', path: 'in/' } }],
        output_data_reference: { type: 's3', connection: keys, location: { bucket: 'b', path: 'out' } },
      }),
      'j',
    );
    expect(newConnection).toBe(true);
    expect(input.source).toEqual({
      connection: { type: 's3', endpoint: keys.endpoint_url, access_key: 'AK', secret_key: 'SECRET' },
      bucket: 'b',
      prefix: 'in/',
    });
    expect(input.target?.prefix).toBe('out');
    expect(input.include).toBeUndefined();
    expect(JSON.stringify(input.request)).not.toContain('SECRET');
    expect(JSON.stringify(input.request)).not.toContain('"AK"');
  });

  it('one named zip in a stored connection: its folder, only it read, one zip out; no new connection', () => {
    const { input, newConnection } = jobInputOf(
      job({
        input_data_references: [
          {
            type: 'connection_asset',
            connection: { id: 'cos' },
            location: { bucket: 'b', file_name: 'x/[a].zip' },
          },
        ],
        output_data_reference: {
          type: 'connection_asset',
          connection: { id: 'cos' },
          location: { bucket: 'b', path: 'o' },
        },
      }),
      'j',
    );
    expect(newConnection).toBe(false);
    expect(input.source).toEqual({ connection: 'cos', bucket: 'b', prefix: 'x' });
    expect(input.include).toEqual(['\\[a\\].zip']);
    expect(input.outputFormat).toBe('zip');
  });

  it('a local file: its folder as a local connection (admin), the file only', () => {
    const { input, newConnection } = jobInputOf(
      job({
        input_data_references: [{ type: 'fs', location: { path: '/data/in/one.json' } }],
        output_data_reference: { type: 'fs', location: { path: '/data/out' } },
      }),
      'j',
    );
    expect(newConnection).toBe(true);
    expect(input.source).toEqual({ connection: { type: 'local', path: '/data/in' } });
    expect(input.target).toEqual({ connection: { type: 'local', path: '/data/out' } });
    expect(input.include).toEqual(['one.json']);
    expect(input.outputFormat).toBeUndefined();
  });

  it('inline input_data: no places', () => {
    const { input, newConnection } = jobInputOf(job({ input_data: [{ values: [[1]] }] }), 'j');
    expect(newConnection).toBe(false);
    expect(input.inputData).toEqual([{ values: [[1]] }]);
    expect(input.source).toBeUndefined();
  });

  it('refuses what cannot be used, naming the field', () => {
    const refused = (scoring: V4JobInput['scoring']) => {
      try {
        jobInputOf(job(scoring), 'j');
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    const out = { type: 'fs', location: { path: '/o' } };
    expect(refused({})).toContain('missing field "input_data" or "input_data_references"');
    expect(refused({ input_data_references: [out] })).toContain('missing field "output_data_reference"');
    expect(refused({ input_data: [{ values: [1] }], output_data_reference: out })).toContain('not both');
    expect(
      refused({
        input_data_references: [{ type: 'fs', location: { path: 'relative' } }],
        output_data_reference: out,
      }),
    ).toContain('an absolute local path');
    expect(
      refused({
        input_data_references: [{ type: 's3', connection: keys, location: {} }],
        output_data_reference: out,
      }),
    ).toContain('input_data_references[0].location: missing field "bucket"');
    expect(
      refused({
        input_data_references: [{ type: 's3', connection: { endpoint_url: 'x' }, location: { bucket: 'b' } }],
        output_data_reference: out,
      }),
    ).toContain('needs "endpoint_url", "access_key_id" and "secret_access_key"');
    expect(
      refused({
        input_data_references: [{ type: 'data_asset', location: { href: '/v2/assets/x' } }],
        output_data_reference: out,
      }),
    ).toContain('"data_asset" references are not served here');
  });

  it('maskReference hides every key and leaves the rest', () => {
    expect(maskReference({ type: 's3', connection: keys, location: { bucket: 'b' } })).toEqual({
      type: 's3',
      connection: {
        endpoint_url: keys.endpoint_url,
        access_key_id: '********',
        secret_access_key: '********',
      },
      location: { bucket: 'b' },
    });
  });
});
