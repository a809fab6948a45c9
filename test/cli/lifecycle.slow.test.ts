/**
 * The lifecycle commands on an embedded data dir (the CLI from source, as a user runs it): `models rename`,
 * `deployments update` (name, model version), `deployments delete --keep-jobs`, and a connection in use refused
 * by name then deleted `--with-deployments`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-cli-life-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI: rename, update and delete with their choices', () => {
  it('renames a model, edits a deployment, keeps job records, refuses then cascades a connection delete', async () => {
    const dataDir = join(dir, 'data');
    const folder = join(dir, 'files');
    mkdirSync(join(folder, 'in'), { recursive: true });
    // A source with an input: saving refuses an empty one.
    writeFileSync(join(folder, 'in', 'img1.json'), JSON.stringify({ values: [[[[0.5]]]] }));
    const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir]);
    const ok = async (...args: string[]) => {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    await ok('models', 'add', 'examples/models/mnist-cnn.keras', '--name', 'bad-notamodel');
    expect(JSON.parse(await ok('models', 'rename', 'bad-notamodel', 'digits'))).toMatchObject({
      name: 'digits',
    });
    await ok('models', 'add', 'examples/models/mnist-cnn.keras', '--name', 'digits'); // version 2
    await ok('connections', 'add', '--name', 'local', '--path', folder);
    const created = JSON.parse(
      await ok(
        'deployments',
        'create',
        '--name',
        'nightly',
        '--model',
        'digits',
        '--model-version',
        '1',
        '--online',
      ),
    );
    const dup = await cli('deployments', 'create', '--name', 'nightly', '--model', 'digits', '--online');
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('a deployment named "nightly" already exists');
    const updated = JSON.parse(
      await ok('deployments', 'update', created.id, '--name', 'nightly-2', '--model-version', '2'),
    );
    expect(updated).toMatchObject({ id: created.id, name: 'nightly-2', model_version: 2 });

    // an embedded batch deployment prints itself, then its job once it ended
    const printed = await ok(
      'deployments',
      'create',
      '--name',
      'batch',
      '--model',
      'digits',
      '-s',
      'local:in',
      '-t',
      'local:out',
    );
    const batch = JSON.parse(printed.slice(0, printed.indexOf('\n}\n') + 2));
    const refused = await cli('connections', 'delete', 'local');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('connection "local" is used by deployment "batch": delete it first');
    await ok('deployments', 'delete', batch.id, '--keep-jobs');
    expect(JSON.parse(await ok('jobs', 'show', batch.last_job.id)).status).toBe('completed');
    await ok('connections', 'delete', 'local'); // only the deleted deployment (records kept) referred to it
    const model = await cli('models', 'delete', 'digits');
    expect(model.code).not.toBe(0);
    expect(model.stderr).toContain('model "digits" is used by deployment "nightly-2": delete it first');
    await ok('models', 'delete', 'digits', '--with-deployments');
    expect(JSON.parse(await ok('deployments', 'list', '--json')).total).toBe(0);
  }, 180_000);
});
