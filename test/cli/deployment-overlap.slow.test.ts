import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-overlap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI: a deployment whose target overlaps its source is refused by the service', () => {
  it('exits non-zero with the service message and stores nothing', async () => {
    const dataDir = join(dir, 'data');
    const folder = join(dir, 'files');
    mkdirSync(join(folder, 'in'), { recursive: true });
    const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir]);
    expect((await cli('models', 'add', 'examples/models/mnist-cnn.keras', '--name', 'digits')).code).toBe(0);
    expect((await cli('connections', 'add', '--name', 'local', '--path', folder)).code).toBe(0);
    const refused = await cli(
      'deployments',
      'create',
      '--name',
      'loop',
      '--model',
      'digits',
      '--source',
      'local:in',
      '--target',
      'local:in/out',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/overlaps the source/);
    const list = await cli('deployments', 'list', '--json');
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(/loop/);
  }, 120_000);
});
