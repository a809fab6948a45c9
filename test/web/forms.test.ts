// @vitest-environment happy-dom
/**
 * The web UI's forms on their own (happy-dom): validation messages next to the fields, aria-invalid, and no
 * request sent while a form is invalid; plus the pure validators (overlap of source and target).
 */
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchDeploymentForm } from '../../web/src/AddDeployment';
import { SignIn } from '../../web/src/App';
import { ConnectionForm } from '../../web/src/ConnectionsPage';
import {
  emptyFormat,
  formatOptions,
  formatSummary,
  relevantFields,
  splitFormatOptions,
  validateFormat,
} from '../../web/src/format-form';
import {
  type BatchForm,
  parseOnlineInput,
  placesOverlap,
  validateBatch,
  validateConnection,
} from '../../web/src/validate';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;
beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
});

const render = async (el: ReturnType<typeof createElement>) => {
  await act(async () => root.render(el));
};
const byLabel = (text: string) => {
  const label = [...container.querySelectorAll('label')].find((l) => l.textContent?.startsWith(text));
  if (!label) throw new Error(`no label ${text}`);
  const el = document.getElementById(label.htmlFor);
  if (!el) throw new Error(`label ${text} points at nothing`);
  return el as HTMLInputElement | HTMLSelectElement;
};
const type = async (el: HTMLInputElement | HTMLSelectElement, value: string) => {
  await act(async () => {
    const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, value);
    el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
};
const click = async (name: string) => {
  const button = [...container.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
  if (!button) throw new Error(`no button ${name}`);
  await act(async () => button.click());
};
const flush = () => act(async () => new Promise((r) => setTimeout(r, 0)));
const text = () => container.textContent ?? '';

/** A fetch that answers from a table of `METHOD path` → body, and records every call. */
const stubFetch = (routes: Record<string, unknown>) => {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${String(url).split('?')[0]}`;
      calls.push(key);
      if (!(key in routes))
        return new Response('{"error":{"code":"NOT_FOUND","message":"no"}}', { status: 404 });
      return new Response(JSON.stringify(routes[key]), { status: 200 });
    }),
  );
  return calls;
};

describe('validators', () => {
  const form = (over: Partial<BatchForm> = {}): BatchForm => ({
    name: 'job',
    description: '',
    source: { connection: 'c1', bucket: 'in', prefix: '' },
    target: { connection: 'c1', bucket: 'out', prefix: '' },
    batch_size: '',
    max_failures: '',
    ...over,
  });
  const kinds = { c1: 's3', c2: 's3', local: 'local' } as const;

  it('accepts a complete batch form and refuses each missing or malformed field', () => {
    expect(validateBatch(form(), kinds)).toEqual({});
    const e = validateBatch(
      form({
        name: ' ',
        source: { connection: '', bucket: '', prefix: '' },
        target: { connection: 'c1', bucket: '', prefix: '../x' },
        batch_size: '1.5',
        max_failures: 'ten',
      }),
      kinds,
    );
    expect(Object.keys(e).sort()).toEqual([
      'batch_size',
      'max_failures',
      'name',
      'source.connection',
      'target.bucket',
      'target.prefix',
    ]);
    expect(validateBatch(form({ batch_size: '64', max_failures: '5%' }), kinds)).toEqual({});
    expect(validateBatch(form({ max_failures: '10' }), kinds)).toEqual({});
  });

  it('refuses a target that overlaps the source (same place, inside it, or containing it)', () => {
    const same = { connection: 'c1', bucket: 'in', prefix: '' };
    expect(placesOverlap(same, { ...same })).toBe(true);
    expect(placesOverlap({ ...same, prefix: 'a' }, { ...same, prefix: 'a/out' })).toBe(true);
    expect(placesOverlap({ ...same, prefix: 'a/b/' }, { ...same, prefix: '/a' })).toBe(true);
    expect(placesOverlap({ ...same, prefix: 'a' }, { ...same, prefix: 'ab' })).toBe(false);
    expect(placesOverlap(same, { ...same, bucket: 'out' })).toBe(false);
    expect(placesOverlap(same, { ...same, connection: 'c2' })).toBe(false);
    expect(validateBatch(form({ target: same }), kinds)['target.prefix']).toMatch(/overlaps the source/);
    expect(validateBatch(form({ target: { ...same, prefix: 'out' } }), kinds)['target.prefix']).toMatch(
      /overlaps/,
    );
  });

  it('checks connections: S3 needs an http(s) endpoint and both keys, a folder an absolute path', () => {
    const s3 = {
      name: 'c',
      type: 's3',
      endpoint: 'https://s3.example.com',
      region: '',
      access_key: 'AK',
      secret_key: 'SK',
      path: '',
    } as const;
    expect(validateConnection(s3)).toEqual({});
    expect(
      Object.keys(
        validateConnection({ ...s3, name: '', endpoint: 'ftp://x', access_key: '', secret_key: '' }),
      ).sort(),
    ).toEqual(['access_key', 'endpoint', 'name', 'secret_key']);
    expect(validateConnection({ ...s3, type: 'local', path: 'relative/dir' }).path).toMatch(/absolute/);
    expect(validateConnection({ ...s3, type: 'local', path: '/data' })).toEqual({});
  });

  it('parses online inputs, with a message a person can act on', () => {
    expect(parseOnlineInput('{"values": [[1, 2]]}')).toEqual({ values: [[1, 2]] });
    expect(parseOnlineInput('[[1]]')).toEqual({ values: [[1]] });
    expect(parseOnlineInput('')).toHaveProperty('error');
    expect((parseOnlineInput('{"values": [') as { error: string }).error).toMatch(/not JSON/);
    expect((parseOnlineInput('{"pixels": []}') as { error: string }).error).toMatch(/"values"/);
  });
});

describe('input format fields', () => {
  it("shows and sends only the chosen format's options", () => {
    expect(relevantFields('')).toEqual(['input_format']);
    expect(relevantFields('csv')).toEqual(['input_format', 'output_format', 'id_column', 'columns', 'join']);
    expect(relevantFields('image')).toEqual(['input_format', 'resize', 'scale']);
    expect(relevantFields('jsonl')).toEqual(['input_format', 'id_field']);
    expect(relevantFields('npy')).toEqual(['input_format', 'output_format', 'npz_arrays']);
    const filled = {
      ...emptyFormat(),
      id_field: 'key',
      id_column: 'id',
      columns: ' a, b ,c',
      join: 'input',
      resize: 'crop',
      scale: 'unit',
      output_format: 'jsonl',
    };
    expect(formatOptions({ ...filled, input_format: 'csv' })).toEqual({
      input_format: 'csv',
      output_format: 'jsonl',
      id_column: 'id',
      columns: ['a', 'b', 'c'],
      join: 'input',
    });
    expect(formatOptions({ ...filled, input_format: 'image' })).toEqual({
      input_format: 'image',
      resize: 'crop',
      scale: 'unit',
    });
    expect(formatOptions({ ...filled, input_format: '' })).toEqual({});
  });

  it('refuses a column named twice or the id column among the columns; round-trips stored options', () => {
    const csv = { ...emptyFormat(), input_format: 'csv' as const };
    expect(validateFormat({ ...csv, columns: 'a,b' })).toEqual({});
    expect(validateFormat({ ...csv, columns: 'a,a' }).columns).toMatch(/twice/);
    expect(validateFormat({ ...csv, columns: 'id,a', id_column: 'id' }).columns).toMatch(/id column/);
    expect(validateFormat({ ...csv, columns: ' , ' }).columns).toMatch(/commas/);
    // The same text in a field of another format is neither checked nor sent.
    expect(validateFormat({ ...csv, input_format: 'image', columns: 'a,a' })).toEqual({});
    const stored = { batch_size: 8, input_format: 'csv' as const, id_column: 'id', columns: ['a', 'b'] };
    const { format, rest } = splitFormatOptions(stored);
    expect(rest).toEqual({ batch_size: 8 });
    expect({ ...rest, ...formatOptions(format) }).toEqual(stored);
    expect(formatSummary(stored)).toBe('CSV or TSV (.csv, .tsv); id column id; columns a, b');
    expect(formatSummary({})).toBe('Any supported format, by file ending');
  });
});

describe('forms', () => {
  it('sign-in asks for a key before calling the server', async () => {
    const calls = stubFetch({});
    await render(createElement(SignIn, { onSignedIn: () => undefined }));
    await click('Sign in');
    expect(text()).toMatch(/Enter an API key/);
    expect(byLabel('API key').getAttribute('aria-invalid')).toBe('true');
    expect(calls).toEqual([]);
  });

  it('the connection form marks the missing fields and sends nothing; test-connection shows the result', async () => {
    const calls = stubFetch({ 'POST /api/v1/connections/test': { ok: true, buckets: ['in', 'out'] } });
    await render(createElement(ConnectionForm, { onSaved: () => undefined }));
    await click('Save connection');
    expect(text()).toMatch(/Give the connection a name/);
    expect(text()).toMatch(/Enter the endpoint URL/);
    expect(text()).toMatch(/Enter the HMAC access key/);
    expect(byLabel('Endpoint URL').getAttribute('aria-invalid')).toBe('true');
    const described = byLabel('Endpoint URL').getAttribute('aria-describedby') ?? '';
    expect(
      described.split(' ').some((id) => document.getElementById(id)?.textContent?.includes('endpoint')),
    ).toBe(true);
    expect(calls).toEqual([]);
    await type(byLabel('Endpoint URL') as HTMLInputElement, 'http://127.0.0.1:9000');
    await type(byLabel('Access key') as HTMLInputElement, 'AKID');
    await type(byLabel('Secret key') as HTMLInputElement, 'SECRET');
    await click('Test connection');
    await flush();
    expect(calls).toEqual(['POST /api/v1/connections/test']);
    expect(text()).toMatch(/Connection works: 2 buckets found \(in, out\)/);
  });

  it('the batch form refuses a target overlapping the source and never posts it', async () => {
    const conn = {
      id: 'c1',
      name: 'cos',
      type: 's3',
      endpoint: 'http://x',
      region: null,
      path: null,
      access_key_hint: null,
      created_at: '',
    };
    const calls = stubFetch({
      'GET /api/v1/connections': { items: [conn], total: 1, limit: 1000, offset: 0 },
      'GET /api/v1/connections/c1/buckets': { items: ['in', 'out'] },
    });
    const model = {
      id: 'm1',
      name: 'mnist',
      description: '',
      author: null,
      framework: 'keras' as const,
      created_at: '',
      updated_at: '',
      latest_version: 1,
    };
    await render(createElement(BatchDeploymentForm, { model }));
    await flush();
    await click('Save');
    expect(text()).toMatch(/Give the deployment a name/);
    expect(text()).toMatch(/Choose the source connection/);
    await type(byLabel('Name') as HTMLInputElement, 'batch-1');
    await type(byLabel('Source connection'), 'c1');
    await flush();
    await type(byLabel('Source bucket'), 'in');
    await type(byLabel('Target connection'), 'c1');
    await flush();
    await type(byLabel('Target bucket'), 'in');
    await type(byLabel('Target prefix') as HTMLInputElement, 'predictions');
    await click('Save');
    expect(text()).toMatch(/The target overlaps the source/);
    expect(byLabel('Target prefix').getAttribute('aria-invalid')).toBe('true');
    expect(calls.filter((c) => c.startsWith('POST'))).toEqual([]);
  });
});
