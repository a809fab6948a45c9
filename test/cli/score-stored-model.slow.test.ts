/**
 * `score --model <stored model>`: the id or name of a model in the embedded repository scores like its file,
 * straight from its bytes; `--redis` alone gets a temporary copy (workers on this machine may read it), removed after.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFiles, openModelOption, resolveModelOption } from '../../src/cli/commands/stored-model.js';
import { countFolderOutputs, exampleInputs, exampleModel, writeFiles } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';

describe('score --model <stored model>', () => {
  let dir: string;
  let dataDir: string;
  let privateTmp: string;
  const inputs = exampleInputs();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-score-stored-'));
    dataDir = join(dir, 'data');
    privateTmp = join(dir, 'tmp');
    await mkdir(privateTmp);
    const add = await runCli(['models', 'add', exampleModel, '--name', 'digits', '--data-dir', dataDir]);
    expect(add.code, add.stderr).toBe(0);
    await writeFiles(
      join(dir, 'in'),
      30,
      (i) => `img-${i}.json`,
      (i) => inputs[i % 10],
    );
  }, 60_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores with the stored model, by name and by id, like the file itself, and leaves no copy behind', async () => {
    const score = (model: string, target: string, env: NodeJS.ProcessEnv = {}) =>
      runCli(
        ['score', '--model', model, '--data-dir', dataDir, '--source', join(dir, 'in')].concat([
          '--target',
          join(dir, target),
          '--quiet',
        ]),
        { env },
      );
    const byName = await score('digits', 'by-name', { TMPDIR: privateTmp });
    expect(byName.code, byName.stderr).toBe(0);
    const show = await runCli(['models', 'show', 'digits', '--data-dir', dataDir]);
    const byId = await score((JSON.parse(show.stdout) as { id: string }).id, 'by-id', { TMPDIR: privateTmp });
    expect(byId.code, byId.stderr).toBe(0);
    expect(await score(exampleModel, 'by-file').then((r) => r.code)).toBe(0);

    for (const target of ['by-name', 'by-id']) {
      expect(await countFolderOutputs(join(dir, target))).toBe(30);
      for (const name of ['img-0.json', 'img-9.json'])
        expect(await readFile(join(dir, target, name), 'utf8')).toBe(
          await readFile(join(dir, 'by-file', name), 'utf8'),
        );
    }
    expect((await readdir(privateTmp)).filter((n) => n.startsWith('kb-model-'))).toEqual([]);
  }, 120_000);

  it('a name that is neither a file nor a stored model is a usage error naming it', async () => {
    const run = await runCli(
      ['score', '--model', 'no-such-model', '--data-dir', dataDir].concat([
        '--source',
        join(dir, 'in'),
        '--target',
        join(dir, 'none'),
        '--quiet',
      ]),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no-such-model');
  }, 60_000);

  it('opens a stored model from its bytes (no temporary file); only --redis gets a copy, removed after', async () => {
    const option = await resolveModelOption('digits', undefined, dataDir);
    expect(option.kind).toBe('stored');
    if (option.kind !== 'stored') return;
    const model = await openModelOption(option, 1);
    expect(model.sha256).toBe(option.version.sha256);
    await model.engine.dispose();
    const files = await modelFiles(option);
    expect((await readFile(files.path)).equals(Buffer.from(option.file))).toBe(true);
    await files.dispose();
    await expect(readFile(files.path)).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
